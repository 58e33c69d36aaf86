"""The follow-up home screen's reads and status changes: a person's pending activities and
tasks, the contact of one, their coming appointments, Ok and Pend with a note.

Kept apart from activities.py: these are the home screen's questions, built on the
activity and order records that module and orders.py define.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import peewee as pw

from crm_tui.db.models import Activity, Client, Contact, ServiceOrder
from crm_tui.i18n import N_, _
from crm_tui.services import activity_records, clock
from crm_tui.services.activity_records import ActivityRecord
from crm_tui.services.base import (
    FIRST_PAGE,
    Actor,
    Page,
    PageRequest,
    clean_text,
    format_datetime,
    keyset_page,
    paged_records,
)
from crm_tui.services.errors import NotFound, ValidationError
from crm_tui.services.followup_filter import ANY_STATUS, FollowupFilter  # noqa: F401 - part of this module's API

if TYPE_CHECKING:
    from crm_tui.services.orders import OrderRecord

# The home screen reads its first page before its first frame: what only later actions
# need (orders, the activities' writes) is imported by those actions.

APPOINTMENT_DAYS = 7  # today and the six days after it
APPOINTMENT_LIMIT = 20


@dataclass(frozen=True)
class ContactCard:
    """How to reach the contact of an activity."""

    id: int
    name: str
    client_name: str
    phone: str
    mobile: str
    email: str


_KEYS = [Activity.when, Activity.id]


def _followup_ids(filters: FollowupFilter, person: pw.Expression | None = None) -> pw.ModelSelect:
    """The ids and keys of the activities `filters` names; `person` replaces its
    "logged by or assigned to" condition (one half of it, for _person_page)."""
    query = Activity.select(Activity.id, Activity.when)
    if filters.status:
        query = query.where(Activity.status == activity_records.status_from_word(filters.status))
    if person is not None:
        query = query.where(person)
    elif filters.person_id is not None:
        query = query.where((Activity.user == filters.person_id) | (Activity.assignee == filters.person_id))
    if filters.client_id is not None:
        query = query.where(Activity.client == filters.client_id)
    if filters.contact_id is not None:
        query = query.where(Activity.contact == filters.contact_id)
    return filters.dates.check("dates", activity_records.label("dates")).apply(query, Activity.when)


def _person_page(filters: FollowupFilter, request: PageRequest) -> Page[int]:
    """A page of one person's activities: those they logged and the tasks assigned to
    them, each half read on its own index (person, status, when), merged by (when, id).

    One query with "logged by OR assigned to" walks the whole (status, when) index for a
    person with little pending among many activities."""
    person = filters.person_id
    halves = [_followup_ids(filters, Activity.user == person),
              _followup_ids(filters, (Activity.assignee == person) & (Activity.user != person))]
    pages = [keyset_page(query, _KEYS, True, request, lambda row: row.id) for query in halves]
    entries = sorted(((cursor, row_id) for page in pages for row_id, cursor in zip(page.rows, page.cursors)),
                     reverse=True)
    limit = request.clamped_limit()
    more = len(entries) > limit
    if request.last or request.before is not None:  # the rows just before the cursor (or the end)
        kept = entries[-limit:]
        has_before = more or any(page.has_before for page in pages)
        has_after = any(page.has_after for page in pages)
    else:
        kept = entries[:limit]
        has_before = any(page.has_before for page in pages)
        has_after = more or any(page.has_after for page in pages)
    return Page([row_id for _cursor, row_id in kept], [cursor for cursor, _row_id in kept], has_before, has_after)


def list_followup(filters: FollowupFilter = FollowupFilter(),
                  request: PageRequest = FIRST_PAGE) -> Page[ActivityRecord]:
    """One page of the activities and tasks `filters` names, most recent first."""
    if filters.person_id is None or request.around is not None:
        return paged_records(_followup_ids(filters), _KEYS, request, activity_records._activities_by_id)
    page = _person_page(filters, request)
    found = activity_records._activities_by_id(page.rows) if page.rows else {}
    kept = [(found[i], cursor) for i, cursor in zip(page.rows, page.cursors) if i in found]
    return Page([row for row, _cursor in kept], [cursor for _row, cursor in kept], page.has_before, page.has_after)


def contact_card(contact_id: int) -> ContactCard:
    row = (Contact.select(Contact.id, Contact.name, Contact.phone, Contact.mobile, Contact.email,
                          Client.name.alias("client_name"))
           .join(Client, pw.JOIN.LEFT_OUTER, on=(Contact.client == Client.id))
           .where(Contact.id == contact_id).objects().first())
    if row is None:
        raise NotFound(_("Contact {id} does not exist.").format(id=contact_id))
    return ContactCard(id=row.id, name=row.name, client_name=row.client_name or "", phone=row.phone,
                       mobile=row.mobile, email=row.email)


def appointments(user_id: int, days: int = APPOINTMENT_DAYS, limit: int = APPOINTMENT_LIMIT) -> list[OrderRecord]:
    """The open orders assigned to `user_id` with an appointment from today on, within
    `days` days, by appointment time."""
    from crm_tui.services.orders import OPEN, _orders_by_id

    start = dt.datetime.combine(clock.today(), dt.time())
    end = start + dt.timedelta(days=days)
    ids = [row.id for row in ServiceOrder.select(ServiceOrder.id)
           .where((ServiceOrder.assigned_user == user_id) & (ServiceOrder.status == OPEN)
                  & (ServiceOrder.appointment_at >= start) & (ServiceOrder.appointment_at < end))
           .order_by(ServiceOrder.appointment_at, ServiceOrder.id).limit(limit)]
    found = _orders_by_id(ids) if ids else {}
    return [found[order_id] for order_id in ids if order_id in found]


# --- Ok and Pend ----------------------------------------------------------------------


def _require_notes(notes: str) -> None:
    if not clean_text(notes):
        raise ValidationError(_("{field} is required.").format(field=activity_records.label("followup_notes")),
                              "followup_notes")


def mark_done_with_notes(actor: Actor, activity_id: int, version: int, notes: str) -> ActivityRecord:
    """[Ok]: the activity read at `version` is done; `notes` (required) become its follow-up
    notes. Another user's change since then is a conflict, never overwritten."""
    from crm_tui.services.activities import mark_done

    _require_notes(notes)
    return mark_done(actor, activity_id, version, notes)


