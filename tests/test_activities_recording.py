"""Activities as the screens record and remove them: what remained pending saved in the
same transaction, refusals named at the part's field, and who may delete one."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_user
from crm_tui.db import counters
from crm_tui.db.models import Activity, ServiceOrder
from crm_tui.services import ConflictError, NotAllowed, ValidationError
from crm_tui.services import orders
from crm_tui.services.activities import (
    TaskInput,
    delete_activity,
    follow_ups,
    get_activity,
    may_delete,
    record_activity,
)
from crm_tui.services.orders import OrderInput, get_order
from test_activities import new_category, new_client, new_contact


@pytest.fixture
def world(db, admin, agent):
    client = new_client("Farmacias del Centro")
    return {"client": client, "contact": new_contact(client, "Rosa Méndez"),
            "category": new_category("Llamada"), "admin": admin, "agent": agent}


def record(world, actor=None, **changes):
    values = {"when": "2026-03-02 09:30", "contact_id": world["contact"].id,
              "category_id": world["category"].id, "detail": "La impresora no enciende"}
    values.update(changes)
    return record_activity(actor or world["agent"], **values)


def test_activity_alone_is_the_users_with_a_folio(world):
    saved = record(world)
    assert saved.folio == 1 and saved.user_id == world["agent"].id
    assert saved.client_name == "Farmacias del Centro" and saved.created_order_number is None
    assert follow_ups(saved.id) == []


def test_task_without_detail_carries_the_activitys(world):
    saved = record(world, task=TaskInput(due_date="2026-03-06", assignee_id=world["admin"].id, detail=" "))
    task = follow_ups(saved.id)[0]
    assert (task.kind, task.folio, task.due_date) == ("task", 2, dt.date(2026, 3, 6))
    assert task.detail == "La impresora no enciende" and task.assignee_id == world["admin"].id


def test_order_takes_the_activitys_contact_category_and_detail_when_left_empty(world):
    saved = record(world, order=OrderInput(contact_id=None, category_id=None, detail="",
                                           priority="urgent", assigned_user_id=world["agent"].id,
                                           appointment_at="2026-03-03 11:00", equipment="Impresora HP"))
    order = get_order(saved.created_order_id).order
    assert saved.created_order_number == order.number == 1
    assert order.contact_id == world["contact"].id and order.category_id == world["category"].id
    assert order.detail == "La impresora no enciende" and order.priority == "urgent"
    assert order.appointment_at == dt.datetime(2026, 3, 3, 11, 0) and order.equipment == "Impresora HP"


@pytest.mark.parametrize("task, order, field", [
    (TaskInput("31/02/2026", "agent", ""), None, "task_due_date"),
    (TaskInput("2026-03-06", None, ""), None, "task_assignee_id"),
    (None, OrderInput(None, None, "", appointment_at="31/02/2026"), "order_appointment_at"),
    (None, OrderInput(None, None, "", priority="someday"), "order_priority"),
    (None, OrderInput(None, 987654, ""), "order_category_id"),
    (TaskInput("2026-03-06", "agent", ""), OrderInput(None, None, ""), "pending"),
])
def test_a_refused_part_is_named_at_its_field_and_nothing_is_saved(world, task, order, field):
    if task is not None and task.assignee_id == "agent":
        task = TaskInput(task.due_date, world["agent"].id, task.detail)
    with pytest.raises(ValidationError) as refused:
        record(world, task=task, order=order)
    assert refused.value.field == field
    assert Activity.select().count() == 0 and ServiceOrder.select().count() == 0
    assert counters.peek_next(counters.ACTIVITY_FOLIO) == 1
    assert counters.peek_next(counters.ORDER_NUMBER) == 1


def test_an_order_the_database_refuses_leaves_no_activity(world, monkeypatch):
    """The activity row is written before the order: the order failing undoes it."""
    def refused_by_the_database(*args, **kwargs):
        ServiceOrder.insert(number=1).execute()  # no contact, client, category: NOT NULL refuses it

    monkeypatch.setattr(orders, "insert_order", refused_by_the_database)
    with pytest.raises(ConflictError):
        record(world, order=OrderInput(None, None, ""))
    assert Activity.select().count() == 0 and ServiceOrder.select().count() == 0
    assert counters.peek_next(counters.ACTIVITY_FOLIO) == 1
    monkeypatch.undo()
    assert record(world).folio == 1


def test_its_author_or_an_admin_may_delete_it_and_no_one_else(world):
    helper = make_user("ayudante", "agent", "Ayudante")
    mine = record(world)
    assert may_delete(world["agent"], mine) and may_delete(world["admin"], mine)
    assert not may_delete(helper, mine)
    with pytest.raises(NotAllowed) as refused:
        delete_activity(helper, mine.id, mine.version)
    assert "Técnico de Campo" in refused.value.message
    delete_activity(world["agent"], mine.id, mine.version)
    theirs = record(world)
    delete_activity(world["admin"], theirs.id, theirs.version)
    assert Activity.select().count() == 0


def test_delete_carries_the_version_the_user_saw(world):
    from crm_tui.services.activities import ActivityInput, modify_activity

    seen = record(world)
    modify_activity(world["admin"], seen.id, seen.version, ActivityInput(detail="Corregido por la admin"))
    with pytest.raises(ConflictError):
        delete_activity(world["agent"], seen.id, seen.version)
    assert get_activity(seen.id).detail == "Corregido por la admin"


def test_an_activity_that_opened_an_order_or_has_a_task_is_not_deleted_and_says_why(world):
    with_order = record(world, order=OrderInput(None, None, ""))
    with pytest.raises(NotAllowed) as refused:
        delete_activity(world["admin"], with_order.id, with_order.version)
    assert "service order 1" in refused.value.message
    with_task = record(world, task=TaskInput("2026-03-06", world["agent"].id, ""))
    with pytest.raises(NotAllowed) as refused:
        delete_activity(world["agent"], with_task.id, with_task.version)
    assert "folios 3" in refused.value.message
    assert Activity.select().count() == 3 and ServiceOrder.select().count() == 1
