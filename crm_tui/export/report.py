"""A report as a page to read or print (80-column text, HTML) and as a workbook.

The writers take a report of the registry (services/reports), the restrictions it runs
with (already described in words) and its rows as they stream: the text comes line by
line, so the first screen is there as soon as the first rows are read.
"""
from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from crm_tui.export.table import DATE, DATETIME, INTEGER, NUMBER, Column
from crm_tui.export.text import display_width, fit, format_value, pad
from crm_tui.i18n import _, current_language, ngettext

PAGE_WIDTH = 80
GAP = "  "
MIN_TEXT_WIDTH = 4
CHART_LABEL_WIDTH = 20
BAR = "█"
NUMERIC_KINDS = (INTEGER, NUMBER)
FIXED_KINDS = (INTEGER, NUMBER, DATE, DATETIME)
# Blank lines left under the work sheet for the customer to write on and sign.
SIGNATURE_LINES = 2

# Layouts: a table of rows, or one record as label/value lines with room to sign.
# A route sheet: each row a block (its first columns as the heading, the others as
# label/value lines, then room to note the visit).
TABLE, RECORD_SHEET, ROUTE_SHEET = "table", "sheet", "route"
ROUTE_HEADING_COLUMNS = 3


class Report(Protocol):
    """What the writers read of a declared report (services/reports.Report)."""

    title: str
    note: str
    columns: Sequence[Column]
    sums: tuple[str, ...]
    layout: str
    chart_title: str
    chart_columns: tuple[str, str] | None
    chart_by_label: bool


class RowsWithTotals:
    """The rows of a report as they stream, adding up its summed columns on the way."""

    def __init__(self, report: Report, rows: Iterable[Sequence]):
        self.report = report
        self._rows = rows
        self.count = 0
        self._positions = [(index, column.key) for index, column in enumerate(report.columns)
                           if column.key in report.sums]
        self.totals: dict[str, Any] = {key: 0 for _index, key in self._positions}
        # A chart drawn from the rows themselves: the value column added up by label.
        self.bars: dict[str, float] = {}
        keys = [column.key for column in report.columns]
        chart_columns = getattr(report, "chart_columns", None)
        self._chart = (keys.index(chart_columns[0]), keys.index(chart_columns[1])) if chart_columns else None

    def __iter__(self) -> Iterator[Sequence]:
        positions, totals, chart, bars = self._positions, self.totals, self._chart, self.bars
        for row in self._rows:
            self.count += 1
            for index, key in positions:
                value = row[index]
                if value is not None:
                    totals[key] += value
            if chart is not None:
                label = str(row[chart[0]])
                bars[label] = bars.get(label, 0) + (row[chart[1]] or 0)
            yield row

    def chart(self, separate: Callable[[], list[tuple[str, float]]] | None) -> list[tuple[str, float]]:
        """The bars: from the report's own query, else from the rows that went by."""
        if separate is not None:
            return separate()
        if getattr(self.report, "chart_by_label", False):
            return sorted(self.bars.items(), key=lambda bar: bar[0].casefold())
        return list(self.bars.items())

    def total_row(self) -> tuple | None:
        """The totals row: the first column says Total, summed columns their sums."""
        if not self.report.sums:
            return None
        return tuple(self.totals.get(column.key, 0) if column.key in self.report.sums
                     else (_("Total") if index == 0 else None)
                     for index, column in enumerate(self.report.columns))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BLANKS = re.compile(r"\s*[\r\n\t]+\s*")


def _one_line(text: Any) -> str:
    return _CONTROL.sub("", _BLANKS.sub(" ", str(text)))


