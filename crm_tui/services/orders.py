"""Service orders: open -> finished -> closed, with work entries and customer reviews.

An order is open until a service entry marks the service finished; the customer's
verification then closes it (with a rating and comments) or sends it back to open.
Reopening keeps every entry and review and counts how many times it happened.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterator, TypeVar

import peewee as pw

from crm_tui.db import counters
from crm_tui.db.models import (
    Activity,
    Category,
    Client,
    Contact,
    OrderReview,
    Project,
    ServiceEntry,
    ServiceOrder,
    User,
)
from crm_tui.export.table import DATETIME, INTEGER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services.base import (
    FIRST_PAGE,
    Actor,
    DateRange,
    Page,
    PageRequest,
    active_record,
    choice_from_word,
    clean_text,
    display_name_sql,
    format_datetime,
    iter_keyset,
    paged_records,
    parse_datetime,
    require,
    insert_new,
    stamp_new,
    update_versioned,
    retrying_write,
    writing,
)
from crm_tui.services import permissions
from crm_tui.services.clock import now
from crm_tui.services.filters import filter_field
from crm_tui.services.errors import ConflictError, NotFound, ValidationError
from crm_tui.services.fields import BOOL, CHOICE, LOOKUP, MULTILINE, WHOLE, Entity, Field
from crm_tui.services.fields import DATETIME as DATETIME_KIND

T = TypeVar("T")

OPEN, FINISHED, CLOSED = ServiceOrder.OPEN, ServiceOrder.FINISHED, ServiceOrder.CLOSED
STATUSES = (OPEN, FINISHED, CLOSED)
PRIORITIES = ServiceOrder.PRIORITIES
PENDING_STATUSES = (OPEN, FINISHED)

STATUS_LABELS = {OPEN: N_("Open"), FINISHED: N_("Finished"), CLOSED: N_("Closed")}
PRIORITY_LABELS = {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")}
REVIEW_ACTION_LABELS = {OrderReview.VERIFY: N_("Verification"), OrderReview.REOPEN: N_("Reopened")}

MIN_RATING, MAX_RATING = 1, 5
MAX_MINUTES = 99_999

# Form field -> label, so every message names the field the way the form shows it.
LABELS = {
    "number": N_("Order number"),
    "contact_id": N_("Contact"),
    "category_id": N_("Category"),
    "detail": N_("Detail"),
    "priority": N_("Priority"),
    "assigned_user_id": N_("Technician"),
    "appointment_at": N_("Appointment"),
    "project_id": N_("Project"),
    "equipment": N_("Equipment received"),
    "status": N_("Status"),
    "when": N_("Date and time"),
    "work_done": N_("Work done"),
    "minutes": N_("Minutes spent"),
    "user_id": N_("User"),
    "rating": N_("Rating"),
    "customer_comments": N_("Customer comments"),
    "created": N_("Created on"),
    "finished": N_("Finished on"),
    "source_activity_id": N_("Source activity"),
}


# --- field declarations (forms, columns and exports are made from these) ---------------

ORDER = Entity("service_order", N_("Service order"), (
    Field("project_id", LABELS["project_id"], LOOKUP, lookup="project",
          help=N_("Optional; it narrows the contacts to its client")),
    Field("contact_id", LABELS["contact_id"], LOOKUP, required=True, lookup="contact"),
    Field("priority", LABELS["priority"], CHOICE, required=True, choices=tuple(PRIORITY_LABELS.items())),
    Field("assigned_user_id", LABELS["assigned_user_id"], LOOKUP, lookup="user"),
    Field("appointment_at", LABELS["appointment_at"], DATETIME_KIND),
    Field("category_id", LABELS["category_id"], LOOKUP, required=True, lookup="category"),
    Field("detail", LABELS["detail"], MULTILINE, required=True),
    Field("equipment", LABELS["equipment"], MULTILINE),
))

SERVICE_ENTRY = Entity("service_entry", N_("Service entry"), (
    Field("order_id", LABELS["number"], LOOKUP, required=True, lookup="order"),
    Field("work_done", LABELS["work_done"], MULTILINE, required=True),
    Field("minutes", LABELS["minutes"], WHOLE, minimum=0, maximum=MAX_MINUTES),
    Field("service_finished", N_("Service finished"), BOOL),
))

VERIFICATION = Entity("order_verification", N_("Verification"), (
    Field("customer_comments", LABELS["customer_comments"], MULTILINE),
    Field("closed", N_("Service finished (closes the order)"), BOOL),
    Field("rating", LABELS["rating"], WHOLE, minimum=MIN_RATING, maximum=MAX_RATING, shown_when="closed",
          help=N_("1 (poor) to 5 (excellent)")),
))

REOPENING = Entity("order_reopening", N_("Reopening"), (
    Field("customer_comments", LABELS["customer_comments"], MULTILINE),
))


def label(field_name: str) -> str:
    return _(LABELS[field_name])


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def status_from_word(word: str) -> str:
    """The status a word names, in either language, whatever its case or accents
    ("Abierta", "OPEN", "cerrada")."""
    return choice_from_word(word, STATUS_LABELS, "status", label("status"))


def priority_label(priority: str) -> str:
    return _(PRIORITY_LABELS[priority]) if priority in PRIORITY_LABELS else priority


# --- records ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRecord:
    id: int
    number: int
    status: str
    priority: str
    project_id: int | None
    project_name: str
    contact_id: int
    contact_name: str
    client_id: int
    client_name: str
    assigned_user_id: int | None
    assigned_user_name: str
    appointment_at: dt.datetime | None
    category_id: int
    category_name: str
    detail: str
    equipment: str
    created_at: dt.datetime
    created_by: str
    finished_at: dt.datetime | None
    closed_at: dt.datetime | None
    rating: int | None
    customer_comments: str
    times_reopened: int
    source_activity_id: int | None
    version: int
    updated_at: dt.datetime
    updated_by: str

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def label(self) -> str:
        """The order in a look-up list: number, status, contact and client, the detail's start."""
        first_line = self.detail.splitlines()[0] if self.detail else ""
        return "{number} · {status} · {contact} ({client}) · {detail}".format(
            number=self.number, status=status_label(self.status), contact=self.contact_name,
            client=self.client_name, detail=first_line)


