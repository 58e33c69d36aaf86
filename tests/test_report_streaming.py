"""Report sheets read back whole, and reports that stream: rows come a chunk at a time in
an index's order, counts a month (or a quarter) at a time, on the small data set of
tests/report_data.py; the progress of a sheet on the report screen and on a terminal."""
from __future__ import annotations

import datetime as dt
import io
import re
import threading

import peewee as pw
import pytest
from openpyxl import load_workbook

import report_data
from crm_tui.cli.export import RowProgress
from crm_tui.db.connection import database, is_sqlite
from crm_tui.db.models import Activity, ServiceEntry, ServiceOrder
from crm_tui.screens.report_parts import ReportScreen
from crm_tui.services import users
from crm_tui.services.base import DateRange
from crm_tui.services.clock import frozen
from crm_tui.services.reports import ReportFilter, all_reports, get_report
from crm_tui.services.reports import activity_reports, order_reports
from crm_tui.services.reports.common import as_date, by_name, months_of, user_names
from crm_tui.services.reports.output import ReportCancelled, prepare
from test_app_support import SIZE, make_app, open_item, ui_db  # noqa: F401

# The restrictions a report needs on the data set (the same as its text snapshots).
NEEDED = {
    "client-activities": {"client_id": "centro"},
    "agenda": {"user_id": "ana", "day": dt.date(2026, 3, 10)},
    "work-sheet": {"order_number": 5},
}
MARCH = DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
WINTER = DateRange(dt.date(2025, 11, 1), dt.date(2026, 3, 31))


@pytest.fixture
def data(db):
    with frozen(report_data.NOW):
        yield report_data.fill()


def restrictions(data, name: str) -> ReportFilter:
    return ReportFilter(**{key: data[value].id if isinstance(value, str) else value
                           for key, value in NEEDED.get(name, {}).items()})


def as_read(value):
    """A report's value as a workbook gives it back."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if value == "":
        return None
    return value


@pytest.mark.parametrize("name", [report.name for report in all_reports()])
def test_a_report_sheet_reads_back_every_row_and_its_totals(data, name, tmp_path):
    report = get_report(name)
    target = tmp_path / f"{name}.xlsx"
    with frozen(report_data.NOW):
        prepared = prepare(report, report.prepared(restrictions(data, name)))
        expected = list(report.rows(prepared.filters))
        written = []
        count = prepared.write_sheet(target, written.append, threading.Event())
    assert count == len(expected) and written[-1] == count
    read = [tuple(row) for row in load_workbook(target).active.iter_rows(min_row=2, values_only=True)]
    assert read[:len(expected)] == [tuple(as_read(value) for value in row) for row in expected]
    if report.sums and expected:
        keys = [column.key for column in report.columns]
        totals = {key: sum(row[keys.index(key)] or 0 for row in expected) for key in report.sums}
        assert read[-1] == tuple(totals[key] if key in totals else ("Total" if index == 0 else None)
                                 for index, key in enumerate(keys))
    assert len(read) == len(expected) + (1 if report.sums and expected else 0)


def test_a_sheet_cancelled_as_it_starts_leaves_no_file(data, tmp_path):
    cancel = threading.Event()
    cancel.set()
    folder = tmp_path / "sheets"
    folder.mkdir()
    with frozen(report_data.NOW), pytest.raises(ReportCancelled):
        prepare(get_report("orders-by-status"), ReportFilter()).write_sheet(folder / "orders.xlsx", lambda done: None,
                                                                              cancel)
    assert list(folder.iterdir()) == []


class Reads:
    """The row queries run on the database and the rows handed on, in order."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []
        self.params: dict[str, tuple] = {}

    def rows(self, rows):
        for row in rows:
            self.events.append(("row", ""))
            yield row


@pytest.fixture
def reads(monkeypatch):
    seen = Reads()
    real = pw.Database.execute_sql

    def execute_sql(database, sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            seen.events.append(("query", sql))
            seen.params[sql] = tuple(params or ())
        return real(database, sql, params, *args, **kwargs)

    monkeypatch.setattr(pw.Database, "execute_sql", execute_sql)
    monkeypatch.setattr(order_reports, "CHUNK", 2)
    return seen


@pytest.mark.parametrize("filters", [{}, {"client_id": "centro"}, {"status": "closed"}, {"user_id": "ana"}])
def test_orders_by_status_reads_a_chunk_before_its_first_row(data, reads, filters):
    report = get_report("orders-by-status")
    restricted = ReportFilter(**{key: data[value].id if key.endswith("_id") else value
                                 for key, value in filters.items()})
    with frozen(report_data.NOW):
        every = list(reads.rows(report.rows(report.prepared(restricted))))
    first_row = reads.events.index(("row", ""))
    queries = [sql for kind, sql in reads.events if kind == "query"]
    assert [sql for kind, sql in reads.events[:first_row] if kind == "query"] == queries[:1]
    assert all("LIMIT" in sql.upper() and "service_order" in sql for sql in queries)
    # Every row came once, in the report's order, two (the chunk) per query at most.
    assert len(queries) >= len(every) // 2
    statuses = [row[0] for row in every]
    assert statuses == sorted(statuses, key=["Open", "Finished", "Closed"].index)
    if is_sqlite():  # an index gives each chunk in order: nothing sorted per chunk
        for sql in queries:
            plan = " ".join(row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, reads.params[sql]))
            assert "TEMP B-TREE" not in plan, plan


