"""Activities (calls, visits, e-mails...) and follow-up tasks, numbered by folio.

An activity may schedule a follow-up task and open a service order; both are saved in
the same transaction as the activity, so either everything is saved or nothing is.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

import peewee as pw

from crm_tui.db import counters
from crm_tui.db.models import Activity, Category, Client, Contact, ServiceOrder, User
from crm_tui.export.table import DATE, DATETIME, INTEGER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services import orders, permissions
from crm_tui.services.base import (
    FIRST_PAGE,
    KEEP,
    Actor,
    DateRange,
    Page,
    PageRequest,
    WriteInput,
    active_record,
    chosen_id,
    clean_text,
    delete_versioned,
    display_name,
    display_name_sql,
    iter_keyset,
    paged_records,
    parse_date,
    parse_datetime,
    require,
    insert_new,
    update_versioned,
    retrying_write,
    writing,
)
from crm_tui.services.activity_records import (  # noqa: F401 - part of this module's API
    ACTIVITY,
    DONE,
    KIND_LABELS,
    LABELS,
    PENDING,
    STATUS_LABELS,
    TASK,
    ActivityRecord,
    _Assignee,
    _joined,
    _Source,
    _activities_by_id,
    _activity_query,
    _activity_record,
    kind_label,
    label,
    status_from_word,
    status_label,
)
from crm_tui.services.clock import now
from crm_tui.services.fields import CHOICE, LOOKUP, MULTILINE, Entity, Field
from crm_tui.services.fields import DATE as DATE_KIND
from crm_tui.services.fields import DATETIME as DATETIME_KIND
from crm_tui.services.filters import filter_field
from crm_tui.services.errors import NotAllowed, NotFound, ValidationError
from crm_tui.services.orders import OrderInput, check_in_list

# --- the activity's fields, declared once ----------------------------------------------

PENDING_NOTHING, PENDING_TASK, PENDING_ORDER = "none", TASK, "order"
PENDING_LABELS = {PENDING_NOTHING: N_("Nothing"), PENDING_TASK: N_("A task"),
                  PENDING_ORDER: N_("A service order")}
TASK_FIELD_PREFIX, ORDER_FIELD_PREFIX = "task_", "order_"
EMPTY_TAKES_DETAIL = N_("Empty: the activity's detail")

_CONTACT = Field("contact_id", LABELS["contact_id"], LOOKUP, required=True, lookup="contact")
# The contact's client: shown, never typed (the forms show it read-only).
_CLIENT = Field("client_id", N_("Client"), LOOKUP, lookup="client")
_CATEGORY = Field("category_id", LABELS["category_id"], LOOKUP, required=True, lookup="category")
_WHEN = Field("when", LABELS["when"], DATETIME_KIND, required=True)
_DETAIL = Field("detail", LABELS["detail"], MULTILINE, required=True)


def _pending_part(choice: str, *fields: Field) -> tuple[Field, ...]:
    return tuple(replace(field, shown_when="pending", shown_for=(choice,)) for field in fields)


# Agregar Actividad: what the user did and what remained pending (a task or an order,
# their fields shown only once chosen). record_activity takes what it holds.
ACTIVITY_ENTRY = Entity("activity_entry", N_("Activity"), (
    _CONTACT, _CLIENT, _CATEGORY, _WHEN, _DETAIL,
    Field("pending", N_("Left pending"), CHOICE, required=True, choices=tuple(PENDING_LABELS.items())),
    *_pending_part(
        PENDING_TASK,
        Field(TASK_FIELD_PREFIX + "assignee_id", LABELS["assignee_id"], LOOKUP, required=True, lookup="user"),
        Field(TASK_FIELD_PREFIX + "due_date", LABELS["due_date"], DATE_KIND, required=True),
        Field(TASK_FIELD_PREFIX + "detail", N_("Task detail"), MULTILINE, help=EMPTY_TAKES_DETAIL)),
    *_pending_part(
        PENDING_ORDER,
        Field(ORDER_FIELD_PREFIX + "project_id", orders.LABELS["project_id"], LOOKUP, lookup="project",
              lookup_filter=(("client_id", "client_id"),)),
        Field(ORDER_FIELD_PREFIX + "priority", orders.LABELS["priority"], CHOICE, required=True,
              choices=tuple(orders.PRIORITY_LABELS.items())),
        Field(ORDER_FIELD_PREFIX + "assigned_user_id", orders.LABELS["assigned_user_id"], LOOKUP, lookup="user"),
        Field(ORDER_FIELD_PREFIX + "appointment_at", orders.LABELS["appointment_at"], DATETIME_KIND),
        Field(ORDER_FIELD_PREFIX + "category_id", orders.LABELS["category_id"], LOOKUP, lookup="category",
              help=N_("Empty: the activity's category")),
        Field(ORDER_FIELD_PREFIX + "detail", N_("Order detail"), MULTILINE, help=EMPTY_TAKES_DETAIL),
        Field(ORDER_FIELD_PREFIX + "equipment", orders.LABELS["equipment"], MULTILINE)),
))

# Modificar (Consultar Actividad): the activity as stored; a task's assignee and due date
# show only for tasks.
ACTIVITY_CHANGE = Entity("activity", N_("Activity"), (
    Field("kind", LABELS["kind"], CHOICE, choices=tuple(KIND_LABELS.items())),
    _CONTACT, _CLIENT, _CATEGORY, _WHEN, _DETAIL,
    Field("assignee_id", LABELS["assignee_id"], LOOKUP, required=True, lookup="user", shown_when="kind",
          shown_for=(TASK,)),
    Field("due_date", LABELS["due_date"], DATE_KIND, required=True, shown_when="kind", shown_for=(TASK,)),
    Field("status", LABELS["status"], CHOICE, required=True, choices=tuple(STATUS_LABELS.items())),
    Field("followup_notes", LABELS["followup_notes"], MULTILINE),
))
SHOWN_NOT_TYPED = ("kind", "client_id")  # read-only in the forms
# The activity's fields as a record (export columns read their labels here).
ACTIVITY_FIELDS = ACTIVITY_CHANGE


EDITABLE_FIELDS = ("when", "contact_id", "category_id", "detail", "kind", "status", "followup_notes",
                   "due_date", "assignee_id", "user_id")


@dataclass(frozen=True)
class TaskInput:
    due_date: dt.date | str | None
    assignee_id: int | None
    detail: str
    category_id: int | None = None


@dataclass(frozen=True)
class ActivityFilter:
    dates: DateRange = DateRange()
    user_id: int | None = None
    client_id: int | None = None
    contact_id: int | None = None
    category_id: int | None = None
    status: str | None = field(default=None, metadata=filter_field(choices=STATUS_LABELS))
    kind: str | None = field(default=None, metadata=filter_field(choices=KIND_LABELS))
    assignee_id: int | None = None


# --- reading ------------------------------------------------------------------------

def get_activity(activity_id: int) -> ActivityRecord:
    row = _activity_query().where(Activity.id == activity_id).first()
    if row is None:
        raise NotFound(_("Activity {id} does not exist.").format(id=activity_id))
    return _activity_record(row)


def get_activity_by_folio(folio: int | str) -> ActivityRecord:
    try:
        wanted = int(str(folio).strip().lstrip("#"))
    except ValueError:
        wanted = 0
    row = _activity_query().where(Activity.folio == wanted).first() if 0 < wanted < 2**31 else None
    if row is None:
        raise NotFound(_("There is no activity with folio {folio}.").format(folio=str(folio)[:20]))
    return _activity_record(row)


def follow_ups(activity_id: int) -> list[ActivityRecord]:
    """The tasks and activities that came from `activity_id`, oldest first."""
    rows = (_activity_query().where(Activity.source_activity == activity_id)
            .order_by(Activity.when, Activity.id))
    return [_activity_record(r) for r in rows]


def _filtered(query: pw.ModelSelect, filters: ActivityFilter) -> pw.ModelSelect:
    if filters.status:
        query = query.where(Activity.status == check_in_list(
            filters.status, STATUS_LABELS, "status", label("status")))
    if filters.kind:
        query = query.where(Activity.kind == check_in_list(filters.kind, KIND_LABELS, "kind", label("kind")))
    for value, column in ((filters.user_id, Activity.user),
                          (filters.client_id, Activity.client),
                          (filters.contact_id, Activity.contact),
                          (filters.category_id, Activity.category),
                          (filters.assignee_id, Activity.assignee)):
        if value is not None:
            query = query.where(column == value)
    return filters.dates.check("dates", label("dates")).apply(query, Activity.when)


def list_activities(filters: ActivityFilter = ActivityFilter(),
                    request: PageRequest = FIRST_PAGE) -> Page[ActivityRecord]:
    """One page of activities matching `filters`, most recent first."""
    ids = _filtered(Activity.select(Activity.id, Activity.when), filters)
    return paged_records(ids, [Activity.when, Activity.id], request, _activities_by_id)


# --- export -------------------------------------------------------------------------

ACTIVITY_COLUMNS = [
    Column("folio", N_("Folio"), INTEGER, 9),
    Column("kind", ACTIVITY_FIELDS.field("kind").label, TEXT, 10),
    Column("when", ACTIVITY_FIELDS.field("when").label, DATETIME, 17),
    Column("status", ACTIVITY_FIELDS.field("status").label, TEXT, 10),
    Column("client", N_("Client"), TEXT, 28),
    Column("contact", ACTIVITY_FIELDS.field("contact_id").label, TEXT, 24),
    Column("category", ACTIVITY_FIELDS.field("category_id").label, TEXT, 18),
    Column("user", N_("User"), TEXT, 20),
    Column("detail", ACTIVITY_FIELDS.field("detail").label, TEXT, 50),
    Column("followup_notes", ACTIVITY_FIELDS.field("followup_notes").label, TEXT, 40),
    Column("due_date", ACTIVITY_FIELDS.field("due_date").label, DATE, 11),
    Column("assignee", ACTIVITY_FIELDS.field("assignee_id").label, TEXT, 20),
    Column("source_folio", N_("Source activity"), INTEGER, 9),
    Column("order_number", N_("Service order"), INTEGER, 9),
    Column("created_by", N_("Created by"), TEXT, 14),
]


def iter_activity_rows(filters: ActivityFilter = ActivityFilter(), *, newest_first: bool = False) -> Iterator[tuple]:
    """Every activity matching `filters` as a tuple in ACTIVITY_COLUMNS order, oldest
    first (or, with newest_first, in the order list_activities shows them)."""
    query = _joined(Activity.select(
        Activity.folio, Activity.kind, Activity.when, Activity.status, Client.name, Contact.name,
        Category.name, display_name_sql(User), Activity.detail, Activity.followup_notes,
        Activity.due_date, display_name_sql(_Assignee), _Source.folio, ServiceOrder.number,
        Activity.created_by,
        Activity.when, Activity.id,  # the keyset cursor, dropped from the row
    ))
    query = _filtered(query, filters)
    kinds = {code: _(text) for code, text in KIND_LABELS.items()}
    statuses = {code: _(text) for code, text in STATUS_LABELS.items()}
    for row in iter_keyset(query, [Activity.when, Activity.id], descending=newest_first):
        yield (row[0], kinds.get(row[1], row[1]), row[2], statuses.get(row[3], row[3]), *row[4:-2])


def count_activity_rows(filters: ActivityFilter = ActivityFilter()) -> int:
    """How many rows iter_activity_rows(filters) gives (its joins never drop an activity)."""
    return _filtered(Activity.select(), filters).count()


# --- writing ------------------------------------------------------------------------


def _activity_values(fields: dict[str, Any], current: Activity | None = None) -> dict[str, Any]:
    """The columns for `fields` (input names), after every check (raises ValidationError)."""
    when = parse_datetime(fields.get("when"), "when", label("when"), required=True)
    contact = active_record(Contact, fields.get("contact_id"), "contact_id", label("contact_id"),
                            required=True, keep_inactive=current.contact_id if current else None)
    category = active_record(Category, fields.get("category_id"), "category_id", label("category_id"),
                             required=True, keep_inactive=current.category_id if current else None)
    detail = require(clean_text(fields.get("detail")), "detail", label("detail"))
    kind = check_in_list(fields.get("kind") or ACTIVITY, KIND_LABELS, "kind", label("kind"))
    status = check_in_list(fields.get("status") or PENDING, STATUS_LABELS, "status", label("status"))
    is_task = kind == TASK
    due_date = parse_date(fields.get("due_date"), "due_date", label("due_date"), required=is_task)
    assignee = active_record(User, fields.get("assignee_id"), "assignee_id", label("assignee_id"),
                             required=is_task, keep_inactive=current.assignee_id if current else None)
    user = active_record(User, fields.get("user_id"), "user_id", label("user_id"), required=True,
                         keep_inactive=current.user_id if current else None)
    return {
        "when": when, "contact": contact.id, "client": contact.client_id, "category": category.id,
        "detail": detail, "kind": kind, "status": status,
        "followup_notes": clean_text(fields.get("followup_notes")), "due_date": due_date,
        "assignee": assignee.id if assignee else None, "user": user.id,
    }


def _insert_activity(actor: Actor, values: dict[str, Any], source_activity_id: int | None) -> int:
    values = dict(values, source_activity=source_activity_id,
                  folio=counters.take_next(counters.ACTIVITY_FOLIO))
    return insert_new(Activity, actor, values)


def _check_source(source_activity_id: Any) -> int | None:
    source = chosen_id(source_activity_id, "source_activity_id", label("source_activity_id"))
    if source is not None and Activity.get_or_none(Activity.id == source) is None:
        raise ValidationError(
            _("{field}: the selected record no longer exists.").format(field=label("source_activity_id")),
            "source_activity_id")
    return source


@dataclass(frozen=True)
class ActivityInput(WriteInput):
    """An activity to add, or the fields of one to change (EDITABLE_FIELDS). On add, what
    remained pending comes with it: a task (create_task) and/or a service order
    (create_order); `user_id` left out is the one adding it."""

    when: Any = KEEP
    contact_id: Any = KEEP
    category_id: Any = KEEP
    detail: Any = KEEP
    kind: Any = KEEP
    status: Any = KEEP
    followup_notes: Any = KEEP
    due_date: Any = KEEP
    assignee_id: Any = KEEP
    user_id: Any = KEEP
    source_activity_id: Any = KEEP
    create_task: TaskInput | None = None
    create_order: OrderInput | None = None

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in super().given().items()
                if name not in ("create_task", "create_order")}


@retrying_write
def add_activity(actor: Actor, data: ActivityInput) -> ActivityRecord:
    """Save an activity, and with it (same transaction) its follow-up task and/or the
    service order it opens. If any part is refused, nothing is saved."""
    fields = data.given()
    source_activity_id = fields.pop("source_activity_id", None)
    if fields.get("user_id") is None:
        fields["user_id"] = actor.id
    values = _activity_values(fields)
    create_task, create_order = data.create_task, data.create_order
    with writing():
        permissions.check_add_activity(actor, values["user"])
        activity_id = _insert_activity(actor, values, _check_source(source_activity_id))
        if create_task is not None:
            _insert_task(actor, values, activity_id, create_task)
        if create_order is not None:
            order_id = orders.insert_order(actor, create_order, source_activity_id=activity_id)
            Activity.update(created_order_id=order_id).where(Activity.id == activity_id).execute()
    return get_activity(activity_id)


def _insert_task(actor: Actor, activity: dict[str, Any], activity_id: int, task: TaskInput) -> int:
    values = _activity_values({
        "when": activity["when"], "contact_id": activity["contact"],
        "category_id": task.category_id if task.category_id is not None else activity["category"],
        "detail": task.detail, "kind": TASK, "status": PENDING, "due_date": task.due_date,
        "assignee_id": task.assignee_id, "user_id": activity["user"],
    })
    return _insert_activity(actor, values, activity_id)


def _current(activity_id: int) -> Activity:
    row = Activity.get_or_none(Activity.id == activity_id)
    if row is None:
        raise NotFound(_("Activity {id} does not exist.").format(id=activity_id))
    return row


def _changeable(actor: Actor, activity_id: int) -> Activity:
    """The activity, once the actor may change it (its own, assigned to it, or an admin)."""
    row = _current(activity_id)
    owner = User.get_or_none(User.id == row.user_id)
    permissions.check_change_activity(actor, row.folio, row.user_id, row.created_by, row.assignee_id,
                                      display_name(owner) if owner else "")
    return row


def _as_input(row: Activity) -> dict[str, Any]:
    return {"when": row.when, "contact_id": row.contact_id, "category_id": row.category_id,
            "detail": row.detail, "kind": row.kind, "status": row.status,
            "followup_notes": row.followup_notes, "due_date": row.due_date,
            "assignee_id": row.assignee_id, "user_id": row.user_id}


@retrying_write
def modify_activity(actor: Actor, activity_id: int, version: int, data: ActivityInput) -> ActivityRecord:
    """Change the fields given (EDITABLE_FIELDS) of an activity read at `version`."""
    fields = data.given()
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if data.create_task is not None or data.create_order is not None:
        unknown.append("create_task" if data.create_task is not None else "create_order")
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: {fields}.").format(fields=", ".join(unknown)), unknown[0])
    with writing():
        row = _changeable(actor, activity_id)
        values = _activity_values({**_as_input(row), **fields}, row)
        update_versioned(Activity, activity_id, version, actor, values)
    return get_activity(activity_id)


@retrying_write
def _set_status(actor: Actor, activity_id: int, version: int, status: str, followup_notes: str) -> ActivityRecord:
    """The status the user chose for the activity read at `version`, with the note on how
    it was followed up (an empty note keeps the one there)."""
    changes: dict[str, Any] = {"status": status}
    notes = clean_text(followup_notes)
    if notes:
        changes["followup_notes"] = notes
    with writing():
        _changeable(actor, activity_id)
        update_versioned(Activity, activity_id, version, actor, changes)
    return get_activity(activity_id)


def mark_done(actor: Actor, activity_id: int, version: int, followup_notes: str = "") -> ActivityRecord:
    """Mark an activity or task done, keeping the notes on how it was followed up."""
    return _set_status(actor, activity_id, version, DONE, followup_notes)


def mark_pending(actor: Actor, activity_id: int, version: int, followup_notes: str = "") -> ActivityRecord:
    """Put a done activity back to pending, with the note on why."""
    return _set_status(actor, activity_id, version, PENDING, followup_notes)


# --- the activity screens: an activity with what remained pending; deleting one ----------
# (kept apart from the functions above: the screens' own entry points)



def new_entry_values() -> dict[str, Any]:
    """What Agregar Actividad starts with: now, nothing pending, a normal priority."""
    return {"when": now(), "pending": PENDING_NOTHING, ORDER_FIELD_PREFIX + "priority": "normal"}


def record_entry(actor: Actor, values: dict[str, Any]) -> ActivityRecord:
    """Save what an ACTIVITY_ENTRY form holds (record_activity, one transaction)."""
    pending = values.get("pending")
    task = order = None
    if pending == PENDING_TASK:
        prefix = TASK_FIELD_PREFIX
        task = TaskInput(due_date=values.get(prefix + "due_date"), assignee_id=values.get(prefix + "assignee_id"),
                         detail=values.get(prefix + "detail") or "")
    elif pending == PENDING_ORDER:
        prefix = ORDER_FIELD_PREFIX
        order = OrderInput(contact_id=None, category_id=values.get(prefix + "category_id"),
                           detail=values.get(prefix + "detail") or "",
                           priority=values.get(prefix + "priority") or "normal",
                           assigned_user_id=values.get(prefix + "assigned_user_id"),
                           appointment_at=values.get(prefix + "appointment_at"),
                           project_id=values.get(prefix + "project_id"),
                           equipment=values.get(prefix + "equipment") or "")
    return record_activity(actor, when=values.get("when"), contact_id=values.get("contact_id"),
                           category_id=values.get("category_id"), detail=values.get("detail") or "",
                           task=task, order=order)


def change_entry(actor: Actor, seen: ActivityRecord, values: dict[str, Any]) -> ActivityRecord:
    """Save what an ACTIVITY_CHANGE form holds over the activity as the user saw it."""
    changes = {name: value for name, value in values.items()
               if name in EDITABLE_FIELDS and name not in SHOWN_NOT_TYPED}
    if seen.kind != TASK:
        changes.pop("assignee_id", None)
        changes.pop("due_date", None)
    return modify_activity(actor, seen.id, seen.version, ActivityInput(**changes))


@contextmanager
def _part_of_form(prefix: str) -> Iterator[None]:
    """A refusal of the task or order part names that part's field (task_due_date,
    order_detail), not the activity's field of the same name."""
    try:
        yield
    except ValidationError as error:
        raise ValidationError(error.message, f"{prefix}{error.field}" if error.field else None) from None