@dataclass(frozen=True)
class EntryRecord:
    id: int
    order_id: int
    when: dt.datetime
    user_id: int
    user_name: str
    work_done: str
    minutes: int | None
    service_finished: bool


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    order_id: int
    when: dt.datetime
    user_id: int
    user_name: str
    action: str
    customer_comments: str
    closed: bool
    rating: int | None


@dataclass(frozen=True)
class OrderDetail:
    order: OrderRecord
    entries: list[EntryRecord] = field(default_factory=list)
    reviews: list[ReviewRecord] = field(default_factory=list)


@dataclass(frozen=True)
class OrderInput:
    contact_id: int | None
    category_id: int | None
    detail: str
    priority: str = "normal"
    assigned_user_id: int | None = None
    appointment_at: dt.datetime | str | None = None
    project_id: int | None = None
    equipment: str = ""


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = field(default=None, metadata=filter_field(choices=STATUS_LABELS))
    user_id: int | None = None
    client_id: int | None = None
    contact_id: int | None = None
    project_id: int | None = None
    category_id: int | None = None
    created: DateRange = DateRange()
    finished: DateRange = DateRange()


# --- shared checks (activities use them too) ------------------------------------------


def check_in_list(value: Any, choices: dict[str, str], field_name: str, field_label: str) -> str:
    code = "" if value is None else str(value).strip()
    if code not in choices:
        raise ValidationError(
            _("{field} must be one of: {choices}.").format(
                field=field_label, choices=", ".join(_(text) for text in choices.values())), field_name)
    return code


# --- reading ------------------------------------------------------------------------

_Assigned = User.alias("assigned_user")


def _order_query() -> pw.ModelSelect:
    # LEFT joins keep service_order the driving table, so paging walks its number index.
    query = ServiceOrder.select(ServiceOrder,
                                Project.name.alias("project_name"),
                                Contact.name.alias("contact_name"),
                                Client.name.alias("client_name"),
                                display_name_sql(_Assigned).alias("assigned_user_name"),
                                Category.name.alias("category_name"))
    return _join_names(query).objects()


