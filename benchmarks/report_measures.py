"""The reports measure of benchmarks/run.py: every report of the registry to its first
screen of 80-column text, as `crm report NAME` shows it, and the peak memory of writing
a long report to .xlsx in a new process, for two lengths (memory must not grow with
the report, and stays under a ceiling), with the time until its first rows are written.

The restrictions are those a user gives first: none, or what the report needs (the
technician with the most appointments and a day of theirs, the client with the most
orders, an order in the middle). Reports without dates that default to this month
(work by technician) run on the demo's last month instead, where the data is.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCREEN_LINES = 24
RUNS = 3  # timed runs per report, after one warm-up; the median is reported
TARGET_MS = 1000
SHEET_ROWS = (20_000, 200_000)  # two lengths of the same report in the sheet
QUICK_SHEET_ROWS = (2_000, 20_000)
SHEET_REPORT = "orders-by-status"
MEMORY_RATIO = 1.25
MEMORY_CEILING_MIB = 100  # the export's own ceiling: a report sheet is no heavier than a list
FIRST_ROWS_MS = 1000

# The child is started through run.py's launcher: a process forked from this one would
# inherit its high-water mark of RSS (Linux keeps it across exec), so both lengths would
# show the benchmark's own peak instead of the report's.

_CHILD = r"""
import itertools, json, sys, time
from crm_tui.db import open_database
from crm_tui.export.report import write_report_xlsx
from crm_tui.i18n import set_language
from crm_tui.services.reports import ReportFilter, get_report
set_language("es")
path, name, limit, target, facts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
open_database(path)
report = get_report(name)
first_rows = []
start = time.perf_counter()
rows = itertools.islice(report.rows(report.prepared(ReportFilter())), limit)
def progress(done):  # first called after PROGRESS_EVERY rows, or at the end of a shorter sheet
    if not first_rows and done:
        first_rows.append((done, (time.perf_counter() - start) * 1000))
count = write_report_xlsx(target, report, rows, progress)
done, ms = first_rows[0] if first_rows else (0, 0.0)
with open(facts, "w") as file:
    json.dump({"rows": count, "first_rows": done, "first_rows_ms": ms}, file)
"""


def _runner(bench) -> Any:
    return sys.modules[type(bench).__module__]


def _first_screen(name: str, filters) -> int:
    from crm_tui.export.report import text_lines
    from crm_tui.services.reports import describe, get_report

    report = get_report(name)
    prepared = report.prepared(filters)
    chart = (lambda: report.chart(prepared)) if report.chart is not None else None
    lines = text_lines(report, describe(report, prepared), report.rows(prepared), chart)
    return len(list(itertools.islice(lines, SCREEN_LINES)))


def _restrictions(scalar) -> tuple[dict[str, Any], Any]:
    from crm_tui.services.base import DateRange
    from crm_tui.services.reports import ReportFilter
    from crm_tui.services.reports.common import as_date

    technician, day = scalar(
        "SELECT assigned_user_id, DATE(appointment_at) FROM service_order WHERE appointment_at IS NOT NULL "
        "GROUP BY assigned_user_id, DATE(appointment_at) ORDER BY COUNT(*) DESC LIMIT 1")
    client = scalar("SELECT client_id FROM service_order GROUP BY client_id ORDER BY COUNT(*) DESC LIMIT 1")[0]
    middle = scalar("SELECT MAX(number) / 2 FROM service_order")[0]
    last_entry = as_date(scalar("SELECT MAX(\"when\") FROM service_entry")[0])
    month = DateRange(last_entry.replace(day=1), last_entry)
    year = DateRange(last_entry - dt.timedelta(days=364), last_entry)
    return {
        "client-activities": ReportFilter(client_id=client),
        "agenda": ReportFilter(user_id=technician, day=as_date(day)),
        "work-sheet": ReportFilter(order_number=int(middle)),
        "work-by-technician": ReportFilter(dates=month),
    }, year


def _sheet_memory(bench, limit: int) -> dict[str, Any]:
    """The child's facts (rows, first rows and the time to them) and its peak RSS in KiB."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-report-") as folder:
        target, facts = Path(folder) / "report.xlsx", Path(folder) / "facts.json"
        _start, peak, _code = _runner(bench).run_measured(
            [sys.executable, "-c", _CHILD, str(bench.path), SHEET_REPORT, str(limit), str(target), str(facts)])
        measured = json.loads(facts.read_text())
    measured["peak_kib"] = peak
    return measured


def _sheet_rows(bench) -> list:
    run = _runner(bench)
    Row = run.Row
    short, long = QUICK_SHEET_ROWS if bench.quick else SHEET_ROWS
    short_sheet, long_sheet = _sheet_memory(bench, short), _sheet_memory(bench, long)
    short_mib, long_mib = short_sheet["peak_kib"] / 1024, long_sheet["peak_kib"] / 1024
    ratio = long_mib / short_mib if short_mib else 0
    good = ratio <= MEMORY_RATIO and long_mib <= MEMORY_CEILING_MIB and short_mib <= MEMORY_CEILING_MIB
    first_ms = long_sheet["first_rows_ms"]
    return [
        Row(f"report {SHEET_REPORT} to xlsx, peak RSS of a new process: {long_sheet['rows']:,} rows "
            f"vs {short_sheet['rows']:,} (load {run.load_average()})",
            f"{long_mib:.0f} MiB", f"{short_mib:.0f} MiB", f"{ratio:.2f}x",
            f"<= {MEMORY_RATIO}x and <= {MEMORY_CEILING_MIB} MiB", run.verdict(good)),
        Row(f"report {SHEET_REPORT} to xlsx: time to its first {long_sheet['first_rows']:,} rows written "
            f"(of {long_sheet['rows']:,})", run.ms(first_ms), target=f"<= {FIRST_ROWS_MS} ms",
            ok=run.verdict(first_ms <= FIRST_ROWS_MS)),
    ]


def measure_reports(bench) -> list:
    run = _runner(bench)
    Row = run.Row
    try:
        from crm_tui.services.reports import ReportFilter, all_reports
    except ImportError:
        return [Row("reports: first screen", run.MISSING, target=f"<= {TARGET_MS} ms")]

    def scalar(sql: str) -> tuple:
        return run.database.execute_sql(sql).fetchone()

    special, year = _restrictions(scalar)
    cases = []
    for report in all_reports():
        if report.sheet_only:  # the whole lists: measured by the export measure
            continue
        cases.append((report.name, "", special.get(report.name, ReportFilter())))
        if report.month_by_default:  # what a user asks of it next: a whole year
            cases.append((report.name, ", a year's dates", ReportFilter(dates=year)))
    rows = []
    for name, how, filters in cases:
        label = f"report {name}: first screen ({SCREEN_LINES} lines at 80 columns{how})"
        try:
            _first_screen(name, filters)  # warm-up
            times = []
            for _ in range(bench.runs(RUNS, RUNS)):
                start = time.perf_counter()
                _first_screen(name, filters)
                times.append((time.perf_counter() - start) * 1000)
            value = statistics.median(times)
        except Exception as exc:  # a report that fails is shown, the others still run
            rows.append(Row(label, f"error: {type(exc).__name__}: {str(exc)[:60]}", target=f"<= {TARGET_MS} ms",
                            ok="NO"))
            continue
        rows.append(Row(label, run.ms(value), target=f"<= {TARGET_MS} ms", ok=run.verdict(value <= TARGET_MS)))
    rows += _sheet_rows(bench)
    return rows


__all__ = ["measure_reports"]