@retrying_write
def record_activity(actor: Actor, *, when: dt.datetime | str | None, contact_id: int | None,
                    category_id: int | None, detail: str, task: TaskInput | None = None,
                    order: OrderInput | None = None) -> ActivityRecord:
    """Save what the user did and, in the same transaction, what remained pending: a task
    or a service order (not both). Nothing is saved when any part is refused.

    A task without its own detail carries the activity's; an order without its own
    contact, category or detail takes the activity's. Refusals of the task's fields name
    them with TASK_FIELD_PREFIX, the order's with ORDER_FIELD_PREFIX."""
    if task is not None and order is not None:
        raise ValidationError(_("Choose a task or a service order for what remained pending, not both."),
                              "pending")
    values = _activity_values({"when": when, "contact_id": contact_id, "category_id": category_id,
                               "detail": detail, "user_id": actor.id})
    with writing():
        permissions.check_add_activity(actor, values["user"])
        activity_id = _insert_activity(actor, values, None)
        if task is not None:
            with _part_of_form(TASK_FIELD_PREFIX):
                _insert_task(actor, values, activity_id, _task_with_defaults(task, values))
        if order is not None:
            with _part_of_form(ORDER_FIELD_PREFIX):
                order_id = orders.insert_order(actor, _order_with_defaults(order, values),
                                               source_activity_id=activity_id)
            Activity.update(created_order_id=order_id).where(Activity.id == activity_id).execute()
    return get_activity(activity_id)