def _join_names(query: pw.ModelSelect) -> pw.ModelSelect:
    """Join the tables whose names an order shows (project, contact, client, technician,
    category) to a select driven by service_order."""
    return (query
            .join(Project, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.project == Project.id))
            .switch(ServiceOrder)
            .join(Contact, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.contact == Contact.id))
            .switch(ServiceOrder)
            .join(Client, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.client == Client.id))
            .switch(ServiceOrder)
            .join(_Assigned, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.assigned_user == _Assigned.id))
            .switch(ServiceOrder)
            .join(Category, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.category == Category.id)))


def _order_record(row: ServiceOrder) -> OrderRecord:
    return OrderRecord(
        id=row.id, number=row.number, status=row.status, priority=row.priority,
        project_id=row.project_id, project_name=row.project_name or "",
        contact_id=row.contact_id, contact_name=row.contact_name or "",
        client_id=row.client_id, client_name=row.client_name or "",
        assigned_user_id=row.assigned_user_id, assigned_user_name=row.assigned_user_name or "",
        appointment_at=row.appointment_at, category_id=row.category_id,
        category_name=row.category_name or "", detail=row.detail, equipment=row.equipment,
        created_at=row.created_at, created_by=row.created_by, finished_at=row.finished_at,
        closed_at=row.closed_at, rating=row.rating, customer_comments=row.customer_comments,
        times_reopened=row.times_reopened, source_activity_id=row.source_activity_id,
        version=row.version, updated_at=row.updated_at, updated_by=row.updated_by,
    )


def _read_order(order_id: int) -> OrderRecord:
    row = _order_query().where(ServiceOrder.id == order_id).first()
    if row is None:
        raise NotFound(_("Service order {id} does not exist.").format(id=order_id))
    return _order_record(row)


def _entries(order_id: int) -> list[EntryRecord]:
    rows = (ServiceEntry
            .select(ServiceEntry, display_name_sql(User).alias("user_name"))
            .join(User, on=(ServiceEntry.user == User.id))
            .where(ServiceEntry.order == order_id)
            .order_by(ServiceEntry.when, ServiceEntry.id)
            .objects())
    return [EntryRecord(id=r.id, order_id=r.order_id, when=r.when, user_id=r.user_id,
                        user_name=r.user_name or "", work_done=r.work_done, minutes=r.minutes,
                        service_finished=bool(r.service_finished)) for r in rows]


def _reviews(order_id: int) -> list[ReviewRecord]:
    rows = (OrderReview
            .select(OrderReview, display_name_sql(User).alias("user_name"))
            .join(User, on=(OrderReview.user == User.id))
            .where(OrderReview.order == order_id)
            .order_by(OrderReview.when, OrderReview.id)
            .objects())
    return [ReviewRecord(id=r.id, order_id=r.order_id, when=r.when, user_id=r.user_id,
                         user_name=r.user_name or "", action=r.action,
                         customer_comments=r.customer_comments, closed=bool(r.closed),
                         rating=r.rating) for r in rows]


def get_order(order_id: int) -> OrderDetail:
    order = _read_order(order_id)
    return OrderDetail(order, _entries(order.id), _reviews(order.id))


def get_order_by_number(number: int | str) -> OrderDetail:
    wanted = _order_number(number)
    row = ServiceOrder.select(ServiceOrder.id).where(ServiceOrder.number == wanted).first()
    if row is None:
        raise NotFound(_("There is no service order number {number}.").format(number=wanted))
    return get_order(row.id)


@dataclass(frozen=True)
class OrderEvent:
    """One line of an order's history: when, who, and what happened to its status."""

    when: dt.datetime
    user_name: str
    what: str


def order_history(detail: OrderDetail) -> list[OrderEvent]:
    """The order's life in time order: created, each finishing entry, each verification
    (closed, or back to open) and each reopening."""
    order = detail.order
    events = [OrderEvent(order.created_at, order.created_by, _("Created"))]
    events.extend(OrderEvent(entry.when, entry.user_name, _("Finished (service entry)"))
                  for entry in detail.entries if entry.service_finished)
    for review in detail.reviews:
        events.append(OrderEvent(review.when, review.user_name, _review_outcome(review)))
    return sorted(events, key=lambda event: event.when)


