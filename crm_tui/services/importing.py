"""Reading contacts and clients from a file and handing each row to the catalog's import
rule: spreadsheets (.xlsx, .csv) with crm export's column names, the CSV of Google
Contacts and Outlook, and vCard (.vcf) address books.

Each row is its own transaction: a row that fails is reported with its line and the
others go on. A lost connection to the database stops the import at the row in flight,
saying from which line to go on.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import peewee as pw

from crm_tui import i18n
from crm_tui.db.connection import ConnectionLost
from crm_tui.db.models import Client
from crm_tui.db.text import fold
from crm_tui.i18n import _
from crm_tui.services import address_book
from crm_tui.services.base import Actor, writing
from crm_tui.services.errors import DatabaseUnavailable, NotFound, ServiceError, ValidationError
from crm_tui.services.failures import user_message
from crm_tui.services.import_kinds import FILE_SUFFIXES, IMPORT_KINDS  # noqa: F401 - named here first

VCARD_SUFFIX = ".vcf"

# A dry run undoes its rows this many at a time, so that other users' saves wait little.
DRY_RUN_BATCH = 100

_BAD_BYTE = re.compile("[\udc80-\udcff]")
# A byte sequence that only UTF-8 text holds: its presence rules cp1252 out.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


class ImportFileError(ServiceError):
    """The file cannot be read as a table (not a workbook, broken CSV quoting)."""


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportedRow:
    """What one row did (or, in a dry run, would do)."""

    line: int
    kind: str  # "contacts" or "clients"
    added: bool  # False: it updated the record with that key
    key: int
    name: str
    client_name: str = ""
    new_client: bool = False


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    dry_run: bool = False
    # Where the import stopped before the end of the file (a lost connection, Ctrl+C):
    # that line was not imported, unless `outcome_unknown`.
    stopped_at: int | None = None
    stop_reason: str = ""
    outcome_unknown: bool = False
    interrupted: bool = False


@dataclass(frozen=True)
class ImportOptions:
    default_client: str = ""  # key or name of the client for contacts without an organization
    from_line: int = 1  # rows that begin before this line are left out (the header is still read)
    dry_run: bool = False  # everything is checked and undone: the database stays as it was


@dataclass(frozen=True)
class SourceRow:
    line: int
    values: dict[str, str]
    problem: str = ""  # why the row cannot be read; the row is then rejected as it is
    address_book: bool = False  # from a vCard or an address book's CSV


class _ImportStopped(Exception):
    def __init__(self, line: int, reason: str, outcome_unknown: bool = False, interrupted: bool = False):
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.outcome_unknown = outcome_unknown
        self.interrupted = interrupted


class _UndoDryRun(Exception):
    """Raised at the end of a dry run's batch so that its transaction is rolled back."""


# --- reading the file ----------------------------------------------------------------


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


