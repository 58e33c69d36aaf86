"""Reports on service orders (the Order reports menu)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Iterator

import peewee as pw

from crm_tui.db.models import Category, Client, Contact, Project, ServiceEntry, ServiceOrder, User
from crm_tui.export.table import DATE, INTEGER, NUMBER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services import orders
from crm_tui.services.base import DateRange, display_name_sql, iter_keyset
from crm_tui.services.clock import today
from crm_tui.services.reports import (
    CLIENT,
    DATES,
    DAY,
    ORDER,
    ORDER_REPORTS,
    PROJECT,
    RECORD_SHEET,
    ROUTE_SHEET,
    STATUS,
    USER,
    CalendarEvent,
    Report,
    ReportFilter,
    declare,
    with_defaults,
)
from crm_tui.services.reports.common import (
    CHUNK,
    as_date,
    as_datetime,
    average,
    by_name,
    counted_by_month,
    months_of,
    user_names,
)

_Technician = User.alias("technician")
APPOINTMENT_LENGTH = dt.timedelta(hours=1)


def _order_statuses():
    return orders.STATUS_LABELS, orders.status_from_word


def _restricted(query: pw.Select, filters: ReportFilter, dates_column: pw.Field = ServiceOrder.created_at) -> pw.Select:
    query = filters.dates.apply(query, dates_column)
    if filters.user_id is not None:
        query = query.where(ServiceOrder.assigned_user == filters.user_id)
    if filters.client_id is not None:
        query = query.where(ServiceOrder.client == filters.client_id)
    if filters.project_id is not None:
        query = query.where(ServiceOrder.project == filters.project_id)
    if filters.status is not None:
        query = query.where(ServiceOrder.status == filters.status)
    return query


def _with_names(query: pw.Select) -> pw.Select:
    return (query
            .join(Client, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.client == Client.id))
            .switch(ServiceOrder)
            .join(_Technician, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.assigned_user == _Technician.id))
            .switch(ServiceOrder))


def _status_counts() -> list[pw.Node]:
    return [pw.fn.SUM(pw.Case(None, [(ServiceOrder.status == status, 1)], 0)) for status in orders.STATUSES]


def _whole(values) -> list[int]:
    return [int(value or 0) for value in values]


# --- orders by status, with their age --------------------------------------------------

BY_STATUS_COLUMNS = [
    Column("status", N_("Status"), TEXT, 10),
    Column("number", N_("Number"), INTEGER, 7),
    Column("created", N_("Created on"), DATE, 10),
    Column("age", N_("Days"), INTEGER, 5),
    Column("client", N_("Client"), TEXT, 18),
    Column("technician", N_("Technician"), TEXT, 14),
]


def _by_status_rows(filters: ReportFilter) -> Iterator[tuple]:
    day = today()
    labels = {code: _(text) for code, text in orders.STATUS_LABELS.items()}
    query = _with_names(ServiceOrder.select(
        ServiceOrder.status, ServiceOrder.number, ServiceOrder.created_at, ServiceOrder.closed_at,
        Client.name, display_name_sql(_Technician), ServiceOrder.number))
    for status in _statuses_in_report_order(filters):
        # One status at a time, newest number first: an index on (status, number), or on
        # (client | user | project, number), then walks each chunk in order. A keyset over
        # (status, number) together made SQLite sort every order of a client per chunk, or
        # walk the numbers from the top again for each chunk of one status.
        of_status = _restricted(query, replace(filters, status=status))
        for row in iter_keyset(of_status, [ServiceOrder.number], descending=True, chunk_size=CHUNK):
            created = as_date(row[2])
            until = as_date(row[3]) if row[0] == orders.CLOSED and row[3] else day
            yield (labels.get(row[0], row[0]), row[1], created, (until - created).days, row[4], row[5])


def _statuses_in_report_order(filters: ReportFilter) -> list[str]:
    """Descending status order is open, finished, closed: what is still to do comes first."""
    if filters.status is not None:
        return [filters.status]
    return sorted(orders.STATUSES, reverse=True)


declare(Report(
    name="orders-by-status", title=N_("Service orders by status, with their age"), group=ORDER_REPORTS,
    restrictions=(DATES, USER, CLIENT, PROJECT, STATUS), columns=BY_STATUS_COLUMNS, rows=_by_status_rows,
    statuses=_order_statuses, count=lambda filters: _restricted(ServiceOrder.select(), filters).count(),
    note=N_("Days: from creation to closing, or to today when still open.")))


# --- work by technician per day ---------------------------------------------------------

WORK_COLUMNS = [
    Column("technician", N_("Technician"), TEXT, 24),
    Column("day", N_("Day"), DATE, 10),
    Column("entries", N_("Entries"), INTEGER, 8),
    Column("minutes", N_("Minutes"), INTEGER, 8),
]


def _work_query(filters: ReportFilter, *fields: pw.Node) -> pw.Select:
    query = filters.dates.apply(ServiceEntry.select(*fields), ServiceEntry.when)
    if filters.user_id is not None:
        query = query.where(ServiceEntry.user == filters.user_id)
    return query


def _days_of(month: DateRange) -> Iterator[dt.date]:
    for offset in range((month.end - month.start).days + 1):
        yield month.start + dt.timedelta(days=offset)


def _work_of_day(filters: ReportFilter, day: dt.date) -> list[tuple]:
    """(user, day, entries, minutes) of each technician who logged work on `day`."""
    query = (_work_query(replace(filters, dates=DateRange(day, day)), ServiceEntry.user,
                         pw.fn.COUNT(ServiceEntry.id), pw.fn.SUM(ServiceEntry.minutes))
             .group_by(ServiceEntry.user))
    return [(user, day, int(entries), int(minutes or 0)) for user, entries, minutes in query.tuples()]


def _work_rows(filters: ReportFilter) -> Iterator[tuple]:
    # Counted a day at a time on service_entry alone (its (when, user, minutes) index): a
    # day's entries group in memory, where one GROUP BY over a year sorts all of them.
    # A month of days is held and given by technician, then the next: a month reads as
    # before, and a history of years never waits for, nor holds, all of its days.
    names = user_names()
    for month in months_of(filters.dates, ServiceEntry.when):
        counted = []
        for day in _days_of(month):
            counted += _work_of_day(filters, day)
        yield from by_name(counted, names)


declare(Report(
    name="work-by-technician", title=N_("Work by technician per day"), group=ORDER_REPORTS,
    restrictions=(DATES, USER), columns=WORK_COLUMNS, rows=_work_rows, sums=("entries", "minutes"),
    chart_columns=("technician", "minutes"), chart_title=N_("Minutes by technician"), chart_by_label=True,
    month_by_default=True))


# --- orders by client, by project -------------------------------------------------------

_COUNT_COLUMNS = [
    Column("open", N_("Open"), INTEGER, 7),
    Column("finished", N_("Finished"), INTEGER, 9),
    Column("closed", N_("Closed"), INTEGER, 7),
    Column("total", N_("Total"), INTEGER, 7),
]
BY_CLIENT_COLUMNS = [Column("client", N_("Client"), TEXT, 40), *_COUNT_COLUMNS]
BY_PROJECT_COLUMNS = [Column("client", N_("Client"), TEXT, 22), Column("project", N_("Project"), TEXT, 22),
                      *_COUNT_COLUMNS]
_COUNT_SUMS = ("open", "finished", "closed", "total")


# Up to this many counted records are named with one look-up by id; more, by walking
# the names in order.
_FEW = 500


def _counted_orders(filters: ReportFilter, key: pw.Field) -> dict[int, list[int]]:
    """Orders counted by status per `key` (open, finished, closed, total), a quarter at a
    time on the order table alone (a covering index). A quarter, not a month: a month of
    a big company already counts most of its clients, and each piece gives them all again."""

    def month_counts(month: DateRange) -> pw.Select:
        query = _restricted(ServiceOrder.select(key, *_status_counts(), pw.fn.COUNT(ServiceOrder.id)),
                            replace(filters, dates=month))
        return query.where(key.is_null(False)).group_by(key)

    return counted_by_month(filters.dates, ServiceOrder.created_at, month_counts, months=3)


def _by_client_rows(filters: ReportFilter) -> Iterator[tuple]:
    counted = _counted_orders(filters, ServiceOrder.client)
    query = Client.select(Client.id, Client.name).order_by(Client.name, Client.id)
    if len(counted) <= _FEW:
        query = query.where(Client.id.in_(list(counted)))
    for client_id, name in query.tuples().iterator():
        if client_id in counted:
            yield (name, *counted[client_id])


def _by_project_rows(filters: ReportFilter) -> Iterator[tuple]:
    counted = _counted_orders(filters, ServiceOrder.project)
    query = (Project.select(Project.id, Client.name, Project.name)
             .join(Client, on=(Project.client == Client.id))
             .order_by(Client.name, Client.id, Project.name, Project.id))
    if len(counted) <= _FEW:
        query = query.where(Project.id.in_(list(counted)))
    for project_id, client, project in query.tuples().iterator():
        if project_id in counted:
            yield (client, project, *counted[project_id])


declare(Report(
    name="orders-by-client", title=N_("Service orders by client"), group=ORDER_REPORTS,
    restrictions=(DATES, USER, CLIENT), columns=BY_CLIENT_COLUMNS, rows=_by_client_rows, sums=_COUNT_SUMS,
    month_by_default=True))
declare(Report(
    name="orders-by-project", title=N_("Service orders by project"), group=ORDER_REPORTS,
    restrictions=(DATES, USER, CLIENT, PROJECT), columns=BY_PROJECT_COLUMNS, rows=_by_project_rows,
    sums=_COUNT_SUMS, month_by_default=True))


# --- customer satisfaction ----------------------------------------------------------------

SATISFACTION_COLUMNS = [
    Column("technician", N_("Technician"), TEXT, 24),
    Column("rated", N_("Rated"), INTEGER, 6),
    Column("average", N_("Average"), NUMBER, 7),
    *[Column(f"rating_{stars}", str(stars), INTEGER, 4) for stars in range(1, 6)],
]


def _rated(filters: ReportFilter, *fields: pw.Node) -> pw.Select:
    query = ServiceOrder.select(*fields).where(ServiceOrder.rating.is_null(False)
                                               & ServiceOrder.assigned_user.is_null(False))
    return _restricted(query, filters, dates_column=ServiceOrder.finished_at)


def _satisfaction_counts(filters: ReportFilter) -> list[tuple]:
    # Counted on the order table alone (one covering index); names are put on after.
    stars = [pw.fn.SUM(pw.Case(None, [(ServiceOrder.rating == value, 1)], 0)) for value in range(1, 6)]

    def month_counts(month: DateRange) -> pw.Select:
        query = _rated(replace(filters, dates=month), ServiceOrder.assigned_user, pw.fn.COUNT(ServiceOrder.id),
                       pw.fn.SUM(ServiceOrder.rating), *stars)
        return query.group_by(ServiceOrder.assigned_user)

    counted = counted_by_month(filters.dates, ServiceOrder.finished_at, month_counts)
    return by_name([(user, rated, average(total, rated), *stars)
                    for user, (rated, total, *stars) in counted.items()], user_names())


def _satisfaction_rows(filters: ReportFilter) -> Iterator[tuple]:
    yield from _satisfaction_counts(filters)


COMMENT_COLUMNS = [
    Column("technician", N_("Technician"), TEXT, 16),
    Column("number", N_("Number"), INTEGER, 7),
    Column("closed", N_("Closed on"), DATE, 10),
    Column("rating", N_("Rating"), INTEGER, 6),
    Column("comments", N_("Customer comments"), TEXT, 40),
]


def _comment_rows(filters: ReportFilter) -> Iterator[tuple]:
    query = _rated(filters, display_name_sql(_Technician), ServiceOrder.number, ServiceOrder.closed_at,
                   ServiceOrder.rating, ServiceOrder.customer_comments,
                   ServiceOrder.assigned_user, ServiceOrder.number).where(ServiceOrder.customer_comments != "")
    query = query.join(_Technician, on=(ServiceOrder.assigned_user == _Technician.id))
    for row in iter_keyset(query, [ServiceOrder.assigned_user, ServiceOrder.number], chunk_size=CHUNK):
        yield (row[0], row[1], as_date(row[2]), row[3], row[4])


declare(Report(
    name="satisfaction", title=N_("Customer satisfaction by technician"), group=ORDER_REPORTS,
    restrictions=(DATES, USER, CLIENT), columns=SATISFACTION_COLUMNS, rows=_satisfaction_rows,
    sums=("rated", "rating_1", "rating_2", "rating_3", "rating_4", "rating_5"),
    chart_columns=("technician", "average"), chart_title=N_("Average rating by technician"), month_by_default=True,
    note=N_("Orders rated by the customer, by the day the service was finished; 1 to 5: how many got each "
             "rating.")))
declare(Report(
    name="satisfaction-comments", title=N_("Customer comments by technician"), group=ORDER_REPORTS,
    restrictions=(DATES, USER, CLIENT), columns=COMMENT_COLUMNS, rows=_comment_rows))


# --- reopened orders ------------------------------------------------------------------------

REOPENED_COLUMNS = [
    Column("number", N_("Number"), INTEGER, 7),
    Column("created", N_("Created on"), DATE, 10),
    Column("status", N_("Status"), TEXT, 10),
    Column("client", N_("Client"), TEXT, 20),
    Column("technician", N_("Technician"), TEXT, 16),
    Column("times_reopened", N_("Reopened"), INTEGER, 8),
]


def _reopened_query(filters: ReportFilter, *fields: pw.Node) -> pw.Select:
    return _restricted(_with_names(ServiceOrder.select(*fields)).where(ServiceOrder.times_reopened > 0), filters)


def _reopened_rows(filters: ReportFilter) -> Iterator[tuple]:
    labels = {code: _(text) for code, text in orders.STATUS_LABELS.items()}
    query = _reopened_query(filters, ServiceOrder.number, ServiceOrder.created_at, ServiceOrder.status,
                            Client.name, display_name_sql(_Technician), ServiceOrder.times_reopened,
                            ServiceOrder.number)
    for row in iter_keyset(query, [ServiceOrder.number], descending=True, chunk_size=CHUNK):
        yield (row[0], as_date(row[1]), labels.get(row[2], row[2]), row[3], row[4], row[5])


declare(Report(
    name="reopened-orders", title=N_("Reopened service orders"), group=ORDER_REPORTS,
    restrictions=(DATES, USER, CLIENT, PROJECT, STATUS), columns=REOPENED_COLUMNS, rows=_reopened_rows,
    sums=("times_reopened",), statuses=_order_statuses,
    count=lambda filters: _reopened_query(filters, ServiceOrder.id).count()))


# --- one technician's appointments of one day ------------------------------------------------

AGENDA_COLUMNS = [
    Column("time", N_("Time"), TEXT, 5),
    Column("number", N_("Order"), INTEGER, 7),
    Column("client", N_("Client"), TEXT, 16),
    Column("contact", N_("Contact"), TEXT, 14),
    Column("phone", N_("Phone"), TEXT, 12),
    Column("address", N_("Address"), TEXT, 18),
    Column("detail", N_("Detail"), TEXT, 30),
]


def _agenda_query(filters: ReportFilter) -> pw.Select:
    start = dt.datetime.combine(filters.day, dt.time())
    query = (ServiceOrder
             .select(ServiceOrder.appointment_at, ServiceOrder.number, Client.name, Contact.name,
                     pw.fn.COALESCE(pw.fn.NULLIF(Contact.mobile, ""), Contact.phone),
                     pw.fn.COALESCE(pw.fn.NULLIF(Contact.address, ""), Client.address), ServiceOrder.detail,
                     Category.name)
             .join(Client, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.client == Client.id))
             .switch(ServiceOrder).join(Contact, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.contact == Contact.id))
             .switch(ServiceOrder).join(Category, pw.JOIN.LEFT_OUTER, on=(ServiceOrder.category == Category.id))
             .where((ServiceOrder.assigned_user == filters.user_id)
                    & (ServiceOrder.appointment_at >= start)
                    & (ServiceOrder.appointment_at < start + dt.timedelta(days=1)))
             .order_by(ServiceOrder.appointment_at, ServiceOrder.number))
    return query


def _agenda_rows(filters: ReportFilter) -> Iterator[tuple]:
    for when, number, client, contact, phone, address, detail, _category in _agenda_query(filters).tuples():
        yield (as_datetime(when).strftime("%H:%M"), number, client, contact, phone, address, detail)


def _agenda_events(filters: ReportFilter) -> Iterator[CalendarEvent]:
    for when, number, client, contact, phone, address, detail, category in _agenda_query(filters).tuples():
        start = as_datetime(when)
        summary = _("Order {number}: {client}").format(number=number, client=client or "")
        lines = [line for line in (category, contact, phone, detail) if line]
        yield CalendarEvent(uid=f"order-{number}-{start:%Y%m%dT%H%M}@crm_tui", start=start,
                            end=start + APPOINTMENT_LENGTH, summary=summary, location=address or "",
                            description="\n".join(lines))


def _agenda_defaults(filters: ReportFilter) -> ReportFilter:
    return with_defaults(filters, day=today())


declare(Report(
    name="agenda", title=N_("Appointments of a technician (route sheet)"), group=ORDER_REPORTS,
    restrictions=(USER, DAY), required=(USER,), columns=AGENDA_COLUMNS, rows=_agenda_rows,
    events=_agenda_events, defaults=_agenda_defaults, layout=ROUTE_SHEET))


# --- one order as a work sheet ------------------------------------------------------------------

SHEET_COLUMNS = [Column("field", N_("Field"), TEXT, 20), Column("value", N_("Value"), TEXT, 57)]


def _work_sheet_rows(filters: ReportFilter) -> Iterator[tuple]:
    detail = orders.get_order_by_number(filters.order_number)
    order = detail.order
    contact = Contact.get_or_none(Contact.id == order.contact_id)
    client = Client.get_or_none(Client.id == order.client_id)
    label = orders.label
    yield label("number"), str(order.number)
    yield label("status"), orders.status_label(order.status)
    yield label("priority"), orders.priority_label(order.priority)
    yield label("created"), order.created_at
    yield label("appointment_at"), order.appointment_at
    yield label("assigned_user_id"), order.assigned_user_name
    yield _("Client"), order.client_name
    yield label("contact_id"), order.contact_name
    if contact is not None:
        yield _("Phone"), " / ".join(part for part in (contact.phone, contact.mobile) if part)
        yield _("Address"), contact.address or (client.address if client else "")
    yield label("project_id"), order.project_name
    yield label("category_id"), order.category_name
    yield label("detail"), order.detail
    yield label("equipment"), order.equipment
    for entry in detail.entries:
        yield entry.when, f"{entry.user_name}: {entry.work_done}"


declare(Report(
    name="work-sheet", title=N_("Service order work sheet"), group=ORDER_REPORTS,
    restrictions=(ORDER,), required=(ORDER,), columns=SHEET_COLUMNS, rows=_work_sheet_rows,
    layout=RECORD_SHEET))
