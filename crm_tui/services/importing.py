"""Reading contacts and clients from a spreadsheet: the file's rows as text, its header
mapped to the catalog's columns, and each row handed to the catalog's import rule."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from crm_tui import i18n
from crm_tui.db.text import fold
from crm_tui.i18n import _
from crm_tui.services.base import Actor
from crm_tui.services.errors import ServiceError, ValidationError

IMPORT_KINDS = ("contacts", "clients")
FILE_SUFFIXES = (".xlsx", ".csv")


class ImportFileError(ServiceError):
    """The file cannot be read as a table (not a workbook, broken CSV quoting)."""


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


def read_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for every row of an .xlsx or .csv file."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    return _read_csv(path)


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ImportFileError(_("{path} is not a readable .xlsx workbook: {detail}").format(
            path=path, detail=_first_line(exc))) from exc
    try:
        sheet = workbook.worksheets[0]
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in row]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # what Excel writes on Windows
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(_("{path}, line {line}: {detail}").format(path=path, line=line, detail=exc)) from exc


def read_header(rows: Iterator[tuple[int, list[str]]], columns: Sequence[Any],
                path: Path) -> tuple[int, list[str | None]]:
    """The column key of each position of the first non-blank row (None: not ours)."""
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        names = _column_names(columns)
        keys = [names.get(fold(cell.strip())) for cell in cells]
        if not any(keys):
            raise ValidationError(_("The first row of {path} must have the column names, as crm export writes them.").format(
                path=path))
        return line, keys
    raise ValidationError(_("{path} is empty.").format(path=path))


def _column_names(columns: Sequence[Any]) -> dict[str, str]:
    """Folded key and label (in every language) -> column key."""
    import gettext

    names: dict[str, str] = {}
    catalogs = [gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=[code], fallback=True)
                for code in i18n.LANGUAGES]
    for column in columns:
        names[fold(column.key)] = column.key
        names.setdefault(fold(column.label), column.key)
        for catalog in catalogs:
            names.setdefault(fold(catalog.gettext(column.label)), column.key)
    return names


def _target(kind: str) -> tuple[Sequence[Any], Callable[[Actor, dict[str, str]], Any]]:
    from crm_tui.services import catalogs

    return {
        "contacts": (catalogs.CONTACT_COLUMNS, catalogs.import_contact_row),
        "clients": (catalogs.CLIENT_COLUMNS, catalogs.import_client_row),
    }[kind]


def import_file(actor: Actor, kind: str, path: Path,
                on_rejected: Callable[[RejectedRow], None] | None = None) -> ImportReport:
    """Import every row of `path` into the `kind` catalog; a refused row is reported
    (`on_rejected` hears of it at once) and the others are imported."""
    columns, import_row = _target(kind)
    rows = read_table(path)
    _header_line, keys = read_header(rows, columns, path)
    report = ImportReport()
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        values = {key: cell for key, cell in zip(keys, cells) if key}
        try:
            import_row(actor, values)
            report.imported += 1
        except ServiceError as exc:
            rejected = RejectedRow(line, str(exc))
            report.rejected.append(rejected)
            if on_rejected is not None:
                on_rejected(rejected)
    return report


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]