def _cell(value: Any, kind: str | None) -> str:
    return _one_line(format_value(value, kind))


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal columns (wide characters count two),
    broken at spaces; a word longer than a line is cut where it must."""
    lines: list[str] = []
    current, used = "", 0
    for word in text.split():
        size = display_width(word)
        while size > width:  # a word longer than a line: cut it
            if current:
                lines.append(current)
                current, used = "", 0
            piece, piece_width = "", 0
            for char in word:
                char_width = display_width(char)
                if piece_width + char_width > width:
                    break
                piece, piece_width = piece + char, piece_width + char_width
            lines.append(piece)
            word, size = word[len(piece):], size - piece_width
        if not word:
            continue
        if current and used + 1 + size > width:
            lines.append(current)
            current, used = "", 0
        current, used = (current + " " + word, used + 1 + size) if current else (word, size)
    if current:
        lines.append(current)
    return lines


def column_widths(columns: Sequence[Column], page_width: int = PAGE_WIDTH) -> list[int]:
    """Widths that fit the page: numbers and dates keep theirs, text columns share the rest."""
    widths = [max(1, column.width) for column in columns]
    for index, column in enumerate(columns):
        if column.kind in FIXED_KINDS:  # a number's header is never cut
            widths[index] = max(widths[index], display_width(_one_line(_(column.label))))
        if column.kind == DATE:
            widths[index] = max(widths[index], 10)
        elif column.kind == DATETIME:
            widths[index] = max(widths[index], 16)
    room = page_width - len(GAP) * max(0, len(columns) - 1)
    text_columns = [index for index, column in enumerate(columns) if column.kind not in FIXED_KINDS]
    # The widest text column gives a column at a time: short ones (a time, a status) stay whole.
    excess = sum(widths) - room
    while excess > 0 and text_columns:
        widest = max(text_columns, key=lambda index: widths[index])
        if widths[widest] <= MIN_TEXT_WIDTH:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


def _restriction_lines(restrictions: Sequence[str]) -> list[str]:
    return [_one_line(line) for line in restrictions]


def nothing_to_show() -> str:
    return _("Nothing to show: no record meets these restrictions.")


def _count_line(count: int) -> str:
    return ngettext("{count} row", "{count} rows", count).format(count=count)


def text_lines(report: Report, restrictions: Sequence[str], rows: Iterable[Sequence],
               chart: Callable[[], list[tuple[str, float]]] | None = None,
               page_width: int = PAGE_WIDTH) -> Iterator[str]:
    """The report as lines of at most `page_width` columns, as the rows come."""
    title = _one_line(_(report.title))
    yield title
    yield "=" * min(page_width, display_width(title))
    for line in _restriction_lines(restrictions):
        yield from wrap(line, page_width) or [""]
    if report.note:
        yield from wrap(_(report.note), page_width)
    yield ""
    streamed = RowsWithTotals(report, rows)
    if report.layout == RECORD_SHEET:
        yield from _sheet_lines(report, streamed, page_width)
    elif report.layout == ROUTE_SHEET:
        yield from _route_lines(report, streamed, page_width)
    else:
        yield from _table_lines(report, streamed, page_width)
    if streamed.count and (chart is not None or report.chart_columns):
        yield from chart_lines(_(report.chart_title) if report.chart_title else "", streamed.chart(chart), page_width)


def _table_lines(report: Report, rows, page_width: int) -> Iterator[str]:
    columns = report.columns
    widths = column_widths(columns, page_width)
    right = [column.kind in NUMERIC_KINDS for column in columns]

    def line(values: Sequence[str]) -> str:
        return GAP.join(pad(fit(value, width), width, is_right)
                        for value, width, is_right in zip(values, widths, right)).rstrip()

    rule = GAP.join("-" * width for width in widths)
    header_done = False
    for row in rows:
        if not header_done:
            yield line([_one_line(_(column.label)) for column in columns])
            yield rule
            header_done = True
        yield line([_cell(value, column.kind) for column, value in zip(columns, row)])
    if not header_done:
        yield nothing_to_show()
        return
    yield rule
    total_row = rows.total_row()
    if total_row is not None:
        yield line([_cell(value, column.kind) for column, value in zip(columns, total_row)])
    yield _count_line(rows.count)


def _sheet_lines(report: Report, rows, page_width: int) -> Iterator[str]:
    label_width = report.columns[0].width
    shown = False
    for label, value in rows:
        shown = True
        label_text = fit(_cell(label, None), label_width)
        value_text = format_value(value) if value is not None else ""
        paragraphs = [_one_line(part) for part in str(value_text).split("\n")] or [""]
        wrapped = [piece for paragraph in paragraphs
                   for piece in (wrap(paragraph, page_width - label_width - 2) or [""])]
        yield (pad(label_text, label_width, False) + GAP + wrapped[0]).rstrip()
        for piece in wrapped[1:]:
            yield " " * (label_width + 2) + piece
    if not shown:
        yield nothing_to_show()
        return
    yield ""
    yield _("Work done on site:")
    for _line in range(4):
        yield "_" * page_width
    yield ""
    yield _("Customer's name and signature:")
    for _line in range(SIGNATURE_LINES):
        yield ""
    yield "_" * (page_width // 2 - 2) + "    " + "_" * (page_width // 2 - 2)
    name, signed = _("Name"), _("Signature and date")
    yield pad(name, page_width // 2 + 2, False) + signed


def _route_lines(report: Report, rows, page_width: int) -> Iterator[str]:
    columns = report.columns
    heading, details = columns[:ROUTE_HEADING_COLUMNS], columns[ROUTE_HEADING_COLUMNS:]
    label_width = max(display_width(_one_line(_(column.label))) for column in details) if details else 0
    indent = " " * 4
    for row in rows:
        yield fit(GAP.join(_cell(value, column.kind) for column, value in zip(heading, row)), page_width)
        for column, value in zip(details, row[ROUTE_HEADING_COLUMNS:]):
            text = _cell(value, column.kind)
            if not text:
                continue
            label = pad(_one_line(_(column.label)), label_width, False)
            room = page_width - len(indent) - label_width - len(GAP)
            pieces = wrap(text, room) or [""]
            yield indent + label + GAP + pieces[0]
            yield from (indent + " " * (label_width + len(GAP)) + piece for piece in pieces[1:])
        yield indent + _("Arrived") + " ______  " + _("Left") + " ______  " + _("Signature") + " " + "_" * 20
        yield ""
    if not rows.count:
        yield nothing_to_show()
        return
    yield _count_line(rows.count)


def chart_lines(title: str, bars: list[tuple[str, float]], page_width: int = PAGE_WIDTH) -> Iterator[str]:
    """Horizontal bars, the longest for the largest value, each with its value."""
    if not bars:
        return
    yield ""
    if title:
        yield _one_line(title)
        yield "-" * min(page_width, display_width(_one_line(title)))
    labels = [_one_line(label) for label, _value in bars]
    values = [format_value(value, INTEGER if float(value).is_integer() else NUMBER) for _label, value in bars]
    label_width = min(CHART_LABEL_WIDTH, max(display_width(label) for label in labels))
    value_width = max(len(value) for value in values)
    room = max(1, page_width - label_width - value_width - 2 * len(GAP))
    largest = max((float(value) for _label, value in bars), default=0) or 1
    for label, value_text, (_raw, value) in zip(labels, values, bars):
        length = round(room * float(value) / largest)
        bar = BAR * length
        yield (pad(fit(label, label_width), label_width, False) + GAP + pad(bar, room, False) + GAP
               + pad(value_text, value_width, True)).rstrip()


def render_text(report: Report, restrictions: Sequence[str], rows: Iterable[Sequence],
                chart: Callable[[], list[tuple[str, float]]] | None = None) -> str:
    return "\n".join(text_lines(report, restrictions, rows, chart)) + "\n"


# --- HTML -------------------------------------------------------------------------

_PAGE_STYLE = """
body { font-family: sans-serif; font-size: 10pt; margin: 1.5em; }
h1 { font-size: 14pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 2px 6px; vertical-align: top; text-align: left; }
th { background: #eee; }
td { white-space: pre-wrap; }
td.number { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
.bar { background: #468; height: 1em; }
.chart td { border: none; }
.sign { margin-top: 3em; display: flex; gap: 4em; }
.sign div { border-top: 1px solid #000; flex: 1; padding-top: 2px; }
.lines div { border-bottom: 1px solid #999; height: 2em; }
"""


def _escaped(value: Any) -> str:
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def html_lines(report: Report, restrictions: Sequence[str], rows: Iterable[Sequence],
               chart: Callable[[], list[tuple[str, float]]] | None = None) -> Iterator[str]:
    """A printable HTML page; every value is escaped text."""
    title = _escaped(_(report.title))
    yield from ["<!DOCTYPE html>", f'<html lang="{_escaped(current_language())}">', "<head>",
                '<meta charset="utf-8">', f"<title>{title}</title>", f"<style>{_PAGE_STYLE}</style>",
                "</head>", "<body>", f"<h1>{title}</h1>"]
    for line in restrictions:
        yield f"<p>{_escaped(line)}</p>"
    if report.note:
        yield f"<p><em>{_escaped(_(report.note))}</em></p>"
    streamed = RowsWithTotals(report, rows)
    columns = report.columns
    numeric = [column.kind in NUMERIC_KINDS for column in columns]

    def cells(row: Sequence, tag: str = "td") -> str:
        return "".join(
            f'<{tag} class="number">{_escaped(format_value(value, column.kind))}</{tag}>' if is_number
            else f"<{tag}>{_escaped(format_value(value, column.kind))}</{tag}>"
            for column, value, is_number in zip(columns, row, numeric))

    started = False
    for row in streamed:
        if not started:
            yield "<table>"
            if report.layout != RECORD_SHEET:
                yield "<thead><tr>" + "".join(f"<th>{_escaped(_(c.label))}</th>" for c in columns) + "</tr></thead>"
            yield "<tbody>"
            started = True
        yield f"<tr>{cells(row)}</tr>"
    if not started:
        yield f"<p>{_escaped(nothing_to_show())}</p>"
    else:
        yield "</tbody>"
        total_row = streamed.total_row()
        if total_row is not None:
            yield f"<tfoot><tr>{cells(total_row)}</tr></tfoot>"
        yield "</table>"
        if report.layout == RECORD_SHEET:
            yield f"<h2>{_escaped(_('Work done on site:'))}</h2>"
            yield '<div class="lines">' + "<div></div>" * 4 + "</div>"
            yield (f'<div class="sign"><div>{_escaped(_("Name"))}</div>'
                   f'<div>{_escaped(_("Signature and date"))}</div></div>')
        else:
            yield f"<p>{_escaped(_count_line(streamed.count))}</p>"
        if chart is not None or report.chart_columns:
            yield from _html_chart(_(report.chart_title) if report.chart_title else "", streamed.chart(chart))
    yield from ["</body>", "</html>", ""]


def _html_chart(title: str, bars: list[tuple[str, float]]) -> Iterator[str]:
    if not bars:
        return
    largest = max(float(value) for _label, value in bars) or 1
    yield f"<h2>{_escaped(title)}</h2>"
    yield '<table class="chart">'
    for label, value in bars:
        percent = round(100 * float(value) / largest)
        shown = format_value(value, INTEGER if float(value).is_integer() else NUMBER)
        yield (f"<tr><td>{_escaped(label)}</td><td style=\"width:70%\"><div class=\"bar\" "
               f"style=\"width:{percent}%\"></div></td><td class=\"number\">{_escaped(shown)}</td></tr>")
    yield "</table>"


def render_html(report: Report, restrictions: Sequence[str], rows: Iterable[Sequence],
                chart: Callable[[], list[tuple[str, float]]] | None = None) -> str:
    return "\n".join(html_lines(report, restrictions, rows, chart))


# --- workbook ------------------------------------------------------------------------

PROGRESS_EVERY = 1000


def write_report_xlsx(path: str, report: Report, rows: Iterable[Sequence],
                      progress: Callable[[int], None] | None = None) -> int:
    """The report as a one-sheet workbook, its totals row last; `progress(rows_done)` is
    called every few rows. Returns the number of rows (totals not counted)."""
    from crm_tui.export.xlsx import write_xlsx

    streamed = RowsWithTotals(report, rows)

    def with_totals() -> Iterator[Sequence]:
        for done, row in enumerate(streamed, 1):
            yield row
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)
        total_row = streamed.total_row()
        if total_row is not None and streamed.count:
            yield total_row
        if progress is not None:
            progress(streamed.count)

    write_xlsx(path, report.columns, with_totals(), sheet_title=_(report.title))
    return streamed.count


# --- files ---------------------------------------------------------------------------


def write_atomically(output: Path, pieces: Iterable[str], newline: str | None = None) -> None:
    """Write `pieces` beside `output` and rename at the end: an interruption leaves no
    half-written file (an older file there stays as it was)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    try:
        with open(handle, "w", encoding="utf-8", newline=newline) as file:
            for piece in pieces:
                file.write(piece)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, output)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise
