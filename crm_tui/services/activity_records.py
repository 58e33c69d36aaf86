"""How an activity reads: its kinds and statuses with their labels, and `ActivityRecord`
with the query that builds it.

Apart from activities.py (writes, forms, filters, export), so that the home screen's
first page, read before its first frame, loads only this.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from crm_tui.db.models import Activity, Category, Client, Contact, ServiceOrder, User
from crm_tui.i18n import N_, _
from crm_tui.services.base import choice_from_word, display_name_sql

ACTIVITY, TASK = Activity.ACTIVITY, Activity.TASK
PENDING, DONE = Activity.PENDING, Activity.DONE

KIND_LABELS = {ACTIVITY: N_("Activity"), TASK: N_("Task")}
STATUS_LABELS = {PENDING: N_("Pending"), DONE: N_("Done")}

LABELS = {
    "folio": N_("Folio"),
    "when": N_("Date and time"),
    "contact_id": N_("Contact"),
    "category_id": N_("Category"),
    "detail": N_("Detail"),
    "kind": N_("Kind"),
    "status": N_("Status"),
    "followup_notes": N_("Follow-up notes"),
    "due_date": N_("Due date"),
    "assignee_id": N_("Assignee"),
    "user_id": N_("User"),
    "source_activity_id": N_("Source activity"),
    "dates": N_("Dates"),
}


def label(field_name: str) -> str:
    return _(LABELS[field_name])


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def status_from_word(word: str) -> str:
    """The status a word names, in either language, whatever its case or accents
    ("Pendiente", "done")."""
    return choice_from_word(word, STATUS_LABELS, "status", label("status"))


@dataclass(frozen=True)
class ActivityRecord:
    id: int
    folio: int
    kind: str
    when: dt.datetime
    user_id: int
    user_name: str
    contact_id: int
    contact_name: str
    client_id: int
    client_name: str
    category_id: int
    category_name: str
    detail: str
    status: str
    followup_notes: str
    due_date: dt.date | None
    assignee_id: int | None
    assignee_name: str
    source_activity_id: int | None
    source_folio: int | None
    created_order_id: int | None
    created_order_number: int | None
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def is_task(self) -> bool:
        return self.kind == TASK


_Assignee = User.alias("assignee")
_Source = Activity.alias("source")


def _joined(query: pw.ModelSelect) -> pw.ModelSelect:
    # LEFT joins keep activity the driving table, so paging walks its (when, id) indexes.
    return (query
            .join(User, pw.JOIN.LEFT_OUTER, on=(Activity.user == User.id))
            .switch(Activity)
            .join(Contact, pw.JOIN.LEFT_OUTER, on=(Activity.contact == Contact.id))
            .switch(Activity)
            .join(Client, pw.JOIN.LEFT_OUTER, on=(Activity.client == Client.id))
            .switch(Activity)
            .join(Category, pw.JOIN.LEFT_OUTER, on=(Activity.category == Category.id))
            .switch(Activity)
            .join(_Assignee, pw.JOIN.LEFT_OUTER, on=(Activity.assignee == _Assignee.id))
            .switch(Activity)
            .join(_Source, pw.JOIN.LEFT_OUTER, on=(Activity.source_activity == _Source.id))
            .switch(Activity)
            .join(ServiceOrder, pw.JOIN.LEFT_OUTER, on=(Activity.created_order_id == ServiceOrder.id)))


def _activity_query() -> pw.ModelSelect:
    return _joined(Activity.select(
        Activity,
        display_name_sql(User).alias("user_name"),
        Contact.name.alias("contact_name"),
        Client.name.alias("client_name"),
        Category.name.alias("category_name"),
        display_name_sql(_Assignee).alias("assignee_name"),
        _Source.folio.alias("source_folio"),
        ServiceOrder.number.alias("created_order_number"),
    )).objects()


def _activity_record(row: Activity) -> ActivityRecord:
    return ActivityRecord(
        id=row.id, folio=row.folio, kind=row.kind, when=row.when, user_id=row.user_id,
        user_name=row.user_name or "", contact_id=row.contact_id, contact_name=row.contact_name or "",
        client_id=row.client_id, client_name=row.client_name or "", category_id=row.category_id,
        category_name=row.category_name or "", detail=row.detail, status=row.status,
        followup_notes=row.followup_notes, due_date=row.due_date, assignee_id=row.assignee_id,
        assignee_name=row.assignee_name or "", source_activity_id=row.source_activity_id,
        source_folio=row.source_folio, created_order_id=row.created_order_id,
        created_order_number=row.created_order_number, version=row.version,
        created_at=row.created_at, created_by=row.created_by, updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _activities_by_id(ids: list[int]) -> dict[int, ActivityRecord]:
    return {row.id: _activity_record(row) for row in _activity_query().where(Activity.id.in_(ids))}
