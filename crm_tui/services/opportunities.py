"""Sales opportunities: numbering, the status lifecycle and its history, lists, export.

new -> waiting (a comment and the next contact date) / working (the follow-up comment) /
closed (the invoice number) / lost (why it was lost and what to improve). closed and
lost are final. Every change of status is an OpportunityEvent in the history.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterator

import peewee as pw

from crm_tui.db import counters
from crm_tui.db.models import Client, Contact, Opportunity, OpportunityEvent, OpportunityType, User
from crm_tui.export.table import DATE, DATETIME, INTEGER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services.base import (
    FIRST_PAGE,
    KEEP,
    Actor,
    DateRange,
    Page,
    PageRequest,
    WriteInput,
    active_record,
    choice_from_word,
    chosen_id,
    clean_line,
    clean_text,
    display_name,
    display_name_sql,
    format_date,
    format_datetime,
    get_or_raise,
    iter_keyset,
    keyset_page,
    limit_length,
    parse_date,
    require,
    insert_new,
    stamp_new,
    update_versioned,
    retrying_write,
    writing,
)
from crm_tui.services import clock, permissions
from crm_tui.services.errors import ConflictError, NotFound, ValidationError
from crm_tui.services.fields import CHOICE, LOOKUP, MULTILINE, Entity, Field, model_length
from crm_tui.services.fields import DATE as DATE_KIND
from crm_tui.services.filters import filter_field

NEW, WAITING, WORKING, CLOSED, LOST = Opportunity.STATUSES
STATUSES = Opportunity.STATUSES
FINAL_STATUSES = (CLOSED, LOST)

STATUS_LABELS = {
    NEW: N_("New"),
    WAITING: N_("Waiting"),
    WORKING: N_("Working"),
    CLOSED: N_("Closed"),
    LOST: N_("Lost"),
}

# Field name -> N_() label, as forms and messages name them.
LABELS = {
    "contact_id": N_("Contact"),
    "type_id": N_("Opportunity type"),
    "agent_id": N_("Agent"),
    "subject": N_("Subject"),
    "observations": N_("Observations"),
    "found_us_by": N_("How they found us"),
    "status": N_("Status"),
    "comment": N_("Comment"),
    "next_contact_date": N_("Next contact date"),
    "invoice_number": N_("Invoice number"),
    "why_lost": N_("Why it was lost"),
    "to_improve": N_("What to improve"),
    "created": N_("Created"),
    "next_contact": N_("Next contact"),
}

# What each target status asks for, besides the status itself.
REQUIRED_FOR = {
    WAITING: ("comment", "next_contact_date"),
    WORKING: ("comment",),
    CLOSED: ("invoice_number",),
    LOST: ("why_lost", "to_improve"),
}

# --- the opportunity's fields, declared once ---------------------------------------------

OPPORTUNITY = Entity("opportunity", N_("Opportunity"), (
    Field("contact_id", LABELS["contact_id"], LOOKUP, required=True, lookup="contact"),
    Field("type_id", LABELS["type_id"], LOOKUP, required=True, lookup="opportunity_type"),
    Field("agent_id", LABELS["agent_id"], LOOKUP, required=True, lookup="user"),
    Field("subject", LABELS["subject"], required=True, max_length=model_length(Opportunity, "subject")),
    Field("observations", LABELS["observations"], MULTILINE),
    Field("found_us_by", LABELS["found_us_by"], max_length=model_length(Opportunity, "found_us_by")),
))


def _shown_for(name: str) -> tuple[str, ...]:
    """The target statuses that ask for a field."""
    return tuple(status for status, names in REQUIRED_FOR.items() if name in names)


# A status change: the fields a target status asks for are shown (and required) only for it.
# The comment is kept on every change; what waiting and working require of it and of the
# next contact date is checked on saving (REQUIRED_FOR), and shown at the field.
STATUS_CHANGE = Entity("opportunity_status", N_("Status change"), (
    Field("to_status", LABELS["status"], CHOICE, required=True,
          choices=tuple((status, STATUS_LABELS[status]) for status in REQUIRED_FOR)),
    Field("comment", LABELS["comment"], MULTILINE),
    Field("next_contact_date", LABELS["next_contact_date"], DATE_KIND, shown_when="to_status",
          shown_for=(WAITING, WORKING)),
    Field("invoice_number", LABELS["invoice_number"], required=True,
          max_length=model_length(Opportunity, "invoice_number"), shown_when="to_status",
          shown_for=_shown_for("invoice_number")),
    Field("why_lost", LABELS["why_lost"], MULTILINE, required=True, shown_when="to_status",
          shown_for=_shown_for("why_lost")),
    Field("to_improve", LABELS["to_improve"], MULTILINE, required=True, shown_when="to_status",
          shown_for=_shown_for("to_improve")),
))


def status_label(status: str) -> str:
    """The translated name of a status code ("" for the start of the history)."""
    label = STATUS_LABELS.get(status)
    return _(label) if label else status


def _label(name: str) -> str:
    return _(LABELS[name])


def status_from_word(word: str) -> str:
    """The status a word names, in either language, whatever its case or accents
    ("Perdida", "en espera", "LOST")."""
    return choice_from_word(word, STATUS_LABELS, "status", _label("status"))


# --- records ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpportunityRecord:
    id: int
    number: int
    contact_id: int
    contact_name: str
    client_id: int
    client_name: str
    type_id: int
    type_name: str
    agent_id: int
    agent_name: str
    subject: str
    observations: str
    found_us_by: str
    status: str
    next_contact_date: dt.date | None
    invoice_number: str
    why_lost: str
    to_improve: str
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class EventRecord:
    id: int
    when: dt.datetime
    user_id: int
    user_name: str
    from_status: str
    to_status: str
    comment: str
    next_contact_date: dt.date | None
    invoice_number: str
    why_lost: str
    to_improve: str


@dataclass(frozen=True)
class OpportunityDetail:
    opportunity: OpportunityRecord
    events: list[EventRecord] = field(default_factory=list)


def _record_query() -> pw.ModelSelect:
    return (Opportunity
            .select(Opportunity, Contact.id, Contact.name, Client.id, Client.name,
                    OpportunityType.id, OpportunityType.name, User.id, User.username, User.full_name)
            .join(Contact, on=(Opportunity.contact == Contact.id))
            .switch(Opportunity).join(Client, on=(Opportunity.client == Client.id))
            .switch(Opportunity).join(OpportunityType, on=(Opportunity.type == OpportunityType.id))
            .switch(Opportunity).join(User, on=(Opportunity.agent == User.id)))


def _to_record(row: Opportunity) -> OpportunityRecord:
    return OpportunityRecord(
        id=row.id, number=row.number,
        contact_id=row.contact_id, contact_name=row.contact.name,
        client_id=row.client_id, client_name=row.client.name,
        type_id=row.type_id, type_name=row.type.name,
        agent_id=row.agent_id, agent_name=display_name(row.agent),
        subject=row.subject, observations=row.observations, found_us_by=row.found_us_by,
        status=row.status, next_contact_date=row.next_contact_date,
        invoice_number=row.invoice_number, why_lost=row.why_lost, to_improve=row.to_improve,
        version=row.version, created_at=row.created_at, created_by=row.created_by,
        updated_at=row.updated_at, updated_by=row.updated_by,
    )


def _to_event(row: OpportunityEvent) -> EventRecord:
    return EventRecord(
        id=row.id, when=row.when, user_id=row.user_id, user_name=display_name(row.user),
        from_status=row.from_status, to_status=row.to_status, comment=row.comment,
        next_contact_date=row.next_contact_date, invoice_number=row.invoice_number,
        why_lost=row.why_lost, to_improve=row.to_improve,
    )


def _read_record(opportunity_id: int) -> OpportunityRecord:
    row = _record_query().where(Opportunity.id == opportunity_id).first()
    if row is None:
        raise NotFound(_("{what} {id} does not exist.").format(what=_("Opportunity"), id=opportunity_id))
    return _to_record(row)


# --- checks -------------------------------------------------------------------------


def _max_length(name: str) -> int:
    return getattr(Opportunity, name).max_length


def _check_line(name: str, value: Any, required: bool = False) -> str:
    text = clean_line(value)
    if required:
        require(text, name, _label(name))
    return limit_length(text, name, _label(name), _max_length(name))


def _check_contact(contact_id: Any) -> Contact:
    return active_record(Contact, contact_id, "contact_id", _label("contact_id"), required=True)


def _check_type(type_id: Any) -> OpportunityType:
    return active_record(OpportunityType, type_id, "type_id", _label("type_id"), required=True)


def _check_agent(agent_id: Any) -> User:
    return active_record(User, agent_id, "agent_id", _label("agent_id"), required=True)


def _as_id(value: Any, name: str) -> int:
    number = chosen_id(value, name, _label(name))
    if number is None:
        raise ValidationError(_("{field} is required.").format(field=_label(name)), name)
    return number


# --- writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpportunityInput(WriteInput):
    """An opportunity's describing fields (the status changes through change_status)."""

    contact_id: Any = KEEP
    type_id: Any = KEEP
    subject: Any = KEEP
    observations: Any = KEEP
    found_us_by: Any = KEEP
    agent_id: Any = KEEP  # the one adding it, when not given