def mark_pending_with_notes(actor: Actor, activity_id: int, version: int, notes: str) -> ActivityRecord:
    """[Pend]: a done activity read at `version` is pending again, its follow-up notes now
    `notes` (saying why it is pending again)."""
    from crm_tui.services.activities import mark_pending

    _require_notes(notes)
    return mark_pending(actor, activity_id, version, notes)


# --- the clipboard ------------------------------------------------------------------

COPY_LABELS = {
    "folio": N_("Folio"), "when": N_("Date and time"), "status": N_("Status"), "contact": N_("Contact"),
    "client": N_("Company"), "phone": N_("Phone"), "mobile": N_("Mobile"), "email": N_("E-mail"),
    "detail": N_("Detail"), "followup": N_("Follow-up"),
}


def clipboard_text(record: ActivityRecord, card: ContactCard | None) -> str:
    """The activity as plain lines to paste into a mail or a chat."""
    lines = [(COPY_LABELS["folio"], str(record.folio)),
             (COPY_LABELS["when"], format_datetime(record.when)),
             (COPY_LABELS["status"], activity_records.status_label(record.status)),
             (COPY_LABELS["contact"], record.contact_name),
             (COPY_LABELS["client"], record.client_name)]
    if card is not None:
        lines += [(COPY_LABELS["phone"], card.phone), (COPY_LABELS["mobile"], card.mobile),
                  (COPY_LABELS["email"], card.email)]
    text = "\n".join(f"{_(name)}: {value}" for name, value in lines if value)
    text += "\n{label}:\n{detail}".format(label=_(COPY_LABELS["detail"]), detail=record.detail)
    if record.followup_notes:
        text += "\n{label}:\n{notes}".format(label=_(COPY_LABELS["followup"]), notes=record.followup_notes)
    return text
