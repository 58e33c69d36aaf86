"""Streaming .xlsx workbooks: typed cells, translated header, never a formula.

Rows are written as they come (openpyxl write-only mode), so a list of any length costs
the same memory. Every cell is a value (DESIGN.md, "Rendering and export safety"):

- text starting with =, +, -, @, tab or CR is stored as text with Excel's quote prefix,
  so neither opening nor editing the cell runs it as a formula; so is text that reads
  like an Excel error code (#N/A);
- control characters a workbook cannot hold are removed;
- text longer than a cell holds (32,767 characters) is cut with a visible mark;
- dates and date-times are Excel dates, shown as the interface shows them (dd/mm/yyyy
  and dd/mm/yyyy hh:mm in Spanish, yyyy-mm-dd and yyyy-mm-dd hh:mm in English), numbers
  are numbers, None and empty text are empty cells (no cell is written for them);
- booleans are written as the translated words Yes / No (what the screens show), not
  TRUE/FALSE, so the sheet reads the same in either language.

The workbook is written to a temporary file beside the target and renamed over it at the
end: a failed export leaves neither a half-written file nor a damaged older one.
"""
from __future__ import annotations

import datetime as dt
import decimal
import errno
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, TIME_FORMATS
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm_tui.export.table import DATE, DATETIME, Column
from crm_tui.i18n import _, current_language

MAX_CELL_CHARACTERS = 32_767
# The cell formats of dates and date-times in each interface language (as the screens show them).
SHEET_DATE_FORMATS = {"es": ("dd/mm/yyyy", "dd/mm/yyyy hh:mm"), "en": ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")}
MAX_SHEET_TITLE = 31
MAX_COLUMN_WIDTH = 80
# Excel reads these first characters as the start of a formula (or of a DDE payload).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_RISKY_FIRST = frozenset("=+-@\t\r#")
# Text up to this length cannot be too long for a cell, even counted as Excel does.
_LONG_TEXT = MAX_CELL_CHARACTERS // 2
_has_illegal = ILLEGAL_CHARACTERS_RE.search
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


class ExportError(Exception):
    """The file cannot be written; str() is one translated line for the user."""


def write_xlsx(path: str | os.PathLike, columns: Sequence[Column], rows: Iterable[Sequence], *,
               sheet_title: str = "Data") -> int:
    """Write `rows` (values in the order of `columns`) to a new workbook at `path`.

    Returns the number of data rows written. Raises ExportError when the file cannot be
    written; any error raised while reading `rows` goes through unchanged. In both cases
    no file is left at `path` (an older file there stays as it was).
    """
    target = Path(path).expanduser()
    temporary = _temporary_beside(target)
    try:
        count = _write_workbook(temporary, columns, rows, sheet_title)
        _give_normal_permissions(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        _remove_quietly(temporary)
        raise ExportError(_cannot_write(target, exc)) from exc
    except BaseException:
        _remove_quietly(temporary)
        raise
    return count


def _write_workbook(file: str, columns: Sequence[Column], rows: Iterable[Sequence], sheet_title: str) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    widths = _column_widths(columns)
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, columns))
    date_types = _SHEET_DATE_TYPES.get(current_language(), _SHEET_DATE_TYPES["es"])
    converters = [_converter_for(sheet, column, date_types) for column in columns]
    count = 0
    append = sheet.append
    risky_first, long_text = _RISKY_FIRST, _LONG_TEXT
    try:
        for count, row in enumerate(rows, 1):
            # Most values are safe as they are: text that is printable, short and cannot
            # start a formula, whole numbers, empty cells. Those are vouched for here,
            # without a call per cell; every other value goes to its column's converter.
            append([value if (value.__class__ is str and value and value[0] not in risky_first
                              and value.isprintable() and len(value) <= long_text)
                     or value is None or value.__class__ is int
                     else convert(value)
                     for convert, value in zip(converters, row)])
    except BaseException:
        _discard(sheet)
        raise
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    workbook.save(file)
    return count


def _discard(sheet) -> None:
    """Finish and delete openpyxl's own temporary file of a sheet that will not be saved."""
    try:
        sheet.close()
        sheet._writer.cleanup()
    except Exception:  # already in trouble: the caller's error is the one to report
        pass


def _header_cells(sheet, columns: Sequence[Column]) -> list[WriteOnlyCell]:
    bold = Font(bold=True)
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_text(_(column.label)))
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    return cells


def _column_widths(columns: Sequence[Column]) -> list[float]:
    return [min(MAX_COLUMN_WIDTH, max(column.width, len(_(column.label)) + 2)) for column in columns]


def _sheet_title(title: str) -> str:
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", str(title)).translate(_SHEET_TITLE_FORBIDDEN).strip("' ")
    return cleaned[:MAX_SHEET_TITLE] or "Data"


# --- cell values --------------------------------------------------------------------