def _review_outcome(review: ReviewRecord) -> str:
    if review.action == OrderReview.REOPEN:
        return _("Reopened: back to open")
    if review.closed:
        return _("Verified and closed, rating {rating}").format(rating=review.rating)
    return _("Verified, not closed: back to open")


def closed_for_work_message(order: OrderRecord) -> str:
    """Why no work can be logged on `order` now, and what to do about it ("" when open)."""
    if order.status == OPEN:
        return ""
    if order.status == CLOSED:
        return _("Order {number} is closed: work can only be logged on open orders. "
                 "Reopen it first (Single order inquiry, Reopen).").format(number=order.number)
    return _("Order {number} is finished: work can only be logged on open orders. "
             "Verify it as not closed, or reopen it (Single order inquiry).").format(number=order.number)


def order_for_work(number: int | str) -> OrderDetail:
    """The open order with that number, to log work on; a number that names no order, or
    an order that is not open, is refused at the order number field."""
    try:
        detail = get_order_by_number(number)
    except NotFound as error:
        raise ValidationError(error.message, "number") from None
    refusal = closed_for_work_message(detail.order)
    if refusal:
        raise ValidationError(refusal, "number")
    return detail


def _order_number(value: int | str) -> int:
    try:
        number = int(str(value).strip().lstrip("#"))
    except ValueError:
        number = 0
    if number <= 0 or number > 2**31 - 1:
        raise ValidationError(
            _("{field} must be a whole number greater than zero.").format(field=label("number")), "number")
    return number


def lookup_orders(text: str, limit: int = 10) -> list[OrderRecord]:
    """Orders for a look-up box: the one with that number first, then newest whose detail
    contains the text (ignoring case)."""
    typed = clean_text(text).strip()
    if not typed or limit <= 0:
        return []
    found: list[OrderRecord] = []
    digits = typed.lstrip("#")
    if digits.isdigit() and len(digits) < 10:
        row = _order_query().where(ServiceOrder.number == int(digits)).first()
        if row is not None:
            found.append(_order_record(row))
    rows = (_order_query()
            .where(ServiceOrder.detail.contains(typed))
            .order_by(ServiceOrder.number.desc())
            .limit(limit))
    seen = {record.id for record in found}
    found.extend(_order_record(r) for r in rows if r.id not in seen)
    return found[:limit]


def _filtered(query: pw.ModelSelect, filters: OrderFilter) -> pw.ModelSelect:
    if filters.status:
        query = query.where(ServiceOrder.status == check_in_list(
            filters.status, STATUS_LABELS, "status", label("status")))
    for value, column in ((filters.user_id, ServiceOrder.assigned_user),
                          (filters.client_id, ServiceOrder.client),
                          (filters.contact_id, ServiceOrder.contact),
                          (filters.project_id, ServiceOrder.project),
                          (filters.category_id, ServiceOrder.category)):
        if value is not None:
            query = query.where(column == value)
    query = filters.created.check("created", label("created")).apply(query, ServiceOrder.created_at)
    query = filters.finished.check("finished", label("finished")).apply(query, ServiceOrder.finished_at)
    return query


def _orders_by_id(ids: list[int]) -> dict[int, OrderRecord]:
    return {row.id: _order_record(row) for row in _order_query().where(ServiceOrder.id.in_(ids))}


def _order_ids() -> pw.ModelSelect:
    return ServiceOrder.select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.created_at,
                               ServiceOrder.finished_at)


def list_orders(filters: OrderFilter = OrderFilter(), request: PageRequest = FIRST_PAGE) -> Page[OrderRecord]:
    """One page of orders matching `filters`, newest first.

    Filtered by a finished or created date range, the list is in that date's order, so
    one index serves both the range and the order; otherwise by number.
    """
    return paged_records(_filtered(_order_ids(), filters), _list_keys(filters), request, _orders_by_id)


def _list_keys(filters: OrderFilter) -> list[pw.Field]:
    if filters.finished.start or filters.finished.end:
        return [ServiceOrder.finished_at, ServiceOrder.number]
    if filters.created.start or filters.created.end:
        return [ServiceOrder.created_at, ServiceOrder.number]
    return [ServiceOrder.number]


