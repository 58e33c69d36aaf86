"""Activities and tasks: folios, validation, follow-ups and orders in one transaction, lists."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_user
from crm_tui import i18n
from crm_tui.db import counters
from crm_tui.db.models import Activity, Category, Client, Contact, ServiceOrder, now
from crm_tui.services import ConflictError, DateRange, NotFound, PageRequest, ValidationError
from crm_tui.services.activities import (
    ACTIVITY_COLUMNS,
    ActivityFilter,
    ActivityInput,
    TaskInput,
    add_activity,
    follow_ups,
    get_activity,
    get_activity_by_folio,
    iter_activity_rows,
    list_activities,
    mark_done,
    mark_pending,
    modify_activity,
)
from crm_tui.services.base import writing
from crm_tui.services.orders import OrderInput, get_order

HOSTILE = ("[bold]grande[/] [@click=app.quit]salir[/] =1+1 -2+3 @cmd 🔧📷 ñandú "
           "ctrl:\x01\x07\x1b[31m\ttab\r\nline\n" + "y" * 10_000 + " fin")
# As stored: markup, formulas and emoji as typed; the control characters removed (tab and
# line feed stay in free text, CR LF becomes a line feed).
STORED = ("[bold]grande[/] [@click=app.quit]salir[/] =1+1 -2+3 @cmd 🔧📷 ñandú "
          "ctrl:[31m\ttab\nline\n" + "y" * 10_000 + " fin")


def stamp() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "test", "updated_by": "test"}


def new_client(name: str) -> Client:
    with writing():
        return Client.create(key=counters.take_next(counters.CLIENT_KEY), name=name, **stamp())


def new_contact(client: Client, name: str) -> Contact:
    with writing():
        return Contact.create(key=counters.take_next(counters.CONTACT_KEY), client=client, name=name,
                              **stamp())


def new_category(name: str) -> Category:
    return Category.create(name=name, name_folded=name.casefold(), **stamp())


@pytest.fixture
def world(db, admin, agent):
    client = new_client("Farmacias del Centro")
    return {"client": client, "contact": new_contact(client, "Rosa Méndez"),
            "category": new_category("Llamada"), "admin": admin, "agent": agent}


def call(world, actor=None, **changes):
    values = {"when": "2026-03-02 09:30", "contact_id": world["contact"].id,
              "category_id": world["category"].id, "detail": "Reporta que la impresora no enciende"}
    values.update(changes)
    return add_activity(actor or world["admin"], ActivityInput(**values))


def test_add_activity_takes_folios_and_the_contacts_client(world):
    first = call(world)
    second = call(world, actor=world["agent"])
    assert (first.folio, second.folio) == (1, 2)
    assert first.kind == "activity" and first.status == "pending"
    assert first.when == dt.datetime(2026, 3, 2, 9, 30)
    assert first.client_name == "Farmacias del Centro" and first.contact_name == "Rosa Méndez"
    assert first.user_name == "Administradora" and second.user_name == "Técnico de Campo"
    assert get_activity_by_folio("2").id == second.id


@pytest.mark.parametrize("changes, field", [
    ({"when": "31/02/2026"}, "when"),
    ({"when": ""}, "when"),
    ({"detail": "  \n"}, "detail"),
    ({"contact_id": None}, "contact_id"),
    ({"category_id": 424242}, "category_id"),
    ({"kind": "meeting"}, "kind"),
    ({"status": "maybe"}, "status"),
    ({"kind": "task", "assignee_id": None, "due_date": "2026-03-09"}, "assignee_id"),
    ({"kind": "task", "due_date": "31/02/2026"}, "due_date"),
    ({"kind": "task", "due_date": None}, "due_date"),
])
def test_refusals_name_the_field_and_save_nothing(world, changes, field):
    if changes.get("kind") == "task":
        changes = {"assignee_id": world["agent"].id, **changes}
    with pytest.raises(ValidationError) as refused:
        call(world, **changes)
    assert refused.value.field == field
    assert Activity.select().count() == 0
    assert counters.peek_next(counters.ACTIVITY_FOLIO) == 1


def test_refusal_in_spanish_names_the_field(world):
    i18n.set_language("es")
    with pytest.raises(ValidationError) as refused:
        call(world, when="31/02/2026")
    assert str(refused.value) == "Fecha y hora: '31/02/2026' no es una fecha válida (use 31/12/2026)."
    with pytest.raises(ValidationError) as refused:
        call(world, kind="task", due_date="09/03/2026")
    assert str(refused.value) == "Responsable es obligatorio."


def test_task_needs_due_date_and_assignee(world):
    task = call(world, kind="task", due_date="2026-03-09", assignee_id=world["agent"].id,
                detail="Llevar tóner")
    assert task.kind == "task" and task.due_date == dt.date(2026, 3, 9)
    assert task.assignee_name == "Técnico de Campo"


def test_activity_with_task_and_order_in_one_transaction(world):
    agent = world["agent"]
    activity = call(world,
                    create_task=TaskInput(due_date="2026-03-05", assignee_id=agent.id,
                                          detail="Llamar para confirmar visita"),
                    create_order=OrderInput(contact_id=world["contact"].id, category_id=world["category"].id,
                                            detail="Revisar impresora", assigned_user_id=agent.id,
                                            priority="high"))
    order = get_order(activity.created_order_id).order
    assert activity.created_order_number == order.number == 1
    assert order.source_activity_id == activity.id and order.priority == "high"
    tasks = follow_ups(activity.id)
    assert len(tasks) == 1
    task = tasks[0]
    assert (task.kind, task.status, task.folio, task.source_folio) == ("task", "pending", 2, 1)
    assert task.due_date == dt.date(2026, 3, 5) and task.assignee_id == agent.id
    assert task.detail == "Llamar para confirmar visita" and task.category_id == world["category"].id


@pytest.mark.parametrize("task, order, field", [
    (TaskInput("2026-03-05", None, "Seguimiento"), None, "assignee_id"),
    (TaskInput("2026-03-05", "agent", "Seguimiento"), OrderInput(None, None, "Revisar"), "contact_id"),
    (TaskInput("2026-03-05", "agent", "Seguimiento"), "empty detail", "detail"),
    (None, "bad appointment", "appointment_at"),
])
def test_any_failing_part_saves_nothing(world, task, order, field):
    if task is not None and task.assignee_id == "agent":
        task = TaskInput(task.due_date, world["agent"].id, task.detail)
    valid = {"contact_id": world["contact"].id, "category_id": world["category"].id}
    if order == "empty detail":
        order = OrderInput(detail="", **valid)
    elif order == "bad appointment":
        order = OrderInput(detail="Revisar", appointment_at="31/02/2026", **valid)
    with pytest.raises(ValidationError) as refused:
        call(world, create_task=task, create_order=order)
    assert refused.value.field == field
    assert Activity.select().count() == 0
    assert ServiceOrder.select().count() == 0
    assert counters.peek_next(counters.ACTIVITY_FOLIO) == 1
    assert counters.peek_next(counters.ORDER_NUMBER) == 1
    assert call(world).folio == 1


def test_modify_and_mark_done_or_pending(world):
    activity = call(world, actor=world["agent"])
    other = new_contact(new_client("Clínica Norte"), "Dr. Vela")
    changed = modify_activity(world["agent"], activity.id, activity.version, ActivityInput(
        contact_id=other.id, detail="Ya enciende", when=dt.datetime(2026, 3, 2, 11, 0)))
    assert changed.client_name == "Clínica Norte" and changed.detail == "Ya enciende"
    assert changed.version == 2 and changed.updated_by == "tecnico"
    done = mark_done(world["admin"], activity.id, changed.version, followup_notes="Cliente satisfecho")
    assert done.status == "done" and done.followup_notes == "Cliente satisfecho"
    pending = mark_pending(world["admin"], activity.id, done.version)
    assert pending.status == "pending" and pending.followup_notes == "Cliente satisfecho"
    with pytest.raises(ValidationError) as refused:
        modify_activity(world["admin"], activity.id, pending.version, ActivityInput(kind="task"))
    assert refused.value.field == "due_date"
    with pytest.raises(TypeError):  # the folio is no input: it cannot even be given
        ActivityInput(folio=99)
    with pytest.raises(ValidationError) as refused:  # the activity it came from is set once, on adding
        modify_activity(world["admin"], activity.id, pending.version, ActivityInput(source_activity_id=activity.id))
    assert refused.value.field == "source_activity_id"
    assert get_activity(activity.id).kind == "activity"


def test_second_save_with_old_version_is_refused_and_first_kept(world):
    activity = call(world, actor=world["agent"])
    modify_activity(world["admin"], activity.id, activity.version, ActivityInput(detail="Versión de Administradora"))
    with pytest.raises(ConflictError):
        modify_activity(world["agent"], activity.id, activity.version, ActivityInput(detail="Versión del técnico"))
    with pytest.raises(ConflictError):
        mark_done(world["agent"], activity.id, activity.version)
    stored = get_activity(activity.id)
    assert stored.detail == "Versión de Administradora" and stored.status == "pending"
    with pytest.raises(NotFound):
        get_activity(98765)


def test_hostile_text_is_stored_as_typed_without_control_characters(world):
    activity = call(world, detail=HOSTILE, followup_notes=HOSTILE)
    stored = get_activity(activity.id)
    assert stored.detail == STORED and stored.followup_notes == STORED
    row = next(iter_activity_rows())
    assert row[8] == STORED and row[9] == STORED


# --- lists ------------------------------------------------------------------------------


@pytest.fixture
def many(world):
    admin, agent = world["admin"], world["agent"]
    helper = make_user("ayudante", "agent", "Ayudante")
    client_b = new_client("Hotel Playa")
    contact_b = new_contact(client_b, "Gerente Hotel")
    category_b = new_category("Visita")
    made = []
    for index in range(10):
        is_task = index % 4 == 0
        made.append(add_activity(agent if index % 2 else admin, ActivityInput(
            when=dt.datetime(2026, 3, 1 + index, 10, 0),
            contact_id=(contact_b if index % 3 == 0 else world["contact"]).id,
            category_id=(category_b if index >= 5 else world["category"]).id, detail=f"Actividad {index}",
            kind="task" if is_task else "activity", due_date=dt.date(2026, 4, 1) if is_task else None,
            assignee_id=(helper.id if index == 4 else agent.id) if is_task else None)))
    for activity in made[:3]:
        mark_done(admin, activity.id, activity.version)
    # Two activities at the same moment: the id breaks the tie in the keyset.
    twin = add_activity(admin, ActivityInput(
        when=dt.datetime(2026, 3, 5, 10, 0), contact_id=world["contact"].id, category_id=world["category"].id,
        detail="Gemela"))
    return dict(world, helper=helper, client_b=client_b, contact_b=contact_b, category_b=category_b,
                made=made, twin=twin)


def folios(page) -> list[int]:
    return [row.folio for row in page.rows]


def test_list_activities_most_recent_first_and_every_filter(many):
    assert folios(list_activities()) == [10, 9, 8, 7, 6, 11, 5, 4, 3, 2, 1]

    def listed(**filters):
        return folios(list_activities(ActivityFilter(**filters), PageRequest(limit=100)))

    assert listed(user_id=many["agent"].id) == [10, 8, 6, 4, 2]
    assert listed(client_id=many["client_b"].id) == [10, 7, 4, 1]
    assert listed(contact_id=many["contact"].id) == [9, 8, 6, 11, 5, 3, 2]
    assert listed(category_id=many["category_b"].id) == [10, 9, 8, 7, 6]
    assert listed(status="done") == [3, 2, 1]
    assert listed(status="pending") == [10, 9, 8, 7, 6, 11, 5, 4]
    assert listed(kind="task") == [9, 5, 1]
    assert listed(assignee_id=many["agent"].id) == [9, 1]
    assert listed(assignee_id=many["helper"].id) == [5]
    assert listed(dates=DateRange(dt.date(2026, 3, 4), dt.date(2026, 3, 5))) == [11, 5, 4]
    assert listed(dates=DateRange(start=dt.date(2026, 3, 9))) == [10, 9]
    assert listed(kind="task", status="pending", assignee_id=many["agent"].id) == [9]
    with pytest.raises(ValidationError) as refused:
        listed(dates=DateRange(dt.date(2026, 3, 9), dt.date(2026, 3, 1)))
    assert refused.value.field == "dates"


def test_keyset_pages_cover_every_activity_once_both_ways(many):
    expected = [10, 9, 8, 7, 6, 11, 5, 4, 3, 2, 1]
    for size in (1, 3, 4):
        seen, request = [], PageRequest(limit=size)
        while True:
            page = list_activities(ActivityFilter(), request)
            seen.extend(folios(page))
            if not page.has_after:
                break
            request = PageRequest(after=page.last_cursor, limit=size)
        assert seen == expected
        page, backwards = list_activities(ActivityFilter(), PageRequest(last=True, limit=size)), []
        while True:
            backwards = folios(page) + backwards
            if not page.has_before:
                break
            page = list_activities(ActivityFilter(), PageRequest(before=page.first_cursor, limit=size))
        assert backwards == expected


def test_export_rows_in_column_order(many):
    rows = list(iter_activity_rows(ActivityFilter(kind="task", assignee_id=many["helper"].id)))
    assert len(rows) == 1 and len(rows[0]) == len(ACTIVITY_COLUMNS)
    row = dict(zip([c.key for c in ACTIVITY_COLUMNS], rows[0]))
    assert row["folio"] == 5 and row["kind"] == "Task" and row["status"] == "Pending"
    assert row["when"] == dt.datetime(2026, 3, 5, 10, 0) and row["due_date"] == dt.date(2026, 4, 1)
    assert row["assignee"] == "Ayudante" and row["user"] == "Administradora"
    assert row["client"] == "Farmacias del Centro" and row["category"] == "Llamada"
    assert [r[0] for r in iter_activity_rows()] == [1, 2, 3, 4, 5, 11, 6, 7, 8, 9, 10]