def test_orders_by_status_open_first_then_numbers_down_over_many_chunks(data, monkeypatch):
    monkeypatch.setattr(order_reports, "CHUNK", 1)
    report = get_report("orders-by-status")
    with frozen(report_data.NOW):
        listed = [(row[0], row[1]) for row in report.rows(report.prepared(ReportFilter()))]
    assert listed == [("Open", 6), ("Open", 4), ("Finished", 5), ("Closed", 3), ("Closed", 2), ("Closed", 1)]


def test_months_of_a_range_run_from_its_first_to_its_last_record(data):
    ServiceOrder.update(created_at=dt.datetime(2025, 12, 31, 23, 0)).where(ServiceOrder.number == 1).execute()
    assert months_of(WINTER, ServiceOrder.created_at) == [
        DateRange(dt.date(2025, 12, 31), dt.date(2025, 12, 31)), DateRange(dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        DateRange(dt.date(2026, 2, 1), dt.date(2026, 2, 28)), DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 10))]
    assert months_of(WINTER, ServiceOrder.created_at, 3) == [
        DateRange(dt.date(2025, 12, 31), dt.date(2026, 2, 28)), DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 10))]
    assert months_of(DateRange(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), ServiceOrder.created_at) == []


def test_counts_over_several_months_add_up_each_month(data):
    """Records moved out of March: a range over the months counts them once, March alone not."""
    ServiceOrder.update(created_at=dt.datetime(2025, 12, 31, 23, 0),
                        finished_at=dt.datetime(2025, 12, 31, 23, 30)).where(ServiceOrder.number == 1).execute()
    ServiceOrder.update(created_at=dt.datetime(2026, 1, 15, 9, 0)).where(ServiceOrder.number == 2).execute()
    Activity.update(when=dt.datetime(2025, 11, 30, 23, 59)).where(Activity.folio == 1).execute()

    def rows(name: str, dates: DateRange) -> list[tuple]:
        report = get_report(name)
        with frozen(report_data.NOW):
            return list(report.rows(report.prepared(ReportFilter(dates=dates))))

    assert rows("orders-by-client", WINTER) == [("Ferretería Centro", 1, 1, 2, 4), ("Hotel Sol", 1, 0, 1, 2)]
    assert rows("orders-by-client", MARCH) == [("Ferretería Centro", 1, 1, 0, 2), ("Hotel Sol", 1, 0, 1, 2)]
    assert rows("orders-by-project", WINTER) == [("Ferretería Centro", "Cámaras", 1, 0, 2, 3)]
    assert rows("orders-by-project", MARCH) == [("Ferretería Centro", "Cámaras", 1, 0, 0, 1)]
    assert rows("satisfaction", WINTER) == [("Ana Ruiz", 2, 4.0, 0, 0, 1, 0, 1), ("Beto Luna", 1, 4.0, 0, 0, 0, 1, 0)]
    assert rows("satisfaction", MARCH) == [("Ana Ruiz", 1, 3.0, 0, 0, 1, 0, 0), ("Beto Luna", 1, 4.0, 0, 0, 0, 1, 0)]
    assert rows("activities-by-user", WINTER)[:2] == [("Ana Ruiz", "Llamada", 2, 0, 1), ("Ana Ruiz", "Visita", 0, 1, 1)]
    assert rows("activities-by-user", MARCH)[:2] == [("Ana Ruiz", "Llamada", 1, 0, 1), ("Ana Ruiz", "Visita", 0, 1, 1)]


def test_a_long_title_leaves_the_figures_and_time_left_on_an_80_column_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    terminal = io.StringIO()
    progress = RowProgress(terminal, 1_000_000, "Service orders by status, with their age")
    progress._show(19_000, force=True)
    progress._show(1_000_000, force=True, finishing=True)
    first, last = terminal.getvalue().split("\r\x1b[K")[1:]
    assert re.fullmatch(r"Service orders by status, with their …   1%  19,000/1,000,000 rows  [\d:]+ left", first)
    assert last.endswith("100%  1,000,000/1,000,000 rows  saving the file…")
    assert max(len(first), len(last)) <= 77


@pytest.mark.parametrize("filters", [{}, {"user_id": "beto"}])
def test_pending_tasks_read_each_chunk_in_index_order(data, reads, monkeypatch, filters):
    monkeypatch.setattr(activity_reports, "CHUNK", 1)
    report = get_report("pending-tasks")
    restricted = ReportFilter(**{key: data[value].id for key, value in filters.items()})
    with frozen(report_data.NOW):
        listed = [(row[0], row[3]) for row in reads.rows(report.rows(report.prepared(restricted)))]
    assert listed == ([("Ana Ruiz", 3), ("Beto Luna", 4)] if not filters else [("Beto Luna", 4)])
    if is_sqlite():
        for sql in {sql for kind, sql in reads.events if kind == "query" and "activity" in sql}:
            plan = " ".join(row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, reads.params[sql]))
            assert "TEMP B-TREE" not in plan, plan