@retrying_write
def add_opportunity(actor: Actor, data: OpportunityInput) -> OpportunityRecord:
    """A new opportunity (status new) with the next number; the history starts with it."""
    fields = data.given()
    subject = _check_line("subject", fields.get("subject"), required=True)
    found_us_by = _check_line("found_us_by", fields.get("found_us_by"))
    observations = clean_text(fields.get("observations"))
    with writing():
        permissions.check_may_write(actor)
        contact = _check_contact(fields.get("contact_id"))
        kind = _check_type(fields.get("type_id"))
        agent_id = fields.get("agent_id")
        agent = _check_agent(actor.id if agent_id is None else agent_id)
        stamps = stamp_new(actor)
        opportunity_id = insert_new(Opportunity, actor, dict(
            number=counters.take_next(counters.OPPORTUNITY_NUMBER),
            contact=contact.id, client=contact.client_id, type=kind.id, agent=agent.id,
            subject=subject, observations=observations, found_us_by=found_us_by,
            status=NEW))
        OpportunityEvent.create(opportunity=opportunity_id, when=stamps["created_at"], user=actor.id,
                                from_status="", to_status=NEW, **stamps)
        return _read_record(opportunity_id)


@retrying_write
def modify_opportunity(actor: Actor, opportunity_id: int, version: int, data: OpportunityInput) -> OpportunityRecord:
    """Change the describing fields given (not the status: that is change_status)."""
    fields = data.given()
    changes: dict[str, Any] = {}
    if "subject" in fields:
        changes["subject"] = _check_line("subject", fields["subject"], required=True)
    if "found_us_by" in fields:
        changes["found_us_by"] = _check_line("found_us_by", fields["found_us_by"])
    if "observations" in fields:
        changes["observations"] = clean_text(fields["observations"])
    with writing():
        current = _changeable(actor, opportunity_id)
        if "contact_id" in fields and _as_id(fields["contact_id"], "contact_id") != current.contact_id:
            contact = _check_contact(fields["contact_id"])
            changes.update(contact=contact.id, client=contact.client_id)
        if "type_id" in fields and _as_id(fields["type_id"], "type_id") != current.type_id:
            changes["type"] = _check_type(fields["type_id"]).id
        if "agent_id" in fields and _as_id(fields["agent_id"], "agent_id") != current.agent_id:
            changes["agent"] = _check_agent(fields["agent_id"]).id
        update_versioned(Opportunity, opportunity_id, version, actor, changes)
        return _read_record(opportunity_id)