def project_orders(project_id: int, pending: bool, request: PageRequest = FIRST_PAGE) -> Page[OrderRecord]:
    """A project's pending (open or finished) or completed (closed) orders."""
    statuses = PENDING_STATUSES if pending else (CLOSED,)
    query = _order_ids().where((ServiceOrder.project == project_id) & ServiceOrder.status.in_(statuses))
    return paged_records(query, [ServiceOrder.number], request, _orders_by_id)


# --- export -------------------------------------------------------------------------

ORDER_COLUMNS = [
    Column("number", N_("Number"), INTEGER, 9),
    Column("status", N_("Status"), TEXT, 11),
    Column("priority", N_("Priority"), TEXT, 9),
    Column("created_at", N_("Created on"), DATETIME, 17),
    Column("client", N_("Client"), TEXT, 28),
    Column("contact", N_("Contact"), TEXT, 24),
    Column("project", N_("Project"), TEXT, 22),
    Column("category", N_("Category"), TEXT, 18),
    Column("technician", N_("Technician"), TEXT, 20),
    Column("appointment_at", N_("Appointment"), DATETIME, 17),
    Column("detail", N_("Detail"), TEXT, 50),
    Column("equipment", N_("Equipment received"), TEXT, 30),
    Column("finished_at", N_("Finished on"), DATETIME, 17),
    Column("closed_at", N_("Closed on"), DATETIME, 17),
    Column("rating", N_("Rating"), INTEGER, 8),
    Column("customer_comments", N_("Customer comments"), TEXT, 40),
    Column("times_reopened", N_("Times reopened"), INTEGER, 9),
    Column("created_by", N_("Created by"), TEXT, 14),
]


# Rows read per query of an export: fewer round trips, still a few MB at most.
EXPORT_CHUNK = 5000


def iter_order_rows(filters: OrderFilter = OrderFilter()) -> Iterator[tuple]:
    """Every order matching `filters` as a tuple in ORDER_COLUMNS order, by number."""
    fields = [ServiceOrder.number, ServiceOrder.status, ServiceOrder.priority,
              ServiceOrder.created_at, Client.name, Contact.name, Project.name,
              Category.name, display_name_sql(_Assigned), ServiceOrder.appointment_at,
              ServiceOrder.detail, ServiceOrder.equipment, ServiceOrder.finished_at,
              ServiceOrder.closed_at, ServiceOrder.rating, ServiceOrder.customer_comments,
              ServiceOrder.times_reopened, ServiceOrder.created_by]
    # The last column is the keyset cursor, dropped from the row.
    query = _join_names(ServiceOrder.select(*fields, ServiceOrder.number))
    query = _filtered(query, filters)
    statuses = {code: _(text) for code, text in STATUS_LABELS.items()}
    priorities = {code: _(text) for code, text in PRIORITY_LABELS.items()}
    # Raw driver rows: only the date-time columns need converting (SQLite gives text), and
    # doing just that is a good part of the export's reading time.
    moments = [index for index, field in enumerate(fields) if isinstance(field, pw.DateTimeField)]
    moment = _raw_datetime
    for row in iter_keyset(query, [ServiceOrder.number], chunk_size=EXPORT_CHUNK, raw=True):
        values = list(row)
        del values[-1]
        values[1] = statuses.get(values[1], values[1])
        values[2] = priorities.get(values[2], values[2])
        for index in moments:
            if values[index].__class__ is str:
                values[index] = moment(values[index])
        yield tuple(values)


def count_order_rows(filters: OrderFilter = OrderFilter()) -> int:
    """How many rows iter_order_rows(filters) gives (the joins it adds never drop an order)."""
    return _filtered(ServiceOrder.select(), filters).count()


