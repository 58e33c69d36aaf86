"""Reports on activities and tasks (the Reports menu)."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import peewee as pw

from crm_tui.db.models import Activity, Category, Client, Contact, User
from crm_tui.export.table import DATE, DATETIME, INTEGER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services import activities
from crm_tui.services.base import DateRange, display_name_sql, iter_keyset
from crm_tui.services.clock import today
from crm_tui.services.errors import ValidationError
from crm_tui.services.reports import (
    ACTIVITY_REPORTS,
    CLIENT,
    CONTACT,
    DATES,
    STATUS,
    USER,
    Report,
    ReportFilter,
    declare,
)
from crm_tui.services.reports.common import CHUNK, as_date, as_datetime, counted_by_month, user_names

_Assignee = User.alias("assignee")


def _restricted(query: pw.Select, filters: ReportFilter, user_column: pw.Field = Activity.user) -> pw.Select:
    query = filters.dates.apply(query, Activity.when)
    if filters.user_id is not None:
        query = query.where(user_column == filters.user_id)
    if filters.client_id is not None:
        query = query.where(Activity.client == filters.client_id)
    if filters.contact_id is not None:
        query = query.where(Activity.contact == filters.contact_id)
    if filters.status is not None:
        query = query.where(Activity.status == filters.status)
    return query


# --- activities by user and category --------------------------------------------------

BY_USER_COLUMNS = [
    Column("user", N_("User"), TEXT, 22),
    Column("category", N_("Category"), TEXT, 22),
    Column("activities", N_("Activities"), INTEGER, 10),
    Column("tasks", N_("Tasks"), INTEGER, 7),
    Column("pending", N_("Pending"), INTEGER, 8),
]


def _by_user_rows(filters: ReportFilter) -> Iterator[tuple]:
    # Counted on the activity table alone (one covering index), a month at a time; names
    # are put on after.
    is_task = pw.Case(None, [(Activity.kind == Activity.TASK, 1)], 0)
    is_pending = pw.Case(None, [(Activity.status == Activity.PENDING, 1)], 0)

    def month_counts(month: DateRange) -> pw.Select:
        query = _restricted(Activity.select(Activity.user, Activity.category, pw.fn.COUNT(Activity.id),
                                            pw.fn.SUM(is_task), pw.fn.SUM(is_pending)), replace(filters, dates=month))
        return query.group_by(Activity.user, Activity.category)

    counted = counted_by_month(filters.dates, Activity.when, month_counts, keys=2)
    users = user_names()
    categories = {category.id: category.name for category in Category.select(Category.id, Category.name)}
    named = sorted(((users.get(user, str(user)), categories.get(category, str(category)), user, category,
                     count, tasks, pending)
                    for (user, category), (count, tasks, pending) in counted.items()),
                   key=lambda row: (row[0].casefold(), row[2], row[1].casefold(), row[3]))
    for user, category, _user_id, _category_id, count, tasks, pending in named:
        yield user, category, count - tasks, tasks, pending


declare(Report(
    name="activities-by-user", title=N_("Activities by user and category"), group=ACTIVITY_REPORTS,
    restrictions=(DATES, USER, CLIENT, STATUS), columns=BY_USER_COLUMNS, rows=_by_user_rows,
    sums=("activities", "tasks", "pending"), month_by_default=True,
    statuses=lambda: (activities.STATUS_LABELS, activities.status_from_word)))


# --- the activities of a client or contact ---------------------------------------------

CLIENT_ACTIVITY_COLUMNS = [
    Column("folio", N_("Folio"), INTEGER, 7),
    Column("when", N_("Date and time"), DATETIME, 16),
    Column("contact", N_("Contact"), TEXT, 16),
    Column("user", N_("User"), TEXT, 12),
    Column("status", N_("Status"), TEXT, 9),
    Column("detail", N_("Detail"), TEXT, 40),
]


def _client_activity_query(filters: ReportFilter, *fields: pw.Node) -> pw.Select:
    query = (Activity.select(*fields)
             .join(Contact, pw.JOIN.LEFT_OUTER, on=(Activity.contact == Contact.id))
             .switch(Activity).join(User, pw.JOIN.LEFT_OUTER, on=(Activity.user == User.id)))
    return _restricted(query, filters)


def _client_activity_rows(filters: ReportFilter) -> Iterator[tuple]:
    statuses = {code: _(text) for code, text in activities.STATUS_LABELS.items()}
    query = _client_activity_query(filters, Activity.folio, Activity.when, Contact.name, display_name_sql(User),
                                   Activity.status, Activity.detail, Activity.when, Activity.id)
    for row in iter_keyset(query, [Activity.when, Activity.id], chunk_size=CHUNK):
        yield (row[0], as_datetime(row[1]), row[2], row[3], statuses.get(row[4], row[4]), row[5])


declare(Report(
    name="client-activities", title=N_("Activities of a client or contact"), group=ACTIVITY_REPORTS,
    restrictions=(CLIENT, CONTACT, DATES, USER, STATUS), columns=CLIENT_ACTIVITY_COLUMNS,
    rows=_client_activity_rows, sums=(),
    statuses=lambda: (activities.STATUS_LABELS, activities.status_from_word),
    count=lambda filters: _client_activity_query(filters, Activity.id).count(),
    defaults=lambda filters: _needs_client_or_contact(filters)))


def _needs_client_or_contact(filters: ReportFilter) -> ReportFilter:
    if filters.client_id is None and filters.contact_id is None:
        raise ValidationError(_("The report {name} needs a client or a contact.").format(
            name="client-activities"), "client")
    return filters


# --- pending tasks by assignee ------------------------------------------------------------

PENDING_TASK_COLUMNS = [
    Column("assignee", N_("Assignee"), TEXT, 16),
    Column("due_date", N_("Due date"), DATE, 10),
    Column("overdue", N_("Overdue"), TEXT, 8),
    Column("folio", N_("Folio"), INTEGER, 7),
    Column("client", N_("Client"), TEXT, 16),
    Column("detail", N_("Detail"), TEXT, 30),
]


def _pending_task_query(filters: ReportFilter, *fields: pw.Node) -> pw.Select:
    query = (Activity.select(*fields)
             .join(_Assignee, pw.JOIN.LEFT_OUTER, on=(Activity.assignee == _Assignee.id))
             .switch(Activity).join(Client, pw.JOIN.LEFT_OUTER, on=(Activity.client == Client.id))
             .where((Activity.kind == Activity.TASK) & (Activity.status == Activity.PENDING)
                    & Activity.assignee.is_null(False) & Activity.due_date.is_null(False)))
    return _restricted(query, filters, user_column=Activity.assignee)


def _pending_task_rows(filters: ReportFilter) -> Iterator[tuple]:
    day = today()
    mark = _("OVERDUE")
    for assignee in _assignees(filters):
        # One assignee at a time: the (assignee, status, due date) index then gives each
        # chunk in order; over all assignees at once SQLite sorted each one's tasks per chunk.
        query = _pending_task_query(replace(filters, user_id=assignee), display_name_sql(_Assignee),
                                    Activity.due_date, Activity.folio, Client.name, Activity.detail,
                                    Activity.due_date, Activity.id)
        for row in iter_keyset(query, [Activity.due_date, Activity.id], chunk_size=CHUNK):
            due = as_date(row[1])
            yield (row[0], due, mark if due < day else "", row[2], row[3], row[4])


def _assignees(filters: ReportFilter) -> list[int]:
    """The users whose tasks the report lists, in the report's order (a company has tens)."""
    if filters.user_id is not None:
        return [filters.user_id]
    return [user.id for user in User.select(User.id).order_by(User.id)]


declare(Report(
    name="pending-tasks", title=N_("Pending tasks by assignee"), group=ACTIVITY_REPORTS,
    restrictions=(USER, CLIENT), columns=PENDING_TASK_COLUMNS, rows=_pending_task_rows,
    count=lambda filters: _pending_task_query(filters, Activity.id).count(),
    note=N_("OVERDUE: the due date has passed.")))