def decode_text(raw: bytes, path: Path) -> str:
    """The file's text in its real encoding: UTF-8 (with or without BOM), UTF-16 with BOM,
    or cp1252 (what Excel and Outlook write on Windows) only when the whole file is valid
    cp1252 and holds nothing that only UTF-8 would. Otherwise it is read as UTF-8 and each
    byte that is not UTF-8 stays a lone surrogate (U+DC80-U+DCFF), so that the rows that
    hold one are rejected by line instead of the whole file turning into mojibake."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("{path} starts as UTF-16 text but is not: {detail}").format(
                path=path, detail=exc.reason)) from exc
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if not _UTF8_SEQUENCE.search(raw):
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", errors="surrogateescape")


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = decode_text(path.read_bytes(), path)
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


def _bad_bytes_problem(cells: Sequence[str]) -> str:
    for column, cell in enumerate(cells, start=1):
        if _BAD_BYTE.search(cell):
            return _("this row holds bytes that are not UTF-8 text (column {column}); save the file "
                     "as UTF-8 and import this line again.").format(column=column)
    return ""


def _header_message(path: Path) -> str:
    return _("The first row of {path} must have the column names, as crm export, Google Contacts "
             "or Outlook write them.").format(path=path)


def _first_filled_row(rows: Iterator[tuple[int, list[str]]], path: Path) -> tuple[int, list[str]]:
    for line, cells in rows:
        if any(cell.strip() for cell in cells):
            return line, cells
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


def _holds_contacts(path: Path) -> ValidationError:
    return ValidationError(_("{path} holds contacts: import it with crm import contacts.").format(path=path))


def read_rows(kind: str, path: Path) -> Iterator[SourceRow]:
    """Every row of `path` as the values of a `kind` row. The header is read and checked
    at once, before the first row is asked for, so a wrong file changes nothing."""
    if path.suffix.lower() == VCARD_SUFFIX:
        if kind != "contacts":
            raise _holds_contacts(path)
        return _vcard_rows(path)
    rows = read_table(path)
    _line, header = _first_filled_row(rows, path)
    if address_book.is_address_book_header(header):
        if kind != "contacts":
            raise _holds_contacts(path)
        return _address_book_rows(rows, address_book.AddressBookColumns(header))
    names = _column_names(_target(kind)[0])
    keys = [names.get(fold(cell.strip())) for cell in header]
    if not any(keys):
        raise ValidationError(_header_message(path))
    return _own_rows(rows, keys)


def _data_rows(rows: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str], str]]:
    for line, cells in rows:
        if any(cell.strip() for cell in cells):
            yield line, cells, _bad_bytes_problem(cells)


def _own_rows(rows: Iterable[tuple[int, list[str]]], keys: list[str | None]) -> Iterator[SourceRow]:
    for line, cells, problem in _data_rows(rows):
        values = {} if problem else {key: cell for key, cell in zip(keys, cells) if key}
        yield SourceRow(line, values, problem)


def _address_book_rows(rows: Iterable[tuple[int, list[str]]],
                       columns: address_book.AddressBookColumns) -> Iterator[SourceRow]:
    for line, cells, problem in _data_rows(rows):
        yield SourceRow(line, {} if problem else columns.contact_values(cells), problem, address_book=True)


def _vcard_rows(path: Path) -> Iterator[SourceRow]:
    text = decode_text(path.read_bytes(), path)
    for line, card_text in address_book.split_vcards(text):
        if _BAD_BYTE.search(card_text):
            yield SourceRow(line, {}, _("this vCard holds bytes that are not UTF-8 text; save the file as "
                                        "UTF-8 and import it again."), address_book=True)
            continue
        try:
            values = address_book.card_from_vcard(card_text).contact_values()
        except address_book.CardError as exc:
            yield SourceRow(line, {}, str(exc), address_book=True)
            continue
        yield SourceRow(line, values, address_book=True)


# --- importing -----------------------------------------------------------------------


def _target(kind: str) -> tuple[Sequence[Any], Callable[[Actor, dict[str, str]], Any]]:
    from crm_tui.services import catalogs

    return {
        "contacts": (catalogs.CONTACT_COLUMNS, catalogs.import_contact_row),
        "clients": (catalogs.CLIENT_COLUMNS, catalogs.import_client_row),
    }[kind]


def _default_client_values(text: str) -> dict[str, str]:
    """The client named by --client, as a row's columns: a key that must exist, or a name
    (found or created like an organization)."""
    from crm_tui.services import catalogs

    value = " ".join(text.split())
    if not value:
        return {}
    if value.isdigit():
        if catalogs.find_client_by_key(int(value)) is None:
            raise NotFound(_("There is no client with key {key}.").format(key=value))
        return {"client_key": value}
    return {"client_name": value}


def _names_a_client(values: dict[str, str]) -> bool:
    return any((values.get(name) or "").strip() for name in ("client_key", "client_name"))


class _Importer:
    """Feeds rows to a catalog's import rule and keeps the report."""

    def __init__(self, actor: Actor, kind: str, options: ImportOptions,
                 on_rejected: Callable[[RejectedRow], None] | None,
                 on_imported: Callable[[ImportedRow], None] | None) -> None:
        self.actor = actor
        self.kind = kind
        self.options = options
        self.import_row = _target(kind)[1]
        self.default_client = _default_client_values(options.default_client) if kind == "contacts" else {}
        self.report = ImportReport(dry_run=options.dry_run)
        self.on_rejected = on_rejected
        self.on_imported = on_imported
        self.clients_before = _highest_client_id() if options.dry_run else 0
        self.new_clients: set[str] = set()
        # The line to go on from if the import stops now: the row in flight, or the next one.
        self.resume_line = options.from_line

    def reject(self, line: int, reason: str) -> None:
        rejected = RejectedRow(line, reason)
        self.report.rejected.append(rejected)
        if self.on_rejected is not None:
            self.on_rejected(rejected)

    def run(self, rows: Iterable[SourceRow]) -> None:
        wanted = (row for row in rows if row.line >= self.options.from_line)
        if not self.options.dry_run:
            for row in wanted:
                self.one(row)
            return
        while batch := list(islice(wanted, DRY_RUN_BATCH)):
            try:
                with writing():
                    for row in batch:
                        self.one(row)
                    raise _UndoDryRun
            except _UndoDryRun:
                pass

    def one(self, row: SourceRow) -> None:
        self.resume_line = row.line
        self.import_one(row)
        self.resume_line = row.line + 1

    def import_one(self, row: SourceRow) -> None:
        if row.problem:
            self.reject(row.line, row.problem)
            return
        values = self.with_client(row)
        if values is None:
            return
        try:
            result = self.import_row(self.actor, values)
        except DatabaseUnavailable as exc:
            raise _ImportStopped(row.line, exc.reason, exc.outcome_unknown) from exc
        except ConnectionLost as exc:  # after its transaction: the row may be saved
            raise _ImportStopped(row.line, str(exc), outcome_unknown=True) from exc
        except Exception as exc:  # noqa: BLE001 - any failure of one row is that row's
            self.reject(row.line, user_message(exc))
            return
        self.report.imported += 1
        if self.on_imported is not None:
            self.on_imported(self.describe(row.line, result))

    def with_client(self, row: SourceRow) -> dict[str, str] | None:
        """The row's values with --client for a new contact that names no client."""
        values = row.values
        if self.kind != "contacts" or _names_a_client(values) or (values.get("key") or "").strip():
            return values
        if self.default_client:
            return {**values, **self.default_client}
        if row.address_book:
            self.reject(row.line, _("{name} has no organization: name the client for contacts without "
                                    "one with --client.").format(name=values.get("name") or "?"))
            return None
        return values

    def describe(self, line: int, result: Any) -> ImportedRow:
        added = result.version == 1
        if self.kind == "clients":
            return ImportedRow(line, self.kind, added, result.key, result.name)
        folded = fold(result.client_name)
        new_client = result.client_id > self.clients_before and folded not in self.new_clients
        if new_client:
            self.new_clients.add(folded)
        return ImportedRow(line, self.kind, added, result.key, result.name, result.client_name,
                           new_client and self.options.dry_run)


def _highest_client_id() -> int:
    return Client.select(pw.fn.MAX(Client.id)).scalar() or 0


def import_file(actor: Actor, kind: str, path: Path, options: ImportOptions = ImportOptions(),
                on_rejected: Callable[[RejectedRow], None] | None = None,
                on_imported: Callable[[ImportedRow], None] | None = None) -> ImportReport:
    """Import every row of `path` into the `kind` catalog; a refused row is reported
    (`on_rejected` hears of it at once) and the others are imported. A lost connection or
    Ctrl+C stops the import: the report says at which line, to go on from there."""
    rows = read_rows(kind, path)
    importer = _Importer(actor, kind, options, on_rejected, on_imported)
    try:
        try:
            importer.run(rows)
        except KeyboardInterrupt:
            raise _ImportStopped(importer.resume_line, _("Interrupted."), interrupted=True) from None
    except _ImportStopped as stop:
        report = importer.report
        report.stopped_at, report.stop_reason = stop.line, stop.reason
        report.outcome_unknown, report.interrupted = stop.outcome_unknown, stop.interrupted
    return importer.report


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]