def _raw_datetime(text: str) -> dt.datetime:
    """A date-time as SQLite stores it (what peewee wrote) back as a datetime."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:  # a form fromisoformat does not read: peewee's own parsing
        return ServiceOrder.created_at.python_value(text)


# --- writing ------------------------------------------------------------------------


def _order_values(data: OrderInput, current: ServiceOrder | None = None) -> dict[str, Any]:
    """The columns `data` stands for, after every check (raises ValidationError)."""
    contact = active_record(Contact, data.contact_id, "contact_id", label("contact_id"), required=True,
                            keep_inactive=current.contact_id if current else None)
    category = active_record(Category, data.category_id, "category_id", label("category_id"),
                             required=True, keep_inactive=current.category_id if current else None)
    detail = require(clean_text(data.detail), "detail", label("detail"))
    priority = check_in_list(data.priority or "normal", PRIORITY_LABELS, "priority", label("priority"))
    technician = active_record(User, data.assigned_user_id, "assigned_user_id", label("assigned_user_id"),
                               required=False,
                               keep_inactive=current.assigned_user_id if current else None)
    appointment = parse_datetime(data.appointment_at, "appointment_at", label("appointment_at"))
    project = active_record(Project, data.project_id, "project_id", label("project_id"), required=False)
    if project is not None and project.client_id != contact.client_id:
        raise ValidationError(
            _("{field}: project {project} belongs to another client, not to {contact}'s.").format(
                field=label("project_id"), project=project.name, contact=contact.name), "project_id")
    return {
        "contact": contact.id, "client": contact.client_id, "category": category.id, "detail": detail,
        "priority": priority, "assigned_user": technician.id if technician else None,
        "appointment_at": appointment, "project": project.id if project else None,
        "equipment": clean_text(data.equipment),
    }


def insert_order(actor: Actor, data: OrderInput, source_activity_id: int | None = None) -> int:
    """Insert an order inside the caller's writing transaction and return its id."""
    values = _order_values(data)
    if source_activity_id is not None:
        if Activity.get_or_none(Activity.id == source_activity_id) is None:
            raise ValidationError(
                _("{field}: the selected record no longer exists.").format(
                    field=label("source_activity_id")), "source_activity_id")
    values.update(number=counters.take_next(counters.ORDER_NUMBER), status=OPEN,
                  source_activity=source_activity_id)
    return insert_new(ServiceOrder, actor, values)


@retrying_write
def add_order(actor: Actor, data: OrderInput, source_activity_id: int | None = None) -> OrderRecord:
    with writing():
        permissions.check_may_write(actor)
        order_id = insert_order(actor, data, source_activity_id)
    return _read_order(order_id)


def _current(order_id: int) -> ServiceOrder:
    row = ServiceOrder.get_or_none(ServiceOrder.id == order_id)
    if row is None:
        raise NotFound(_("Service order {id} does not exist.").format(id=order_id))
    return row


def _refuse_if_changed(row: ServiceOrder, version: int | None) -> None:
    """A status action on a copy older than the stored order is a conflict, whatever the
    status now: the user decided on what they saw."""
    if version is not None and row.version != version:
        raise ConflictError(
            _("{user} changed this record at {time} while you were editing it; "
              "reload it and make your change again.").format(
                user=row.updated_by or "?", time=format_datetime(row.updated_at)))


def _refuse_status(row: ServiceOrder, message: str) -> None:
    raise ConflictError(message.format(number=row.number, status=status_label(row.status).lower()))


@retrying_write
def modify_order(actor: Actor, order_id: int, version: int, data: OrderInput) -> OrderRecord:
    """Change an open order's data (refused once finished or closed)."""
    with writing():
        permissions.check_may_write(actor)
        row = _current(order_id)
        _refuse_if_changed(row, version)
        if row.status != OPEN:
            _refuse_status(row, _("Order {number} is {status}: only open orders can be changed."))
        update_versioned(ServiceOrder, order_id, version, actor, _order_values(data, row))
    return _read_order(order_id)