def _changeable(actor: Actor, opportunity_id: int) -> Opportunity:
    """The opportunity, once the actor may change it (its agent, who added it, or an admin)."""
    current = get_or_raise(Opportunity, opportunity_id, _("Opportunity"))
    agent = User.get_or_none(User.id == current.agent_id)
    permissions.check_change_opportunity(actor, current.number, current.agent_id, current.created_by,
                                         display_name(agent) if agent else "")
    return current


@retrying_write
def change_status(actor: Actor, opportunity_id: int, version: int, to_status: str, *,
                  comment: str = "", next_contact_date: str | dt.date | None = None,
                  invoice_number: str = "", why_lost: str = "",
                  to_improve: str = "") -> OpportunityRecord:
    """Move the opportunity to `to_status` with what that status asks for, as an event.

    Only the fields that belong to the target status are kept: the invoice number on
    closed, why lost / what to improve on lost, the next contact date on waiting and
    working (cleared on the final states). The comment is kept on every change.
    """
    values = _status_values(to_status, comment, next_contact_date, invoice_number, why_lost, to_improve)
    with writing():
        current = _changeable(actor, opportunity_id)
        if current.status in FINAL_STATUSES:
            raise ConflictError(
                _("Opportunity {number} is already {status}; a closed or lost opportunity "
                  "cannot change its status any more.").format(
                    number=current.number, status=status_label(current.status)))
        update_versioned(Opportunity, opportunity_id, version, actor, {
            "status": to_status,
            "next_contact_date": values["next_contact_date"],
            "invoice_number": values["invoice_number"],
            "why_lost": values["why_lost"],
            "to_improve": values["to_improve"],
        })
        stamps = stamp_new(actor)
        OpportunityEvent.create(opportunity=opportunity_id, when=stamps["created_at"], user=actor.id,
                                from_status=current.status, to_status=to_status, **values, **stamps)
        return _read_record(opportunity_id)