async def test_the_report_screen_says_the_rows_of_the_sheet_written(ui_db):
    actor = users.bootstrap_first_admin("jefa", "Jefa de Área")
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "order_reports")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        screen.query_one("#export-row").display = True
        screen._progress(37_000, 1_000_000)
        await pilot.pause()
        assert str(screen.query_one("#export-rows").render()) == "37,000/1,000,000 rows"
        screen._progress(1_000, None)  # a report that does not count its rows first
        await pilot.pause()
        assert str(screen.query_one("#export-rows").render()) == "1,000 rows"


# --- work by technician per day: a month of days at a time -----------------------------------


def _work_rows_counted_whole(filters: ReportFilter) -> list[tuple]:
    """The report as it was counted before it streamed: every day of the range first, then
    sorted by technician and day (the reference the streamed rows are compared with)."""
    counted = []
    for month in months_of(filters.dates, ServiceEntry.when):
        day = month.start
        while day <= month.end:
            query = ServiceEntry.select(ServiceEntry.user, pw.fn.COUNT(ServiceEntry.id),
                                        pw.fn.SUM(ServiceEntry.minutes))
            query = DateRange(day, day).apply(query, ServiceEntry.when)
            if filters.user_id is not None:
                query = query.where(ServiceEntry.user == filters.user_id)
            counted += [(user, day, int(entries), int(minutes or 0))
                        for user, entries, minutes in query.group_by(ServiceEntry.user).tuples()]
            day += dt.timedelta(days=1)
    return by_name(counted, user_names())


def _month(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def test_work_by_technician_gives_the_same_rows_and_totals_a_month_at_a_time(db):
    from crm_tui.services.demo import DemoSize, fill_demo

    fill_demo(DemoSize(clients=6, contacts=20, users=5, orders=150, activities=20, opportunities=5, seed=11))
    report = get_report("work-by-technician")
    first, last = (as_date(value) for value in ServiceEntry.select(
        pw.fn.MIN(ServiceEntry.when), pw.fn.MAX(ServiceEntry.when)).scalar(as_tuple=True))
    history = DateRange(first - dt.timedelta(days=40), last + dt.timedelta(days=40))
    technician = ServiceEntry.select(ServiceEntry.user).limit(1).scalar()
    for filters in (ReportFilter(dates=history), ReportFilter(dates=history, user_id=technician)):
        before = _work_rows_counted_whole(filters)
        streamed = list(report.rows(filters))
        assert len({_month(row[1]) for row in streamed}) > 3
        # The same rows; a month's rows by technician and day, as before, month after month.
        assert streamed == sorted(before, key=lambda row: _month(row[1]))
        assert sum(row[2] for row in streamed) == sum(row[2] for row in before) > 0
        assert sum(row[3] for row in streamed) == sum(row[3] for row in before)
    assert sum(row[2] for row in report.rows(ReportFilter(dates=history))) == ServiceEntry.select().count()
    one_month = DateRange(last.replace(day=1), last)
    assert list(report.rows(ReportFilter(dates=one_month))) == _work_rows_counted_whole(
        ReportFilter(dates=one_month))


def test_work_by_technician_shows_its_first_month_before_reading_the_next(data, reads):
    ServiceEntry.update(when=dt.datetime(2026, 1, 20, 10, 0)).where(
        ServiceEntry.id == ServiceEntry.select(pw.fn.MIN(ServiceEntry.id)).scalar()).execute()
    report = get_report("work-by-technician")
    rows = reads.rows(report.rows(ReportFilter(dates=WINTER)))
    first = next(rows)
    assert first[:2] == ("Ana Ruiz", dt.date(2026, 1, 20))
    read_first = [params for kind, sql in reads.events if kind == "query"
                  for params in [reads.params[sql]] if "service_entry" in sql]
    # Before its first row it read January's days, not March's.
    assert not any(isinstance(value, (str, dt.date)) and str(value).startswith("2026-03")
                   for params in read_first for value in params)
    assert [row[:2] for row in rows] == [("Ana Ruiz", dt.date(2026, 3, 3)), ("Ana Ruiz", dt.date(2026, 3, 4)),
                                         ("Ana Ruiz", dt.date(2026, 3, 9)), ("Beto Luna", dt.date(2026, 3, 4))]


def test_work_by_technician_chart_names_technicians_in_order_over_months(data):
    """Beto worked in January, Ana only in March: the bars still go by name."""
    from crm_tui.export.report import text_lines

    ServiceEntry.update(when=dt.datetime(2026, 1, 20, 10, 0)).where(ServiceEntry.user == data["beto"].id).execute()
    report = get_report("work-by-technician")
    lines = list(text_lines(report, [], report.rows(ReportFilter(dates=WINTER))))
    chart = lines[lines.index("Minutes by technician") + 1:]
    assert [line.split("  ")[0] for line in chart if line.strip()][1:] == ["Ana Ruiz", "Beto Luna"]