def _task_with_defaults(task: TaskInput, activity: dict[str, Any]) -> TaskInput:
    detail = task.detail if clean_text(task.detail) else activity["detail"]
    return replace(task, detail=detail)


def _order_with_defaults(order: OrderInput, activity: dict[str, Any]) -> OrderInput:
    return replace(order,
                   contact_id=order.contact_id if order.contact_id is not None else activity["contact"],
                   category_id=order.category_id if order.category_id is not None else activity["category"],
                   detail=order.detail if clean_text(order.detail) else activity["detail"])


def may_delete(actor: Actor, activity: ActivityRecord) -> bool:
    """Whether `actor` may delete the activity: its author (who logged it, or whose it
    is) or an administrator."""
    return permissions.may_delete_activity(actor, activity.user_id, activity.created_by)


def may_change(actor: Actor, activity: ActivityRecord) -> bool:
    """Whether `actor` may change the activity: its author, its assignee or an administrator."""
    return permissions.may_change_activity(actor, activity.user_id, activity.created_by, activity.assignee_id)


@retrying_write
def delete_activity(actor: Actor, activity_id: int, version: int) -> None:
    """Delete an activity logged by mistake, as read at `version`.

    Only its author or an administrator may; an activity that opened a service order or
    has follow-up tasks is refused, saying why (the order or tasks would lose their origin)."""
    with writing():
        _current(activity_id)
        activity = get_activity(activity_id)
        permissions.check_delete_activity(actor, activity.folio, activity.user_id, activity.created_by,
                                          activity.user_name)
        _refuse_if_it_has_consequences(activity)
        delete_versioned(Activity, activity_id, version, actor)


def _refuse_if_it_has_consequences(activity: ActivityRecord) -> None:
    order = (ServiceOrder.select(ServiceOrder.number)
             .where((ServiceOrder.source_activity == activity.id)
                    | (ServiceOrder.id == (activity.created_order_id or 0)))
             .order_by(ServiceOrder.number).first())
    if order is not None:
        raise NotAllowed(_("Activity {folio} opened service order {number}, so it is not deleted: "
                           "the order keeps it as its origin. Change its detail instead.").format(
            folio=activity.folio, number=order.number))
    tasks = [str(row.folio) for row in Activity.select(Activity.folio)
             .where(Activity.source_activity == activity.id).order_by(Activity.folio).limit(5)]
    if tasks:
        raise NotAllowed(_("Activity {folio} has follow-ups (folios {folios}): delete those first.").format(
            folio=activity.folio, folios=", ".join(tasks)))


def largest_folio() -> int:
    """The largest folio given so far (how wide a folio column must be)."""
    return counters.peek_next(counters.ACTIVITY_FOLIO) - 1