def _status_values(to_status: str, comment: Any, next_contact_date: Any, invoice_number: Any,
                   why_lost: Any, to_improve: Any) -> dict[str, Any]:
    """Check what `to_status` needs and return the event's fields."""
    if to_status not in REQUIRED_FOR:
        raise ValidationError(
            _("{field} must be one of: {choices}.").format(
                field=_label("status"), choices=", ".join(status_label(s) for s in REQUIRED_FOR)),
            "status")
    values = {
        "comment": clean_text(comment),
        "next_contact_date": parse_date(next_contact_date, "next_contact_date", _label("next_contact_date")),
        "invoice_number": _check_line("invoice_number", invoice_number),
        "why_lost": clean_text(why_lost),
        "to_improve": clean_text(to_improve),
    }
    for name in REQUIRED_FOR[to_status]:
        if not values[name]:
            raise ValidationError(
                _("{field} is required to set the opportunity as {status}.").format(
                    field=_label(name), status=status_label(to_status)), name)
    day = values["next_contact_date"]
    if day is not None and to_status in (WAITING, WORKING) and day < clock.today():
        raise ValidationError(
            _("{field} cannot be in the past ({date}).").format(
                field=_label("next_contact_date"), date=format_date(day)), "next_contact_date")
    if to_status not in (WAITING, WORKING):
        values["next_contact_date"] = None
    if to_status != CLOSED:
        values["invoice_number"] = ""
    if to_status != LOST:
        values["why_lost"] = values["to_improve"] = ""
    return values


# --- reading ------------------------------------------------------------------------


def history(opportunity_id: int) -> list[EventRecord]:
    """The changes of status of an opportunity, oldest first."""
    rows = (OpportunityEvent
            .select(OpportunityEvent, User.id, User.username, User.full_name)
            .join(User, on=(OpportunityEvent.user == User.id))
            .where(OpportunityEvent.opportunity == opportunity_id)
            .order_by(OpportunityEvent.when, OpportunityEvent.id))
    return [_to_event(row) for row in rows]


def get_opportunity(opportunity_id: int) -> OpportunityDetail:
    record = _read_record(opportunity_id)
    return OpportunityDetail(record, history(opportunity_id))


