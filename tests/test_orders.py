"""Service orders: numbering, lifecycle, refusals, locking, filters, paging, export rows."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_user
from crm_tui import i18n
from crm_tui.db import counters
from crm_tui.db.models import Category, Client, Contact, OrderReview, Project, ServiceEntry, ServiceOrder, now
from crm_tui.services import ConflictError, DateRange, NotFound, PageRequest, ValidationError
from crm_tui.services.base import writing
from crm_tui.services import orders as order_service
from crm_tui.services.orders import (
    ORDER_COLUMNS,
    OrderFilter,
    OrderInput,
    add_order,
    get_order,
    get_order_by_number,
    iter_order_rows,
    list_orders,
    lookup_orders,
    modify_order,
    project_orders,
    register_service,
    reopen_order,
    verify_order,
)

HOSTILE = ("[bold]grande[/] [@click=app.quit]salir[/] =1+1 +SUM(A1) @cmd 🔧📷 ñandú "
           "ctrl:\x01\x07\x1b[31m\ttab\r\nline\n" + "x" * 10_000 + " fin")
# As stored: markup, formulas and emoji as typed; the control characters removed (tab and
# line feed stay in free text, CR LF becomes a line feed).
STORED = ("[bold]grande[/] [@click=app.quit]salir[/] =1+1 +SUM(A1) @cmd 🔧📷 ñandú "
          "ctrl:[31m\ttab\nline\n" + "x" * 10_000 + " fin")


# --- helpers: records the catalogs would normally create ----------------------------------


def stamp() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "test", "updated_by": "test"}


def new_client(name: str = "Refaccionaria Pérez") -> Client:
    with writing():
        return Client.create(key=counters.take_next(counters.CLIENT_KEY), name=name, **stamp())


def new_contact(client: Client, name: str = "Lupita Gómez", active: bool = True) -> Contact:
    with writing():
        return Contact.create(key=counters.take_next(counters.CONTACT_KEY), client=client, name=name,
                              active=active, **stamp())


def new_category(name: str = "Mantenimiento", active: bool = True) -> Category:
    return Category.create(name=name, name_folded=name.casefold(), active=active, **stamp())


def new_project(client: Client, name: str = "Cámaras bodega") -> Project:
    with writing():
        return Project.create(key=counters.take_next(counters.PROJECT_KEY), client=client, name=name,
                              **stamp())


@pytest.fixture
def world(db, admin, agent):
    client = new_client()
    contact = new_contact(client)
    category = new_category()
    return {"client": client, "contact": contact, "category": category, "admin": admin, "agent": agent}


def order_input(world, **changes) -> OrderInput:
    values = {"contact_id": world["contact"].id, "category_id": world["category"].id,
              "detail": "La cámara del acceso no graba"}
    values.update(changes)
    return OrderInput(**values)


def finish(actor, order, when="2026-03-02 17:30"):
    register_service(actor, order.id, get_order(order.id).order.version, when=when,
                     work_done="Se cambió el disco duro", minutes=90, service_finished=True)
    return get_order(order.id).order


# --- adding -----------------------------------------------------------------------------


def test_add_order_takes_consecutive_numbers_and_the_contacts_client(world):
    technician = world["agent"]
    first = add_order(world["admin"], order_input(world, assigned_user_id=technician.id, priority="urgent",
                                                  appointment_at="2026-03-02 09:15", equipment="DVR 8 canales"))
    second = add_order(world["admin"], order_input(world))
    assert (first.number, second.number) == (1, 2)
    assert first.status == "open"
    assert first.client_id == world["client"].id and first.client_name == "Refaccionaria Pérez"
    assert first.contact_name == "Lupita Gómez" and first.category_name == "Mantenimiento"
    assert first.assigned_user_name == "Técnico de Campo" and first.priority == "urgent"
    assert first.appointment_at == dt.datetime(2026, 3, 2, 9, 15)
    assert first.equipment == "DVR 8 canales"
    assert first.created_by == "admin" and first.version == 1


def test_project_must_belong_to_the_contacts_client(world):
    other_client = new_client("Otra Empresa")
    foreign_project = new_project(other_client, "Proyecto ajeno")
    with pytest.raises(ValidationError) as refused:
        add_order(world["admin"], order_input(world, project_id=foreign_project.id))
    assert refused.value.field == "project_id"
    assert "Project" in str(refused.value) and "another client" in str(refused.value)
    own_project = new_project(world["client"])
    order = add_order(world["admin"], order_input(world, project_id=own_project.id))
    assert order.project_name == "Cámaras bodega"
    assert ServiceOrder.select().count() == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"detail": "   "}, "detail", "Detail is required"),
    ({"contact_id": None}, "contact_id", "Contact is required"),
    ({"category_id": None}, "category_id", "Category is required"),
    ({"contact_id": 999_999}, "contact_id", "Contact: the selected record no longer exists"),
    ({"priority": "whenever"}, "priority", "Priority must be one of: Low, Normal, High, Urgent"),
    ({"appointment_at": "31/02/2026"}, "appointment_at", "Appointment: '31/02/2026' is not a valid date"),
    ({"assigned_user_id": "abc"}, "assigned_user_id", "Technician: choose a record from the list"),
])
def test_add_order_refusals_name_the_field(world, changes, field, words):
    with pytest.raises(ValidationError) as refused:
        add_order(world["admin"], order_input(world, **changes))
    assert refused.value.field == field
    assert words in str(refused.value)
    assert ServiceOrder.select().count() == 0
    assert counters.peek_next(counters.ORDER_NUMBER) == 1


def test_inactive_contact_or_category_is_refused(world):
    retired = new_contact(world["client"], "Jubilado", active=False)
    with pytest.raises(ValidationError) as refused:
        add_order(world["admin"], order_input(world, contact_id=retired.id))
    assert refused.value.field == "contact_id" and "Jubilado is inactive" in str(refused.value)
    old_category = new_category("Obsoleta", active=False)
    with pytest.raises(ValidationError) as refused:
        add_order(world["admin"], order_input(world, category_id=old_category.id))
    assert refused.value.field == "category_id"


def test_refusals_are_translated_to_spanish(world):
    i18n.set_language("es")
    order = add_order(world["admin"], order_input(world))
    finished = finish(world["agent"], order, when="02/03/2026 17:30")
    assert finished.finished_at == dt.datetime(2026, 3, 2, 17, 30)
    cases = [
        (dict(closed=True, rating=None, customer_comments="Todo bien"), "Calificación es obligatorio"),
        (dict(closed=True, rating=7, customer_comments="Todo bien"), "Calificación debe ser un número entero de 1 a 5"),
        (dict(closed=True, rating=5, customer_comments="  "), "Comentarios del cliente es obligatorio"),
    ]
    for arguments, words in cases:
        with pytest.raises(ValidationError) as refused:
            verify_order(world["admin"], order.id, finished.version, **arguments)
        assert words in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        add_order(world["admin"], order_input(world, appointment_at="31/02/2026"))
    assert "Cita: '31/02/2026' no es una fecha válida" in str(refused.value)
    closed = verify_order(world["admin"], order.id, finished.version, closed=True, rating=5,
                          customer_comments="Todo bien")
    with pytest.raises(ConflictError) as refused:
        register_service(world["agent"], order.id, closed.version, when="03/03/2026 10:00", work_done="Otra visita")
    assert str(refused.value) == ("La orden 1 está cerrada: solo se puede registrar trabajo en "
                                  "órdenes abiertas. Primero reábrala (Consulta Individual de "
                                  "Órdenes, Reabrir).")
    assert closed.status == "closed"


# --- lifecycle ----------------------------------------------------------------------------


def test_whole_lifecycle_keeps_history_and_counts_reopenings(world):
    admin, agent = world["admin"], world["agent"]
    order = add_order(admin, order_input(world, assigned_user_id=agent.id))

    entry = register_service(agent, order.id, order.version, when="2026-03-02 10:00", work_done="Diagnóstico", minutes=30)
    assert entry.user_name == "Técnico de Campo" and entry.minutes == 30 and not entry.service_finished
    assert get_order(order.id).order.status == "open"

    finished = finish(agent, order)
    assert finished.status == "finished" and finished.finished_at == dt.datetime(2026, 3, 2, 17, 30)

    reopened = verify_order(admin, order.id, finished.version, closed=False,
                            customer_comments="Sigue sin grabar de noche")
    assert reopened.status == "open" and reopened.times_reopened == 1
    assert reopened.finished_at is None

    finished = finish(agent, reopened, when="2026-03-04 12:00")
    assert finished.status == "finished"
    closed = verify_order(admin, order.id, finished.version, closed=True, rating="4",
                          customer_comments="Ya graba bien")
    assert closed.status == "closed" and closed.rating == 4 and closed.closed_at is not None
    assert closed.customer_comments == "Ya graba bien" and closed.times_reopened == 1

    again = reopen_order(admin, order.id, closed.version, customer_comments="Volvió a fallar")
    assert again.status == "open" and again.times_reopened == 2
    assert again.rating is None and again.closed_at is None

    detail = get_order(order.id)
    assert [e.work_done for e in detail.entries] == ["Diagnóstico", "Se cambió el disco duro",
                                                     "Se cambió el disco duro"]
    assert [(r.action, r.closed, r.rating, r.customer_comments) for r in detail.reviews] == [
        ("verify", False, None, "Sigue sin grabar de noche"),
        ("verify", True, 4, "Ya graba bien"),
        ("reopen", False, None, "Volvió a fallar"),
    ]
    assert detail.reviews[0].user_name == "Administradora"


def test_status_rules_refuse_with_the_status_named(world):
    admin = world["admin"]
    order = add_order(admin, order_input(world))
    with pytest.raises(ConflictError, match="Order 1 is open: only finished orders can be verified"):
        verify_order(admin, order.id, order.version, closed=True, rating=5, customer_comments="ok")
    with pytest.raises(ConflictError, match="only finished or closed orders can be reopened"):
        reopen_order(admin, order.id, order.version)
    finished = finish(admin, order)
    with pytest.raises(ConflictError, match="Order 1 is finished: only open orders can be changed"):
        modify_order(admin, order.id, finished.version, order_input(world, detail="Otro texto"))
    with pytest.raises(ConflictError, match="Order 1 is finished: work can only be logged on open orders"):
        register_service(admin, order.id, finished.version, when="2026-03-03 10:00", work_done="Más trabajo")
    assert ServiceEntry.select().count() == 1
    assert OrderReview.select().count() == 0


@pytest.mark.parametrize("arguments, field", [
    (dict(when="", work_done="x"), "when"),
    (dict(when="31/02/2026", work_done="x"), "when"),
    (dict(when="2026-03-02 10:00", work_done="  "), "work_done"),
    (dict(when="2026-03-02 10:00", work_done="x", minutes=-5), "minutes"),
    (dict(when="2026-03-02 10:00", work_done="x", minutes="media hora"), "minutes"),
])
def test_register_service_refusals(world, arguments, field):
    order = add_order(world["admin"], order_input(world))
    with pytest.raises(ValidationError) as refused:
        register_service(world["agent"], order.id, order.version, **arguments)
    assert refused.value.field == field
    assert ServiceEntry.select().count() == 0
    assert get_order(order.id).order.version == 1


def test_register_service_for_another_technician(world):
    order = add_order(world["admin"], order_input(world))
    entry = register_service(world["admin"], order.id, order.version, when=dt.datetime(2026, 3, 2, 10, 0),
                             work_done="Instalación", minutes=0, user_id=world["agent"].id)
    assert entry.user_id == world["agent"].id and entry.minutes == 0


# --- optimistic locking -------------------------------------------------------------------


def test_second_save_with_old_version_is_refused_and_first_kept(world):
    admin, agent = world["admin"], world["agent"]
    order = add_order(admin, order_input(world))
    modify_order(admin, order.id, order.version, order_input(world, detail="Cambio de Administradora"))
    with pytest.raises(ConflictError, match="admin changed this record"):
        modify_order(agent, order.id, order.version, order_input(world, detail="Cambio del técnico"))
    stored = get_order(order.id).order
    assert stored.detail == "Cambio de Administradora" and stored.version == 2 and stored.updated_by == "admin"


def test_logging_work_makes_a_stale_edit_conflict(world):
    order = add_order(world["admin"], order_input(world))
    register_service(world["agent"], order.id, order.version, when="2026-03-02 10:00", work_done="Revisión")
    with pytest.raises(ConflictError):
        modify_order(world["admin"], order.id, order.version, order_input(world, detail="Editado"))
    with pytest.raises(ConflictError):
        register_service(world["agent"], order.id, order.version, when="2026-03-02 11:00", work_done="Otra")
    assert get_order(order.id).order.detail == "La cámara del acceso no graba"


def test_stale_verification_is_refused(world):
    order = add_order(world["admin"], order_input(world))
    finished = finish(world["agent"], order)
    verify_order(world["admin"], order.id, finished.version, closed=True, rating=5, customer_comments="ok")
    with pytest.raises(ConflictError):
        reopen_order(world["agent"], order.id, finished.version)
    assert get_order(order.id).order.status == "closed"


def test_missing_order_is_not_found(world):
    with pytest.raises(NotFound):
        get_order(12345)
    with pytest.raises(NotFound, match="no service order number 77"):
        get_order_by_number("77")
    with pytest.raises(ValidationError):
        get_order_by_number("siete")


# --- hostile text ---------------------------------------------------------------------------


def test_hostile_text_is_stored_as_typed_without_control_characters(world):
    order = add_order(world["admin"], order_input(world, detail=HOSTILE, equipment=HOSTILE))
    entry = register_service(world["agent"], order.id, order.version, when="2026-03-02 10:00", work_done=HOSTILE,
                             service_finished=True)
    closed = verify_order(world["admin"], order.id, get_order(order.id).order.version, closed=True,
                          rating=3, customer_comments=HOSTILE)
    detail = get_order_by_number(order.number)
    assert detail.order.detail == STORED and detail.order.equipment == STORED
    assert detail.entries[0].work_done == STORED == entry.work_done
    assert closed.customer_comments == STORED == detail.reviews[0].customer_comments
    assert [row[10] for row in iter_order_rows()] == [STORED]


def test_nul_characters_are_dropped_not_fatal(world):
    order = add_order(world["admin"], order_input(world, detail="antes\x00después"))
    assert order.detail == "antesdespués"


# --- lists, filters, paging -----------------------------------------------------------------


@pytest.fixture
def many(world):
    """Orders spread over two clients, two technicians, two categories, one project, all statuses."""
    admin, agent = world["admin"], world["agent"]
    other_tech = make_user("otro", "agent", "Otro Técnico")
    client_b = new_client("Hospital San José")
    contact_b = new_contact(client_b, "Dr. Ruiz")
    category_b = new_category("Instalación")
    project = new_project(world["client"])
    created = []
    for index in range(12):
        use_b = index % 3 == 0
        data = OrderInput(contact_id=(contact_b if use_b else world["contact"]).id,
                          category_id=(category_b if index % 2 else world["category"]).id,
                          detail=f"Orden {index} {'impresora' if index % 4 == 0 else 'cámara'}",
                          assigned_user_id=(agent if index % 2 else other_tech).id,
                          project_id=project.id if index in (1, 2, 4) else None)
        created.append(add_order(admin, data))
    # Backdate creation so the created range has something to cut.
    for order in created[:6]:
        ServiceOrder.update(created_at=dt.datetime(2025, 1, 10, 9, 0)).where(ServiceOrder.id == order.id).execute()
    finish(agent, created[1], when="2026-02-01 10:00")
    finish(agent, created[2], when="2026-02-15 10:00")
    done = finish(agent, created[4], when="2026-02-20 10:00")
    verify_order(admin, created[4].id, done.version, closed=True, rating=5, customer_comments="ok")
    return dict(world, other_tech=other_tech, client_b=client_b, contact_b=contact_b,
                category_b=category_b, project=project, orders=created)


def numbers(page) -> list[int]:
    return [row.number for row in page.rows]


def test_list_orders_newest_first_and_every_filter(many):
    everything = list_orders()
    assert numbers(everything) == list(range(12, 0, -1))
    assert not everything.has_before and not everything.has_after

    def listed(**filters):
        return numbers(list_orders(OrderFilter(**filters), PageRequest(limit=100)))

    assert listed(status="finished") == [3, 2]
    assert listed(status="closed") == [5]
    assert listed(status="open") == [12, 11, 10, 9, 8, 7, 6, 4, 1]
    assert listed(user_id=many["agent"].id) == [12, 10, 8, 6, 4, 2]
    assert listed(client_id=many["client_b"].id) == [10, 7, 4, 1]
    assert listed(contact_id=many["contact"].id) == [12, 11, 9, 8, 6, 5, 3, 2]
    assert listed(project_id=many["project"].id) == [5, 3, 2]
    assert listed(category_id=many["category_b"].id) == [12, 10, 8, 6, 4, 2]
    assert listed(created=DateRange(dt.date(2025, 1, 1), dt.date(2025, 1, 10))) == [6, 5, 4, 3, 2, 1]
    assert listed(created=DateRange(start=dt.date(2025, 1, 11))) == [12, 11, 10, 9, 8, 7]
    assert listed(finished=DateRange(dt.date(2026, 2, 1), dt.date(2026, 2, 15))) == [3, 2]
    assert listed(finished=DateRange(end=dt.date(2026, 1, 31))) == []
    assert listed(status="open", client_id=many["client_b"].id, user_id=many["other_tech"].id) == [7, 1]
    with pytest.raises(ValidationError) as refused:
        listed(created=DateRange(dt.date(2026, 2, 1), dt.date(2026, 1, 1)))
    assert refused.value.field == "created"
    with pytest.raises(ValidationError):
        listed(status="lost")


def test_keyset_pages_cover_every_order_once_both_ways(many):
    seen, request = [], PageRequest(limit=5)
    while True:
        page = list_orders(OrderFilter(), request)
        seen.extend(numbers(page))
        if not page.has_after:
            break
        request = PageRequest(after=page.last_cursor, limit=5)
    assert seen == list(range(12, 0, -1))

    last = list_orders(OrderFilter(), PageRequest(last=True, limit=5))
    assert numbers(last) == [5, 4, 3, 2, 1] and last.has_before and not last.has_after
    backwards = []
    page = last
    while True:
        backwards = numbers(page) + backwards
        if not page.has_before:
            break
        page = list_orders(OrderFilter(), PageRequest(before=page.first_cursor, limit=5))
    assert backwards == list(range(12, 0, -1))


def test_page_around_an_order_in_a_filtered_list(many):
    order_7 = next(order for order in many["orders"] if order.number == 7)
    page = list_orders(OrderFilter(status="open"), PageRequest(around=order_7.id, limit=4))
    assert numbers(page) == [9, 8, 7, 6]
    assert (page.offset, page.has_before, page.has_after) == (3, True, True)


def test_project_orders_pending_and_completed(many):
    project_id = many["project"].id
    assert numbers(project_orders(project_id, pending=True)) == [3, 2]
    assert numbers(project_orders(project_id, pending=False)) == [5]


def test_lookup_by_number_or_detail(many):
    assert [o.number for o in lookup_orders("7")][:1] == [7]
    assert [o.number for o in lookup_orders("IMPRESORA")] == [9, 5, 1]
    assert [o.number for o in lookup_orders("#3")] == [3]
    assert lookup_orders("100%_nada") == []
    assert len(lookup_orders("cámara", limit=2)) == 2


def test_export_rows_are_plain_values_in_column_order(many):
    rows = list(iter_order_rows(OrderFilter(status="closed")))
    assert len(rows) == 1 and len(rows[0]) == len(ORDER_COLUMNS)
    row = dict(zip([c.key for c in ORDER_COLUMNS], rows[0]))
    assert row["number"] == 5 and row["status"] == "Closed" and row["priority"] == "Normal"
    assert row["client"] == "Refaccionaria Pérez" and row["contact"] == "Lupita Gómez"
    assert row["project"] == "Cámaras bodega" and row["technician"] == "Otro Técnico"
    assert row["finished_at"] == dt.datetime(2026, 2, 20, 10, 0)
    assert isinstance(row["created_at"], dt.datetime) and row["rating"] == 5
    assert [r[0] for r in iter_order_rows()] == list(range(1, 13))
    i18n.set_language("es")
    assert next(iter_order_rows(OrderFilter(status="closed")))[1] == "Cerrada"


def test_export_rows_continue_from_one_chunk_to_the_next(many, monkeypatch):
    whole = list(iter_order_rows())
    monkeypatch.setattr(order_service, "EXPORT_CHUNK", 5)
    assert list(iter_order_rows()) == whole
    assert [row[0] for row in whole] == list(range(1, 13))
    assert all(isinstance(row[3], dt.datetime) for row in whole)


# --- what the order screens read: history, the work check, the declarations ----------------


def test_history_tells_created_finished_verified_and_reopened_in_time_order(world):
    from crm_tui.services.clock import frozen

    admin, agent = world["admin"], world["agent"]
    with frozen(dt.datetime(2026, 3, 1, 9, 0)):
        order = add_order(admin, order_input(world))
    finished = finish(agent, order, when="2026-03-02 12:00")
    with frozen(dt.datetime(2026, 3, 3, 9, 0)):
        reopened = verify_order(admin, order.id, finished.version, closed=False, customer_comments="Falla")
    finished = finish(agent, reopened, when="2026-03-04 12:00")
    with frozen(dt.datetime(2026, 3, 5, 9, 0)):
        closed = verify_order(admin, order.id, finished.version, closed=True, rating=5, customer_comments="Bien")
    with frozen(dt.datetime(2026, 3, 6, 9, 0)):
        reopen_order(agent, order.id, closed.version, customer_comments="Otra vez")
    history = order_service.order_history(get_order(order.id))
    assert [(event.when.day, event.what) for event in history] == [
        (1, "Created"),
        (2, "Finished (service entry)"),
        (3, "Verified, not closed: back to open"),
        (4, "Finished (service entry)"),
        (5, "Verified and closed, rating 5"),
        (6, "Reopened: back to open"),
    ]
    assert history[-1].user_name == "Técnico de Campo"


def test_work_on_a_closed_order_is_refused_at_the_number_saying_to_reopen_it(world):
    admin = world["admin"]
    order = add_order(admin, order_input(world))
    assert order_service.order_for_work(str(order.number)).order.id == order.id
    finished = finish(admin, order)
    verify_order(admin, order.id, finished.version, closed=True, rating=4, customer_comments="ok")
    with pytest.raises(ValidationError) as refused:
        order_service.order_for_work(order.number)
    assert refused.value.field == "number"
    assert "Order 1 is closed" in refused.value.message and "Reopen it first" in refused.value.message
    with pytest.raises(ConflictError, match="Reopen it first"):
        register_service(admin, order.id, get_order(order.id).order.version, when="2026-03-09 10:00",
                         work_done="Más")
    with pytest.raises(ValidationError) as unknown:
        order_service.order_for_work("777")
    assert unknown.value.field == "number" and "no service order number 777" in unknown.value.message


def test_the_declarations_name_the_fields_the_services_take(world):
    assert set(order_service.ORDER.names()) == set(OrderInput.__dataclass_fields__)
    assert order_service.ORDER.field("priority").choices[0] == ("low", "Low")
    rating = order_service.VERIFICATION.field("rating")
    assert (rating.minimum, rating.maximum, rating.shown_when) == (1, 5, "closed")
    assert order_service.SERVICE_ENTRY.field("minutes").maximum == order_service.MAX_MINUTES


def test_a_status_action_on_an_older_copy_is_a_conflict_even_when_the_status_moved_on(world):
    admin, agent = world["admin"], world["agent"]
    order = add_order(admin, order_input(world))
    finished = finish(agent, order)
    reopen_order(agent, order.id, finished.version, customer_comments="Desde otra terminal")
    with pytest.raises(ConflictError, match="tecnico changed this record"):
        verify_order(admin, order.id, finished.version, closed=True, rating=5, customer_comments="ok")
    with pytest.raises(ConflictError, match="tecnico changed this record"):
        modify_order(admin, order.id, order.version, order_input(world, detail="Otro"))
    assert get_order(order.id).order.status == "open" and OrderReview.select().count() == 1
