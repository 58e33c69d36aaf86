"""The home screen's services: pending of a person, filters, contact card, appointments,
Ok and Pend with notes and the version seen, the clipboard text."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.services import ConflictError, DateRange, PageRequest, ValidationError
from crm_tui.services import clock, followup
from crm_tui.services.activities import add_activity, get_activity
from crm_tui.services.catalogs import add_category, add_client, add_contact
from crm_tui.services.orders import OrderInput, add_order, register_service

DAY = dt.datetime(2026, 12, 1, 8, 0)


@pytest.fixture
def world(db, admin, agent):
    with clock.frozen(DAY):
        client = add_client(admin, name="Ferretería Centro")
        other_client = add_client(admin, name="Café Colibrí")
        ana = add_contact(admin, client_id=client.id, name="Ana Ruiz", phone="55 1234 5678",
                          mobile="55 8765 4321", email="ana@ferreteria.mx")
        beto = add_contact(admin, client_id=other_client.id, name="Beto Paz")
        category = add_category(admin, name="Llamada")
    return {"admin": admin, "agent": agent, "ana": ana, "beto": beto, "client": client,
            "other_client": other_client, "category": category}


def log(world, actor, when, contact=None, detail="Llamó", **extra):
    return add_activity(actor, when=when, contact_id=(contact or world["ana"]).id,
                        category_id=world["category"].id, detail=detail, **extra)


def shown(page):
    return [record.detail for record in page.rows]


def test_the_list_holds_the_persons_pending_activities_and_tasks_newest_first(world):
    admin, agent = world["admin"], world["agent"]
    log(world, agent, "2026-11-30 10:00", detail="ayer")
    log(world, agent, "2026-12-01 09:30", detail="hoy")
    done = log(world, agent, "2026-12-01 11:00", detail="hecha")
    followup.mark_done_with_notes(agent, done.id, done.version, "listo")
    log(world, admin, "2026-12-01 12:00", detail="de otro")
    log(world, admin, "2026-12-01 13:00", detail="tarea asignada", kind="task", due_date="2026-12-02",
        assignee_id=agent.id)
    page = followup.list_followup(followup.FollowupFilter(person_id=agent.id))
    assert shown(page) == ["tarea asignada", "hoy", "ayer"]
    everything = followup.list_followup(followup.FollowupFilter(person_id=agent.id, status=followup.ANY_STATUS))
    assert shown(everything) == ["tarea asignada", "hecha", "hoy", "ayer"]
    done_only = followup.list_followup(followup.FollowupFilter(person_id=agent.id, status="Realizada"))
    assert shown(done_only) == ["hecha"]


def test_the_list_loads_a_client_a_contact_or_a_date_range(world):
    agent = world["agent"]
    log(world, agent, "2026-11-20 10:00", detail="ana antes")
    log(world, agent, "2026-12-01 10:00", detail="ana hoy")
    log(world, agent, "2026-12-01 11:00", contact=world["beto"], detail="beto hoy")
    by_client = followup.FollowupFilter(client_id=world["other_client"].id)
    assert shown(followup.list_followup(by_client)) == ["beto hoy"]
    by_contact = followup.FollowupFilter(contact_id=world["ana"].id)
    assert shown(followup.list_followup(by_contact)) == ["ana hoy", "ana antes"]
    by_dates = followup.FollowupFilter(dates=DateRange(dt.date(2026, 12, 1), dt.date(2026, 12, 1)))
    assert shown(followup.list_followup(by_dates)) == ["beto hoy", "ana hoy"]
    with pytest.raises(ValidationError):
        followup.list_followup(followup.FollowupFilter(dates=DateRange(dt.date(2026, 12, 2), dt.date(2026, 12, 1))))
    with pytest.raises(ValidationError):
        followup.list_followup(followup.FollowupFilter(status="quizá"))


def test_the_list_pages_by_keyset_through_activities_and_assigned_tasks(world):
    admin, agent = world["admin"], world["agent"]
    for minute in range(9):
        if minute % 3 == 1:  # a task someone else logged for the agent
            log(world, admin, f"2026-12-01 09:{minute:02d}", detail=f"n{minute}", kind="task",
                due_date="2026-12-05", assignee_id=agent.id)
        else:
            log(world, agent, f"2026-12-01 09:{minute:02d}", detail=f"n{minute}")
    log(world, agent, "2026-12-01 09:04", detail="own task", kind="task", due_date="2026-12-05",
        assignee_id=agent.id)  # logged by and assigned to the agent: listed once
    newest_first = ["n8", "n7", "n6", "n5", "own task", "n4", "n3", "n2", "n1", "n0"]
    mine = followup.FollowupFilter(person_id=agent.id)
    first = followup.list_followup(mine, PageRequest(limit=4))
    second = followup.list_followup(mine, PageRequest(after=first.last_cursor, limit=4))
    third = followup.list_followup(mine, PageRequest(after=second.last_cursor, limit=4))
    assert shown(first) + shown(second) + shown(third) == newest_first
    assert first.has_after and not first.has_before and second.has_before and not third.has_after
    last = followup.list_followup(mine, PageRequest(last=True, limit=4))
    assert shown(last) == newest_first[-4:] and last.has_before and not last.has_after
    before = followup.list_followup(mine, PageRequest(before=last.first_cursor, limit=4))
    assert shown(before) == newest_first[2:6] and before.has_before and before.has_after
    around = followup.list_followup(mine, PageRequest(around=last.rows[0].id, limit=4))
    assert last.rows[0].detail in shown(around)


def test_the_light_status_codes_are_the_activitys():
    from crm_tui.db.models import Activity
    from crm_tui.services import followup_filter

    assert (followup_filter.PENDING, followup_filter.DONE) == (Activity.PENDING, Activity.DONE)


def test_the_contact_card_has_the_ways_to_reach_them(world):
    card = followup.contact_card(world["ana"].id)
    assert (card.name, card.client_name, card.phone, card.mobile, card.email) == (
        "Ana Ruiz", "Ferretería Centro", "55 1234 5678", "55 8765 4321", "ana@ferreteria.mx")


def test_appointments_are_the_persons_open_orders_from_today_by_time(world):
    admin, agent = world["admin"], world["agent"]

    def order(appointment, assigned=agent, detail="Revisar"):
        return add_order(admin, OrderInput(contact_id=world["ana"].id, category_id=world["category"].id,
                                           detail=detail, assigned_user_id=assigned.id,
                                           appointment_at=appointment))

    with clock.frozen(DAY):
        later = order("2026-12-02 09:00")
        first = order("2026-12-01 11:00")
        order("2026-11-30 11:00")  # yesterday
        order("2026-12-09 11:00")  # beyond the next days
        order("2026-12-01 10:00", assigned=admin)
        finished = order("2026-12-01 12:00")
        register_service(admin, finished.id, finished.version, when="2026-12-01 07:00", work_done="Listo", service_finished=True)
        assert [o.number for o in followup.appointments(agent.id)] == [first.number, later.number]


def test_ok_and_pend_carry_the_notes_and_the_version_seen(world):
    agent = world["agent"]
    seen = log(world, agent, "2026-12-01 09:30")
    done = followup.mark_done_with_notes(agent, seen.id, seen.version, "Se envió la foto")
    assert (done.status, done.followup_notes) == ("done", "Se envió la foto")
    with pytest.raises(ConflictError):  # the copy seen before Ok is stale now
        followup.mark_pending_with_notes(agent, seen.id, seen.version, "otra vez")
    assert get_activity(seen.id).status == "done"
    again = followup.mark_pending_with_notes(agent, done.id, done.version, "Falta la refacción")
    assert (again.status, again.followup_notes) == ("pending", "Falta la refacción")
    with pytest.raises(ValidationError):
        followup.mark_done_with_notes(agent, again.id, again.version, "  \n ")
    assert get_activity(seen.id).status == "pending"


def test_the_clipboard_text_has_the_activity_and_how_to_reach_the_contact(world):
    record = log(world, world["agent"], "2026-12-01 09:30", detail="[bold]no toma papel[/]\nsegunda línea")
    text = followup.clipboard_text(record, followup.contact_card(record.contact_id))
    assert text.splitlines() == [
        f"Folio: {record.folio}", "Date and time: 2026-12-01 09:30", "Status: Pending", "Contact: Ana Ruiz",
        "Company: Ferretería Centro", "Phone: 55 1234 5678", "Mobile: 55 8765 4321",
        "E-mail: ana@ferreteria.mx", "Detail:", "[bold]no toma papel[/]", "segunda línea"]