def _minutes(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        minutes = int(str(value).strip())
    except ValueError:
        minutes = -1
    if isinstance(value, float) and not value.is_integer():
        minutes = -1
    if not 0 <= minutes <= MAX_MINUTES:
        raise ValidationError(
            _("{field} must be a whole number from 0 to {maximum}.").format(
                field=label("minutes"), maximum=MAX_MINUTES), "minutes")
    return minutes


@retrying_write
def register_service(actor: Actor, order_id: int, version: int, *, when: dt.datetime | str | None,
                     work_done: str, minutes: int | str | None = None, service_finished: bool = False,
                     user_id: int | None = None) -> EntryRecord:
    """Log work on an open order read at `version`; `service_finished` finishes it at `when`.

    The order's version moves on, so someone editing it meanwhile gets a conflict, and so
    does logging work on a copy of the order older than another user's change.
    """
    moment = parse_datetime(when, "when", label("when"), required=True)
    work = require(clean_text(work_done), "work_done", label("work_done"))
    spent = _minutes(minutes)
    with writing():
        permissions.check_may_write(actor)
        row = _current(order_id)
        _refuse_if_changed(row, version)
        if row.status != OPEN:
            raise ConflictError(closed_for_work_message(_read_order(row.id)))
        technician = active_record(User, user_id if user_id is not None else actor.id, "user_id",
                                   label("user_id"), required=True)
        changes: dict[str, Any] = {}
        if service_finished:
            changes.update(status=FINISHED, finished_at=moment)
        update_versioned(ServiceOrder, order_id, version, actor, changes)
        entry_id = ServiceEntry.insert(
            order=order_id, when=moment, user=technician.id, work_done=work, minutes=spent,
            service_finished=bool(service_finished), **stamp_new(actor)).execute()
    return next(e for e in _entries(order_id) if e.id == entry_id)


def _rating(value: Any) -> int:
    if value is None or value == "":
        raise ValidationError(_("{field} is required.").format(field=label("rating")), "rating")
    try:
        rating = int(str(value).strip())
    except ValueError:
        rating = 0
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ValidationError(
            _("{field} must be a whole number from {low} to {high}.").format(
                field=label("rating"), low=MIN_RATING, high=MAX_RATING), "rating")
    return rating


def _add_review(actor: Actor, order_id: int, action: str, comments: str, closed: bool,
                rating: int | None, moment: dt.datetime) -> None:
    OrderReview.insert(order=order_id, when=moment, user=actor.id, action=action,
                       customer_comments=comments, closed=closed, rating=rating,
                       **stamp_new(actor)).execute()


@retrying_write
def verify_order(actor: Actor, order_id: int, version: int, *, closed: bool, rating: int | str | None = None,
                 customer_comments: str = "") -> OrderRecord:
    """The customer's verification of a finished order: closed with a rating and comments,
    or not satisfied, which puts the order back to open."""
    comments = clean_text(customer_comments)
    if closed:
        score = _rating(rating)
        require(comments, "customer_comments", label("customer_comments"))
    else:
        score = None
    with writing():
        permissions.check_may_write(actor)
        row = _current(order_id)
        _refuse_if_changed(row, version)
        if row.status != FINISHED:
            _refuse_status(row, _("Order {number} is {status}: only finished orders can be verified."))
        moment = now()
        if closed:
            changes = {"status": CLOSED, "closed_at": moment, "rating": score, "customer_comments": comments}
        else:
            changes = _reopening(row, comments)
        update_versioned(ServiceOrder, order_id, version, actor, changes)
        _add_review(actor, order_id, OrderReview.VERIFY, comments, bool(closed), score, moment)
    return _read_order(order_id)


def _reopening(row: ServiceOrder, comments: str) -> dict[str, Any]:
    changes = {"status": OPEN, "finished_at": None, "closed_at": None, "rating": None,
               "times_reopened": row.times_reopened + 1}
    if comments:
        changes["customer_comments"] = comments
    return changes


@retrying_write
def reopen_order(actor: Actor, order_id: int, version: int, *, customer_comments: str = "") -> OrderRecord:
    """Put a finished or closed order back to open; its entries and reviews stay."""
    comments = clean_text(customer_comments)
    with writing():
        permissions.check_may_write(actor)
        row = _current(order_id)
        _refuse_if_changed(row, version)
        if row.status not in (FINISHED, CLOSED):
            _refuse_status(row, _("Order {number} is {status}: only finished or closed orders can be reopened."))
        update_versioned(ServiceOrder, order_id, version, actor, _reopening(row, comments))
        _add_review(actor, order_id, OrderReview.REOPEN, comments, False, None, now())
    return _read_order(order_id)


def largest_order_number() -> int:
    """The largest order number stored (0 when none): MAX over the number's index."""
    return ServiceOrder.select(pw.fn.MAX(ServiceOrder.number)).scalar() or 0