def cut_mark() -> str:
    return " " + _("… [cut]")


def safe_text(text: str) -> str:
    """`text` as a cell can hold it: without control characters, cut to the cell's size."""
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > _LONG_TEXT and _excel_length(text) > MAX_CELL_CHARACTERS:
        text = _cut(text, cut_mark())
    return text


def _excel_length(text: str) -> int:
    """Length as Excel counts it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, mark: str) -> str:
    room = MAX_CELL_CHARACTERS - _excel_length(mark)
    kept = text[:room]
    while (excess := _excel_length(kept) - room) > 0:
        kept = kept[:len(kept) - excess]
    return kept + mark


def _date_types(language: str, formats: tuple[str, str]) -> tuple[type, type]:
    """A date type and a date-time type whose cells openpyxl formats as `formats` say
    (it picks a date's format by its type; other workbooks keep openpyxl's own)."""
    day = type(f"SheetDate_{language}", (dt.date,), {"__slots__": ()})
    moment = type(f"SheetDateTime_{language}", (dt.datetime,), {"__slots__": ()})
    TIME_FORMATS[day], TIME_FORMATS[moment] = formats
    return day, moment


_SHEET_DATE_TYPES = {language: _date_types(language, formats) for language, formats in SHEET_DATE_FORMATS.items()}


def _sheet_date(value: dt.date, date_types: tuple[type, type]) -> dt.date:
    day, moment = date_types
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return moment(value.year, value.month, value.day, value.hour, value.minute,
                      value.second, value.microsecond)
    return day.fromordinal(value.toordinal())


def _converter_for(sheet, column: Column, date_types: tuple[type, type]) -> Callable[[Any], Any]:
    """A function turning one value of `column` into what the sheet gets: the value
    itself when openpyxl stores it right as is (the common, fast case)."""

    def text_cell(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet)
        cell.quotePrefix = True
        cell.value = text
        cell.data_type = "s"  # a leading "=" must not become a formula
        return cell

    def convert(value: Any) -> Any:
        kind = value.__class__
        if kind is str:
            if not value:
                return None  # no cell at all, like None: openpyxl would write an empty one
            # isprintable() (fast, in C) vouches for most text; only the rest is searched.
            if (value[0] in _RISKY_FIRST or len(value) > _LONG_TEXT
                    or (not value.isprintable() and _has_illegal(value))):
                value = safe_text(value)
                if value.startswith(FORMULA_STARTS) or value in ERROR_CODES:
                    return text_cell(value)
            return value or None
        if value is None or kind is int:
            return value
        if kind is float:
            return value if math.isfinite(value) else None
        if kind is dt.date or kind is dt.datetime:
            return _sheet_date(value, date_types)
        return _other(value, convert, date_types)

    if column.kind in (DATE, DATETIME):
        sheet_datetime = date_types[1]

        def convert_date(value: Any) -> Any:
            kind = value.__class__
            if kind is dt.datetime and value.tzinfo is None:  # the common case, inline
                return sheet_datetime(value.year, value.month, value.day, value.hour, value.minute,
                                      value.second, value.microsecond)
            if kind is dt.date or kind is dt.datetime:
                return _sheet_date(value, date_types)
            return convert(value)

        return convert_date
    return convert


def _other(value: Any, convert: Callable[[Any], Any], date_types: tuple[type, type]) -> Any:
    """The uncommon types: subclasses, booleans, decimals, times, anything else as text."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str):
        return convert(str(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return _sheet_date(value, date_types)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return convert(float(value))
    if isinstance(value, decimal.Decimal):
        return value if value.is_finite() else None
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    return convert(str(value))


# --- files --------------------------------------------------------------------------


def _temporary_beside(target: Path) -> str:
    if target.is_dir():
        raise ExportError(_("Cannot write {path}: {reason}.").format(path=target, reason=_("it is a folder")))
    folder = target.parent
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(_cannot_write(target, exc)) from exc
    os.close(handle)
    return name


def _give_normal_permissions(file: str) -> None:
    """mkstemp makes the file private; an export gets the mode a new file normally has."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(file, 0o666 & ~mask)


def _remove_quietly(file: str) -> None:
    try:
        os.remove(file)
    except OSError:
        pass


def _cannot_write(target: Path, exc: OSError) -> str:
    reasons = {
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("permission denied"),
        errno.EROFS: _("the disk is read-only"),
        errno.ENOENT: _("the folder does not exist"),
        errno.ENOTDIR: _("the folder does not exist"),
        errno.ENOSPC: _("the disk is full"),
        errno.EISDIR: _("it is a folder"),
    }
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and target.parent.is_dir():
        reasons.pop(exc.errno)  # the folder is there: the system's own words say more
    reason = reasons.get(exc.errno) or (exc.strerror or str(exc)).lower()
    return _("Cannot write {path}: {reason}.").format(path=target, reason=reason)