@dataclass(frozen=True)
class OpportunityFilter:
    """What a list of opportunities shows: by default the new ones."""

    status: str | None = field(default=NEW, metadata=filter_field(choices=STATUS_LABELS))  # None: any
    type_id: int | None = field(default=None, metadata=filter_field(N_("Type"), lookup="opportunity_type"))
    agent_id: int | None = field(default=None, metadata=filter_field(N_("Agent")))
    client_id: int | None = None
    contact_id: int | None = None
    created: DateRange = DateRange()
    next_contact: DateRange = field(default=DateRange(), metadata=filter_field(N_("Contact on")))


def _filtered(query: pw.Select, filters: OpportunityFilter) -> pw.Select:
    if filters.status is not None:
        if filters.status not in STATUSES:
            raise ValidationError(
                _("{field} must be one of: {choices}.").format(
                    field=_label("status"), choices=", ".join(status_label(s) for s in STATUSES)),
                "status")
        query = query.where(Opportunity.status == filters.status)
    for column, value in ((Opportunity.type, filters.type_id), (Opportunity.agent, filters.agent_id),
                          (Opportunity.client, filters.client_id), (Opportunity.contact, filters.contact_id)):
        if value is not None:
            query = query.where(column == value)
    query = filters.created.check("created", _label("created")).apply(query, Opportunity.created_at)
    next_contact = filters.next_contact.check("next_contact", _label("next_contact"))
    # A date column is compared with dates: on SQLite '2026-01-05' sorts before
    # '2026-01-05 00:00:00', so DateRange.apply (made for timestamps) would skip the first day.
    if next_contact.start:
        query = query.where(Opportunity.next_contact_date >= next_contact.start)
    if next_contact.end:
        query = query.where(Opportunity.next_contact_date <= next_contact.end)
    return query


def list_opportunities(filters: OpportunityFilter = OpportunityFilter(),
                       request: PageRequest = FIRST_PAGE) -> Page[OpportunityRecord]:
    """One page of the opportunities that pass `filters`, newest number first."""
    return keyset_page(_filtered(_record_query(), filters), [Opportunity.number], True, request, _to_record)


# --- export -------------------------------------------------------------------------

OPPORTUNITY_COLUMNS = [
    Column("number", N_("Number"), INTEGER, 8),
    Column("status", N_("Status"), TEXT, 10),
    Column("created_at", N_("Created"), DATETIME, 17),
    Column("client", N_("Client"), TEXT, 30),
    Column("contact", OPPORTUNITY.field("contact_id").label, TEXT, 28),
    Column("type", OPPORTUNITY.field("type_id").label, TEXT, 18),
    Column("agent", OPPORTUNITY.field("agent_id").label, TEXT, 22),
    Column("subject", OPPORTUNITY.field("subject").label, TEXT, 40),
    Column("next_contact_date", N_("Next contact date"), DATE, 12),
    Column("invoice_number", N_("Invoice number"), TEXT, 14),
    Column("found_us_by", OPPORTUNITY.field("found_us_by").label, TEXT, 20),
    Column("observations", OPPORTUNITY.field("observations").label, TEXT, 50),
    Column("why_lost", N_("Why it was lost"), TEXT, 40),
    Column("to_improve", N_("What to improve"), TEXT, 40),
]


def iter_opportunity_rows(filters: OpportunityFilter = OpportunityFilter()) -> Iterator[tuple]:
    """Every opportunity that passes `filters` as a row of OPPORTUNITY_COLUMNS, newest first."""
    agent_name = display_name_sql(User)
    query = (Opportunity
             .select(Opportunity.number, Opportunity.status, Opportunity.created_at, Client.name,
                     Contact.name, OpportunityType.name, agent_name, Opportunity.subject,
                     Opportunity.next_contact_date, Opportunity.invoice_number, Opportunity.found_us_by,
                     Opportunity.observations, Opportunity.why_lost, Opportunity.to_improve,
                     Opportunity.number)
             .join(Contact, on=(Opportunity.contact == Contact.id))
             .switch(Opportunity).join(Client, on=(Opportunity.client == Client.id))
             .switch(Opportunity).join(OpportunityType, on=(Opportunity.type == OpportunityType.id))
             .switch(Opportunity).join(User, on=(Opportunity.agent == User.id)))
    labels = {code: status_label(code) for code in STATUSES}
    for row in iter_keyset(_filtered(query, filters), [Opportunity.number], descending=True):
        yield (row[0], labels.get(row[1], row[1]), *row[2:-1])


