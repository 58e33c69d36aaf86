"""The reports of the Reports menus, declared once: `crm report`, the report screen and
the writers (text, HTML, .xlsx, .ics) all read this registry.

A report says which restrictions it takes (a `ReportFilter` field each), its columns,
a generator of its rows (keyset or aggregate queries: never a whole table in memory),
which columns add up into its totals row, and, for comparison reports, a bar chart.
"""
from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Sequence

from crm_tui.export.ics import CalendarEvent
from crm_tui.export.report import RECORD_SHEET, ROUTE_SHEET, TABLE, RowsWithTotals
from crm_tui.export.table import Column
from crm_tui.i18n import N_, _
from crm_tui.services.base import DateRange
from crm_tui.services.errors import ValidationError

# The restrictions a report may take, in the order they are shown.
DATES, USER, CLIENT, CONTACT, PROJECT, STATUS, DAY, ORDER = (
    "dates", "user", "client", "contact", "project", "status", "day", "order")
RESTRICTION_LABELS = {
    DATES: N_("Dates"),
    USER: N_("User"),
    CLIENT: N_("Client"),
    CONTACT: N_("Contact"),
    PROJECT: N_("Project"),
    STATUS: N_("Status"),
    DAY: N_("Day"),
    ORDER: N_("Order number"),
}

ACTIVITY_REPORTS, ORDER_REPORTS, SALES_REPORTS, LIST_REPORTS = "activities", "orders", "sales", "lists"
GROUP_LABELS = {ACTIVITY_REPORTS: N_("Reports"), ORDER_REPORTS: N_("Order reports"),
                SALES_REPORTS: N_("Sales reports"), LIST_REPORTS: N_("Whole lists")}



@dataclass(frozen=True)
class ReportFilter:
    """What a report is restricted to; each report reads only the fields it declares."""

    dates: DateRange = DateRange()
    user_id: int | None = None
    client_id: int | None = None
    contact_id: int | None = None
    project_id: int | None = None
    status: str | None = None
    day: dt.date | None = None
    order_number: int | None = None


@dataclass(frozen=True)
class Report:
    name: str
    title: str  # N_() marked; _() it where shown
    group: str
    restrictions: tuple[str, ...]
    columns: Sequence[Column]
    rows: Callable[[ReportFilter], Iterator[tuple]]
    required: tuple[str, ...] = ()
    # Keys of the columns that add up in the totals row (the first column says "Total").
    sums: tuple[str, ...] = ()
    # A comparison: (label, value) bars, read with its own aggregate query.
    chart: Callable[[ReportFilter], list[tuple[str, float]]] | None = None
    # Or a chart drawn from the rows: (label column, value column), values added up by label.
    chart_columns: tuple[str, str] | None = None
    chart_title: str = ""
    # Bars in label order, not in the order labels first come: in rows given a month at a
    # time, a label first seen in a later month would otherwise be drawn last.
    chart_by_label: bool = False
    # Statuses a --status word may name (code -> N_() label) and the word reader.
    statuses: Callable[[], tuple[dict[str, str], Callable[[str], str]]] | None = None
    # How many rows it gives (for the progress of a long sheet).
    count: Callable[[ReportFilter], int] | None = None
    layout: str = TABLE
    # The appointments of the report as calendar events (the .ics form).
    events: Callable[[ReportFilter], Iterator[CalendarEvent]] | None = None
    # Restrictions filled in when not given (the day: today), as functions of the filter.
    defaults: Callable[[ReportFilter], ReportFilter] | None = None
    # Without dates, the current month: a whole history in one aggregate is a report
    # nobody reads, and on a big database it would not be on screen in a second.
    month_by_default: bool = False
    note: str = ""  # N_() marked: one line under the title (what the figures mean)
    # A whole list with every column (crm export): a sheet, too wide for a page.
    sheet_only: bool = False

    @property
    def formats(self) -> tuple[str, ...]:
        if self.sheet_only:
            return (".xlsx",)
        return (".txt", ".html", ".xlsx") + ((".ics",) if self.events is not None else ())

    def prepared(self, filters: ReportFilter) -> ReportFilter:
        """`filters` with the report's defaults filled in, checked for what it requires."""
        if self.month_by_default and filters.dates == DateRange():
            filters = replace(filters, dates=this_month())
        if self.defaults is not None:
            filters = self.defaults(filters)
        for name in self.required:
            if _restriction_value(filters, name) in (None, DateRange()):
                raise ValidationError(_("The report {name} needs {restriction}.").format(
                    name=self.name, restriction=_(RESTRICTION_LABELS[name]).lower()), name)
        return filters


def _restriction_value(filters: ReportFilter, name: str) -> Any:
    return getattr(filters, {DATES: "dates", USER: "user_id", CLIENT: "client_id", CONTACT: "contact_id",
                             PROJECT: "project_id", STATUS: "status", DAY: "day",
                             ORDER: "order_number"}[name])


REPORTS: dict[str, Report] = {}


def declare(report: Report) -> Report:
    if report.name in REPORTS:
        raise ValueError(f"report {report.name} declared twice")
    REPORTS[report.name] = report
    return report


def get_report(name: str) -> Report:
    _load_declarations()
    report = REPORTS.get(name.strip().lower())
    if report is None:
        raise ValidationError(_("There is no report {name}: crm report --list shows them.").format(
            name=name[:40]), "report")
    return report


def all_reports() -> list[Report]:
    _load_declarations()
    return list(REPORTS.values())


def _load_declarations() -> None:
    # In the order --list shows them: the reports by menu, then the whole lists.
    for module in ("activity_reports", "order_reports", "sales_reports", "list_reports"):
        importlib.import_module(f"crm_tui.services.reports.{module}")


def this_month() -> DateRange:
    from crm_tui.services.clock import today

    day = today()
    return DateRange(day.replace(day=1), day)


def with_defaults(filters: ReportFilter, **values: Any) -> ReportFilter:
    missing = {name: value for name, value in values.items() if getattr(filters, name) in (None, DateRange())}
    return replace(filters, **missing) if missing else filters


__all__ = ["ReportFilter", "Report", "CalendarEvent", "RowsWithTotals", "REPORTS", "declare", "get_report",
           "all_reports", "describe", "RECORD_SHEET", "ROUTE_SHEET", "TABLE", "with_defaults"]


def describe(report: Report, filters: ReportFilter) -> list[str]:
    """The restrictions a report runs with, in words, for the line under its title."""
    from crm_tui.db.models import Client, Contact, Project, User
    from crm_tui.services.base import format_date

    def name_of(model, record_id: int) -> str:
        record = model.get_or_none(model.id == record_id)
        if record is None:
            return str(record_id)
        if model is User:
            return record.full_name or record.username
        return f"{record.key} {record.name}" if hasattr(record, "key") else record.name

    parts = []
    for name in report.restrictions:
        value = _restriction_value(filters, name)
        if value in (None, DateRange()):
            continue
        if name == DATES:
            shown = "{start} – {end}".format(start=format_date(value.start) or "…", end=format_date(value.end) or "…")
        elif name == DAY:
            shown = format_date(value)
        elif name == STATUS:
            labels = report.statuses()[0] if report.statuses else {}
            shown = _(labels[value]) if value in labels else value
        elif name == ORDER:
            shown = str(value)
        else:
            shown = name_of({USER: User, CLIENT: Client, CONTACT: Contact, PROJECT: Project}[name], value)
        parts.append("{label}: {value}".format(label=_(RESTRICTION_LABELS[name]), value=shown))
    return [" · ".join(parts)] if parts else []
