"""Printable reports: fixed-width text and a simple HTML page, from columns and rows."""
from __future__ import annotations

import datetime as dt
import decimal
import html
import re
import unicodedata
from typing import Any, Iterable, Sequence

from crm_tui.export.table import DATE, DATETIME, INTEGER, NUMBER, Column
from crm_tui.i18n import _, current_language, date_format, datetime_format, ngettext

NUMERIC_KINDS = (INTEGER, NUMBER)
NEVER_CUT_KINDS = (INTEGER, NUMBER, DATE, DATETIME)
MAX_TEXT_WIDTH = 60
ELLIPSIS = "…"
COLUMN_GAP = "  "

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BLANKS = re.compile(r"\s*[\r\n\t]+\s*")


def format_value(value: Any, kind: str | None = None) -> str:
    """A value as a person reads it in the current language ("" for nothing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return value.strftime(datetime_format())
    if isinstance(value, dt.date):
        return value.strftime(date_format())
    if isinstance(value, float | decimal.Decimal):
        return f"{value:,.2f}" if kind != INTEGER else f"{value:,.0f}"
    if isinstance(value, int):
        return str(value)
    return str(value)


def _one_line(text: str) -> str:
    return _CONTROL.sub("", _BLANKS.sub(" ", text))


def display_width(text: str) -> int:
    """Columns a terminal or printer gives `text`: wide (CJK, emoji) characters take two."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """`text` cut to at most `width` columns, ending in an ellipsis when cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        char_width = 0 if unicodedata.combining(char) else (
            2 if unicodedata.east_asian_width(char) in ("W", "F") else 1)
        if used + char_width > width - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + ELLIPSIS


def pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def _count_line(count: int) -> str:
    return ngettext("{count} row", "{count} rows", count).format(count=count)


def _column_width(column: Column, header: str, values: list[str]) -> int:
    """Room for the longest value; text columns stop at their usual width (then cut)."""
    longest = max((display_width(value) for value in values), default=0)
    if column.kind not in NEVER_CUT_KINDS:
        longest = min(longest, min(MAX_TEXT_WIDTH, max(column.width, 1)))
    return max(display_width(header), longest, 1)


def render_text(title: str, columns: Sequence[Column], rows: Iterable[Sequence]) -> str:
    """A fixed-width report: title, header, aligned rows (long text cut with …), row count."""
    headers = [_one_line(_(column.label)) for column in columns]
    cells = [[_one_line(format_value(value, column.kind)) for column, value in zip(columns, row)]
             for row in rows]
    widths = [_column_width(column, header, [row[index] for row in cells if index < len(row)])
              for index, (column, header) in enumerate(zip(columns, headers))]
    numeric = [column.kind in NUMERIC_KINDS for column in columns]

    def line(values: Sequence[str]) -> str:
        parts = [pad(fit(value, width), width, right)
                 for value, width, right in zip(values, widths, numeric)]
        return COLUMN_GAP.join(parts).rstrip()

    title_line = _one_line(title)
    rule = "-" * max(display_width(title_line), sum(widths) + len(COLUMN_GAP) * max(0, len(widths) - 1))
    out = [title_line, "=" * display_width(title_line), "", line(headers),
           COLUMN_GAP.join("-" * width for width in widths)]
    out.extend(line(row) for row in cells)
    out.extend([rule, _count_line(len(cells))])
    return "\n".join(out) + "\n"


_PAGE_STYLE = """
body { font-family: sans-serif; font-size: 10pt; margin: 1.5em; }
h1 { font-size: 14pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 2px 6px; vertical-align: top; text-align: left; }
th { background: #eee; }
td { white-space: pre-wrap; }
td.number { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; border: none; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
"""


def render_html(title: str, columns: Sequence[Column], rows: Iterable[Sequence]) -> str:
    """A printable HTML page with the rows as a table; every value is escaped text."""
    def escaped(text: Any) -> str:
        return html.escape(_CONTROL.sub("", str(text)), quote=True)

    numeric = [column.kind in NUMERIC_KINDS for column in columns]
    head = "".join(f"<th>{escaped(_(column.label))}</th>" for column in columns)
    body = []
    count = 0
    for row in rows:
        count += 1
        cells = "".join(
            f'<td class="number">{escaped(format_value(value, column.kind))}</td>' if is_number
            else f"<td>{escaped(format_value(value, column.kind))}</td>"
            for column, value, is_number in zip(columns, row, numeric))
        body.append(f"<tr>{cells}</tr>")
    span = max(1, len(columns))
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{escaped(current_language())}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escaped(title)}</title>",
        f"<style>{_PAGE_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escaped(title)}</h1>",
        "<table>",
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *body,
        "</tbody>",
        f'<tfoot><tr><td colspan="{span}">{escaped(_count_line(count))}</td></tr></tfoot>',
        "</table>",
        "</body>",
        "</html>",
        "",
    ])