def count_opportunity_rows(filters: OpportunityFilter = OpportunityFilter()) -> int:
    """How many rows iter_opportunity_rows(filters) gives (every opportunity has the
    contact, client, type and agent it joins)."""
    return _filtered(Opportunity.select(), filters).count()


# --- the home screen: counts by status, and who to contact again ---------------------


def status_counts(agent_id: int | None = None) -> dict[str, int]:
    """How many opportunities each status holds: one agent's, or everyone's (None)."""
    query = Opportunity.select(Opportunity.status, pw.fn.COUNT(Opportunity.id))
    if agent_id is not None:
        query = query.where(Opportunity.agent == agent_id)
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in query.group_by(Opportunity.status).tuples():
        counts[status] = count
    return counts


def due_for_contact(agent_id: int | None = None, limit: int = 20) -> list[OpportunityRecord]:
    """The open opportunities whose next contact date is today or past, the oldest first."""
    query = (_record_query()
             .where(Opportunity.next_contact_date <= clock.today(),
                    Opportunity.status.in_((WAITING, WORKING))))
    if agent_id is not None:
        query = query.where(Opportunity.agent == agent_id)
    rows = query.order_by(Opportunity.next_contact_date, Opportunity.number).limit(limit)
    return [_to_record(row) for row in rows]


def history_rows(events: list[EventRecord]) -> Iterator[tuple]:
    """The history as rows of HISTORY_COLUMNS (for the clipboard, the sheet and the printer)."""
    for event in events:
        yield (event.when, event.user_name, status_label(event.from_status) if event.from_status else "",
               status_label(event.to_status), event.comment, event.next_contact_date,
               event.invoice_number, event.why_lost, event.to_improve)


HISTORY_COLUMNS = [
    Column("when", N_("When"), DATETIME, 17),
    Column("user", N_("User"), TEXT, 20),
    Column("from_status", N_("From"), TEXT, 10),
    Column("to_status", N_("To"), TEXT, 10),
    Column("comment", LABELS["comment"], TEXT, 40),
    Column("next_contact_date", LABELS["next_contact_date"], DATE, 12),
    Column("invoice_number", LABELS["invoice_number"], TEXT, 14),
    Column("why_lost", LABELS["why_lost"], TEXT, 40),
    Column("to_improve", LABELS["to_improve"], TEXT, 40),
]


def history_lines(record: OpportunityRecord, events: list[EventRecord]) -> list[str]:
    """The history told in lines (the screen, the clipboard and the printer): the
    opportunity first, then each movement with its texts, indented."""
    lines = [_("Opportunity {number}: {subject}").format(number=record.number, subject=record.subject),
             "{contact} ({client}) · {agent}".format(contact=record.contact_name, client=record.client_name,
                                                      agent=record.agent_name),
             ""]
    for event in events:
        move = status_label(event.to_status) if not event.from_status else "{start} → {end}".format(
            start=status_label(event.from_status), end=status_label(event.to_status))
        lines.append("{when} · {user} · {move}".format(
            when=format_datetime(event.when),
            user=event.user_name, move=move))
        for name in ("comment", "next_contact_date", "invoice_number", "why_lost", "to_improve"):
            value = getattr(event, name)
            if value in (None, ""):
                continue
            text = format_date(value) if isinstance(value, dt.date) else clean_text(value)
            label = _label(name)
            for number, line in enumerate(text.splitlines() or [""]):
                lines.append("    {label}: {line}".format(label=label, line=line) if number == 0
                             else "    " + " " * (len(label) + 2) + line)
    return lines
