"""A report as the report screen runs it: its restrictions described once, then its
80-column text as it streams, a .txt / .html / .ics file, or its .xlsx sheet (with progress,
stopped by a cancel)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from crm_tui.export.report import html_lines, text_lines, write_atomically, write_report_xlsx
from crm_tui.export.sheet_progress import SheetCancelled, watched_rows
from crm_tui.i18n import _
from crm_tui.services.reports import Report, ReportFilter, describe

PAGE_FORMATS = (".txt", ".html", ".ics")


# The user stopped a report's sheet being written; no file was left.
ReportCancelled = SheetCancelled


@dataclass(frozen=True)
class PreparedReport:
    """A report with its restrictions read and described."""

    report: Report
    filters: ReportFilter
    restrictions: tuple[str, ...]

    @property
    def title(self) -> str:
        return _(self.report.title)

    def _chart(self) -> Callable[[], list[tuple[str, float]]] | None:
        report, filters = self.report, self.filters
        return (lambda: report.chart(filters)) if report.chart is not None else None

    def text_lines(self) -> Iterator[str]:
        """The page, line by line as its rows are read (bars at the end of a comparison)."""
        return text_lines(self.report, self.restrictions, self.report.rows(self.filters), self._chart())

    def count(self) -> int | None:
        """How many rows the report gives, when it says so cheaply (for a sheet's progress)."""
        return self.report.count(self.filters) if self.report.count is not None else None

    def write_file(self, path: Path, rows: Iterable[tuple] | None = None) -> int:
        """The page as .txt or .html, or the appointments as .ics, by the file's extension;
        how many rows it holds. `rows`: the report's rows when the caller has them already."""
        suffix = path.suffix.lower()
        if suffix == ".ics":
            from crm_tui.export.ics import calendar_lines
            from crm_tui.services.clock import now

            events = list(self.report.events(self.filters))  # one technician's day: a handful
            write_atomically(path, calendar_lines(events, now(), self.title), newline="")
            return len(events)
        counted = _Counted(self.report.rows(self.filters) if rows is None else rows)
        writer = html_lines if suffix == ".html" else text_lines
        write_atomically(path, (line + "\n" for line in writer(self.report, self.restrictions, counted,
                                                                self._chart())))
        return counted.count

    def write_sheet(self, path: Path, progress: Callable[[int], None], cancel: threading.Event) -> int:
        """The report as .xlsx with its totals row; `progress(rows_done)` every few rows.
        A set `cancel` stops it with ReportCancelled, leaving no file."""

        rows = watched_rows(self.report.rows(self.filters), lambda done: None, cancel)
        return write_report_xlsx(str(path), self.report, rows, progress)

    def file_formats(self) -> tuple[str, ...]:
        return tuple(suffix for suffix in self.report.formats if suffix in PAGE_FORMATS)


class _Counted:
    def __init__(self, rows: Iterable[tuple]):
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[tuple]:
        for row in self.rows:
            self.count += 1
            yield row


def prepare(report: Report, filters: ReportFilter) -> PreparedReport:
    return PreparedReport(report, filters, tuple(describe(report, filters)))


def reports_of(*groups: str) -> list[Report]:
    """The reports of these menus, in the order they are declared."""
    from crm_tui.services.reports import all_reports

    return [report for report in all_reports() if report.group in groups and not report.sheet_only]
