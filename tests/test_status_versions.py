"""Every status action carries the version the user saw: another user's change in between
is a conflict, never overwritten. A field's record is named as people know it, and the
activity form's optional task and order parts become one add_activity."""
from __future__ import annotations

import pytest

from crm_tui.db.models import Activity, OpportunityEvent, OrderReview, ServiceEntry
from crm_tui.services import ConflictError, ValidationError, activities, catalogs, opportunities, orders, users
from crm_tui.services.base import display_name
from crm_tui.services.orders import OrderInput

WHEN = "2026-03-02 10:00"


@pytest.fixture
def world(db, admin, agent):
    client = catalogs.add_client(admin, catalogs.ClientInput(name="Ferretería Centro"))
    contact = catalogs.add_contact(admin, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
    category = catalogs.add_category(admin, catalogs.CategoryInput(name="Soporte"))
    return {"admin": admin, "agent": agent, "client": client, "contact": contact, "category": category}


def new_order(world):
    return orders.add_order(world["admin"], OrderInput(contact_id=world["contact"].id,
                                                       category_id=world["category"].id, detail="No imprime"))


def new_activity(world):
    return activities.add_activity(world["agent"], activities.ActivityInput(
        when=WHEN, contact_id=world["contact"].id, category_id=world["category"].id, detail="Llamó por la impresora"))


def changed_by_someone_else(world, activity):
    return activities.modify_activity(world["admin"], activity.id, activity.version, activities.ActivityInput(
        detail="Otro detalle"))


def test_marking_done_a_stale_activity_is_a_conflict(world):
    seen = new_activity(world)
    changed_by_someone_else(world, seen)
    with pytest.raises(ConflictError):
        activities.mark_done(world["agent"], seen.id, seen.version, followup_notes="Resuelto")
    stored = activities.get_activity(seen.id)
    assert stored.status == activities.PENDING and stored.followup_notes == ""


def test_putting_back_to_pending_carries_a_note_and_the_version(world):
    done = activities.mark_done(world["agent"], new_activity(world).id, 1, followup_notes="Resuelto")
    pending = activities.mark_pending(world["agent"], done.id, done.version, followup_notes="Volvió a fallar")
    assert (pending.status, pending.followup_notes) == (activities.PENDING, "Volvió a fallar")
    with pytest.raises(ConflictError):
        activities.mark_pending(world["admin"], done.id, done.version, followup_notes="Tarde")
    assert Activity.get_by_id(done.id).followup_notes == "Volvió a fallar"


def test_registering_service_on_a_stale_order_is_a_conflict(world):
    seen = new_order(world)
    orders.modify_order(world["admin"], seen.id, seen.version, OrderInput(
        contact_id=world["contact"].id, category_id=world["category"].id, detail="Cambió el detalle"))
    with pytest.raises(ConflictError):
        orders.register_service(world["agent"], seen.id, seen.version, when=WHEN, work_done="Listo",
                                service_finished=True)
    assert ServiceEntry.select().count() == 0
    assert orders.get_order(seen.id).order.status == orders.OPEN


def finished_order(world):
    order = new_order(world)
    orders.register_service(world["agent"], order.id, order.version, when=WHEN, work_done="Listo",
                            service_finished=True)
    return orders.get_order(order.id).order


def test_verifying_or_reopening_a_stale_order_is_a_conflict(world):
    seen = finished_order(world)
    orders.reopen_order(world["admin"], seen.id, seen.version, customer_comments="Falta una pieza")
    orders.register_service(world["agent"], seen.id, seen.version + 1, when=WHEN, work_done="Pieza puesta",
                            service_finished=True)
    with pytest.raises(ConflictError):
        orders.verify_order(world["agent"], seen.id, seen.version, closed=True, rating=5, customer_comments="Bien")
    with pytest.raises(ConflictError):
        orders.reopen_order(world["agent"], seen.id, seen.version, customer_comments="Otra vez")
    stored = orders.get_order(seen.id).order
    assert (stored.status, stored.times_reopened) == (orders.FINISHED, 1)
    assert OrderReview.select().count() == 1


def test_changing_a_stale_opportunity_status_is_a_conflict(world):
    kind = catalogs.add_opportunity_type(world["admin"], catalogs.OpportunityTypeInput(name="Venta de equipo"))
    seen = opportunities.add_opportunity(world["agent"], opportunities.OpportunityInput(
        contact_id=world["contact"].id, type_id=kind.id, subject="Cámaras para la bodega"))
    opportunities.change_status(world["admin"], seen.id, seen.version, opportunities.WORKING,
                                comment="Cotizando")
    with pytest.raises(ConflictError):
        opportunities.change_status(world["agent"], seen.id, seen.version, opportunities.CLOSED,
                                    invoice_number="F-1")
    assert opportunities.get_opportunity(seen.id).opportunity.status == opportunities.WORKING
    assert OpportunityEvent.select().where(OpportunityEvent.to_status == opportunities.CLOSED).count() == 0


def test_an_inactive_record_is_named_by_its_key_and_name(world):
    contact = world["contact"]
    catalogs.set_contact_active(world["admin"], contact.id, contact.version, False)
    with pytest.raises(ValidationError) as refused:
        orders.add_order(world["admin"], OrderInput(contact_id=contact.id, category_id=world["category"].id,
                                                    detail="x"))
    assert refused.value.field == "contact_id"
    assert str(refused.value) == f"Contact: {contact.key} Ana Ruiz is inactive; choose another one."
    client = world["client"]
    catalogs.set_client_active(world["admin"], client.id, client.version, False)
    with pytest.raises(ValidationError) as refused:
        catalogs.add_contact(world["admin"], catalogs.ContactInput(client_id=client.id, name="Luis"))
    assert str(refused.value) == f"Client: {client.key} Ferretería Centro is inactive; choose another one."
    kept = catalogs.modify_contact(world["admin"], contact.id, contact.version + 1, catalogs.ContactInput(
        job_title="Compras"))
    assert kept.client_id == client.id  # a record keeps the inactive client it already had
    with pytest.raises(ValidationError) as refused:
        catalogs.add_project(world["admin"], catalogs.ProjectInput(
            client_id=client.id, name="Cámaras", contact_in_charge_id=contact.id))
    assert str(refused.value) == f"Client: {client.key} Ferretería Centro is inactive; choose another one."
    catalogs.set_client_active(world["admin"], client.id, client.version + 1, True)
    with pytest.raises(ValidationError) as refused:
        catalogs.add_project(world["admin"], catalogs.ProjectInput(
            client_id=client.id, name="Cámaras", contact_in_charge_id=contact.id))
    assert str(refused.value) == f"Contact in charge: {contact.key} Ana Ruiz is inactive; choose another one."


def test_a_record_gone_is_refused_without_showing_its_internal_id(world):
    with pytest.raises(ValidationError) as refused:
        orders.add_order(world["admin"], OrderInput(contact_id=987654, category_id=world["category"].id,
                                                    detail="x"))
    assert str(refused.value) == "Contact: the selected record no longer exists."


def test_a_user_is_shown_by_full_name_or_login(world):
    assert display_name(users.get_user(world["agent"].id)) == "Técnico de Campo"
    users.modify_user(world["admin"], world["agent"].id, users.get_user(world["agent"].id).version, users.UserInput(
        full_name="", role="agent", active=True))
    assert display_name(users.get_user(world["agent"].id)) == "tecnico"
    assert display_name(None) == ""
