"""Pieces every service module uses: who acts, writing, paging, versions, validation."""
from __future__ import annotations

import datetime as dt
import decimal
import functools
import random
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

import peewee as pw

from crm_tui.db import write_transaction
from crm_tui.db.connection import ConnectionLost, database, is_postgres
from crm_tui.db.models import AuditEntry
from crm_tui.services.clock import now
from crm_tui.db.text import fold
from crm_tui.i18n import _, date_format, datetime_format, in_every_language
from crm_tui.services.errors import (
    ConflictError,
    DatabaseUnavailable,
    NotFound,
    ServiceError,
    ValidationError,
)
from crm_tui.services.failures import driver_detail

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Actor:
    """The person using the CRM, as every service call receives them."""

    id: int
    username: str
    full_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# --- writing ------------------------------------------------------------------------


@contextmanager
def writing() -> Iterator[None]:
    """One writing transaction (BEGIN IMMEDIATE on SQLite); the database's refusals and a
    lost connection become translated messages instead of driver text.

    A public service function with a `with writing():` block is decorated with
    `@retrying_write`, which runs it again when the server chose its transaction as the
    loser of a collision with another user's."""
    try:
        with write_transaction():
            yield
    except ConnectionLost as exc:
        raise _unavailable(exc) from exc
    except (pw.DatabaseError, pw.InterfaceError) as exc:
        raise _refusal(exc) from exc


# SQLSTATEs of a PostgreSQL transaction the server undid because another one got in its
# way: a deadlock, a serialization failure. It did nothing, so all of it may run again.
_ROLLED_BACK_BY_SERVER = frozenset({"40P01", "40001"})
# A lock awaited for the whole lock_timeout: already waited, so not run again.
_LOCK_NOT_AVAILABLE = "55P03"

WRITE_ATTEMPTS = 5
_FIRST_PAUSE_SECONDS = 0.02


class WriteCollision(ConflictError):
    """The server undid the write because another user's collided with it; running the
    whole write again is safe (`retrying_write` does)."""


def _busy_message() -> str:
    return _("The database is busy with another user's change; nothing was saved. "
             "Try again in a moment.")


def _sqlstate(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    return getattr(original, "sqlstate", None) or ""


def _refusal(exc: pw.PeeweeException) -> ServiceError:
    if isinstance(exc, pw.IntegrityError):
        return ConflictError(
            _("The database refused the change because it would break a rule: {detail}").format(
                detail=driver_detail(exc)))
    state = _sqlstate(exc)
    if state in _ROLLED_BACK_BY_SERVER:
        return WriteCollision(_busy_message())
    # SQLite: another user's write held the file for the whole busy timeout.
    sqlite_busy = isinstance(exc, pw.OperationalError) and not state and (
        "locked" in str(exc) or "busy" in str(exc))
    if state == _LOCK_NOT_AVAILABLE or sqlite_busy:
        return ConflictError(_busy_message())
    return ServiceError(_("The database refused the change: {detail}").format(detail=driver_detail(exc)))


def retrying_write(function: Callable[..., T]) -> Callable[..., T]:
    """Run a service function that writes again, from its start (so it reads again what
    it checks), when its transaction lost a collision with another user's; after
    WRITE_ATTEMPTS the "busy, nothing was saved" message. Inside an enclosing transaction
    it runs once: that transaction's locks took part in the collision, so the outermost
    write is the one to run again."""

    @functools.wraps(function)
    def run_write(*args: Any, **kwargs: Any) -> T:
        if database.obj is None or database.in_transaction():
            return function(*args, **kwargs)
        for attempt in range(1, WRITE_ATTEMPTS):
            try:
                return function(*args, **kwargs)
            except WriteCollision:
                _note_retry()
                _pause(attempt)
        try:
            return function(*args, **kwargs)
        except WriteCollision as exc:
            raise ConflictError(exc.message) from exc

    return run_write


_retries = 0


def _note_retry() -> None:
    global _retries
    _retries += 1


def write_retries() -> int:
    """How many writes this process ran again after a collision (for measurements)."""
    return _retries


def _pause(attempt: int) -> None:
    """A short, jittered pause growing with each attempt, so the colliding writers do not
    meet again at once."""
    time.sleep(_FIRST_PAUSE_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))


def _unavailable(exc: ConnectionLost) -> DatabaseUnavailable:
    if exc.outcome_unknown:
        message = _("{reason} Check it before trying again.").format(reason=exc.message)
    else:
        message = _("{reason} Nothing was saved: try again.").format(reason=exc.message)
    return DatabaseUnavailable(message, exc.message, exc.outcome_unknown)


def stamp_new(actor: Actor) -> dict[str, Any]:
    moment = now()
    return {"created_at": moment, "created_by": actor.username, "updated_at": moment,
            "updated_by": actor.username, "version": 1}


def insert_new(model: type[pw.Model], actor: Actor, values: dict[str, Any]) -> int:
    """Add a record with `values` (stamped as new by `actor`) and its audit entry; its id."""
    values = {**values, **stamp_new(actor)}
    record_id = model.insert(values).execute()
    given = {name: value for name, value in _by_field_name(model, values).items()
             if _kept_in_history(name)}
    _audit(model, record_id, _key_of(model, given), AuditEntry.ADD, actor,
           {name: [None, value] for name, value in given.items()})
    return record_id


def update_versioned(model: type[pw.Model], record_id: int, version: int, actor: Actor,
                     changes: dict[str, Any]) -> None:
    """Save `changes` only if the record is still at `version`; otherwise refuse.
    The fields it changes go to the audit history in the same transaction."""
    before = _row_at_version(model, record_id, version)
    if before is None:
        _refuse_stale(model, record_id)
    values = dict(changes)
    values.update(updated_at=now(), updated_by=actor.username, version=model.version + 1)
    updated = (model.update(values)
               .where((model.id == record_id) & (model.version == version))
               .execute())
    if updated != 1:
        _refuse_stale(model, record_id)
    differences = _differences(model, before, changes)
    if differences:
        action = AuditEntry.STATUS if _STATUS_FIELDS & differences.keys() else AuditEntry.MODIFY
        _audit(model, record_id, _key_of(model, before), action, actor, differences)


def _refuse_stale(model: type[pw.Model], record_id: int) -> None:
    current = model.get_or_none(model.id == record_id)
    if current is None:
        raise NotFound(_("The record no longer exists: someone deleted it."))
    raise ConflictError(
        _("{user} changed this record at {time} while you were editing it; "
          "reload it and make your change again.").format(
            user=current.updated_by or "?", time=format_datetime(current.updated_at))
    )


def delete_versioned(model: type[pw.Model], record_id: int, version: int, actor: Actor) -> None:
    """Delete the record if it is still at `version`, keeping it as it was in the history."""
    before = _row_at_version(model, record_id, version)
    deleted = 0
    if before is not None:
        deleted = model.delete().where((model.id == record_id) & (model.version == version)).execute()
    if deleted == 1:
        kept = {name: [value, None] for name, value in before.items()
                if name != "id" and not name.endswith(_DERIVED)}
        _audit(model, record_id, _key_of(model, before), AuditEntry.DELETE, actor, kept)
        return
    if model.get_or_none(model.id == record_id) is None:
        raise NotFound(_("The record no longer exists: someone deleted it."))
    raise ConflictError(_("Someone changed this record since you opened it; reload it first."))


# --- the audit history ---------------------------------------------------------------

# What every record carries about its own writing: the history entry says it already.
_STAMPS = frozenset({"created_at", "created_by", "updated_at", "updated_by", "version"})
# Columns computed from another one (a name without accents, for searching).
_DERIVED = "_folded"
# A change of these is a status action (done / pending, order and opportunity statuses,
# (de)activating a catalog record).
_STATUS_FIELDS = frozenset({"status", "active"})
# The field people know a record by, in the order looked for.
_KEY_FIELDS = ("key", "number", "folio", "username", "name")


def _kept_in_history(name: str) -> bool:
    return name not in _STAMPS and not name.endswith(_DERIVED)


def _row_at_version(model: type[pw.Model], record_id: int, version: int) -> dict[str, Any] | None:
    """The record's fields by name if it is at `version`, else None. On PostgreSQL the row
    stays locked until the change commits, so the old values read are the ones replaced
    (SQLite's BEGIN IMMEDIATE already keeps other writers out)."""
    fields_read = model._meta.sorted_fields
    row = database.execute_sql(_statement(("read", model), lambda: _read_statement(model)),
                               (record_id, version)).fetchone()
    if row is None:
        return None
    return {field.name: field.python_value(value) for field, value in zip(fields_read, row)}


def _read_statement(model: type[pw.Model]) -> str:
    query = model.select().where((model.id == 0) & (model.version == 0))
    if is_postgres():
        query = query.for_update()
    return query.sql()[0]


# Statements every write runs, made once per kind of database: Peewee takes longer to
# build one than the database takes to run it.
_STATEMENTS: dict[tuple, str] = {}


def _statement(name: tuple, build: Callable[[], str]) -> str:
    key = (type(database.obj), *name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = build()
    return _STATEMENTS[key]


def _by_field_name(model: type[pw.Model], values: dict[Any, Any]) -> dict[str, Any]:
    """`values` keyed by field name, whether given by name or by field."""
    named = {}
    for key, value in values.items():
        name = key.name if isinstance(key, pw.Field) else key
        field = model._meta.fields.get(name) or model._meta.combined.get(name)
        if field is not None:
            named[field.name] = value.id if isinstance(value, pw.Model) else value
    return named


def _differences(model: type[pw.Model], before: dict[str, Any], changes: dict[Any, Any]) -> dict[str, list]:
    differences = {}
    for name, new in _by_field_name(model, changes).items():
        old = before.get(name)
        if _kept_in_history(name) and _as_json_value(old) != _as_json_value(new):
            differences[name] = [old, new]
    return differences


def _key_of(model: type[pw.Model], data: dict[str, Any]) -> str:
    for name in _KEY_FIELDS:
        if name in model._meta.fields and data.get(name) not in (None, ""):
            return str(data[name])
    return ""


def _json():
    import json  # only when a change is written: not before the first frame

    return json


def _as_json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, pw.Model):
        return value.id
    return value


_AUDIT_COLUMNS = ("table_name", "record_id", "record_key", "action", "who", "when", "changes")


def _audit(model: type[pw.Model], record_id: int, key: str, action: str, actor: Actor,
           changes: dict[str, list]) -> None:
    values = (model._meta.table_name, record_id, key[:200], action, actor.username, now(),
              _json().dumps(changes, ensure_ascii=False, default=_as_json_value))
    parameters = [getattr(AuditEntry, column).db_value(value) for column, value in zip(_AUDIT_COLUMNS, values)]
    database.execute_sql(_statement(("audit",), _audit_statement), parameters)


def _audit_statement() -> str:
    return AuditEntry.insert({getattr(AuditEntry, column): None for column in _AUDIT_COLUMNS}).sql()[0]


# --- what a write is given ---------------------------------------------------------------


class _Keep:
    """The value of an input field that was not given: on add, the field's default; on
    modify, what the record already holds."""

    def __repr__(self) -> str:
        return "KEEP"

    def __bool__(self) -> bool:
        return False


KEEP: Any = _Keep()


@dataclass(frozen=True)
class WriteInput:
    """What an add or a modify is given: every area's writes take one of these
    (`add_x(actor, XInput(...))`, `modify_x(actor, id, version, XInput(...))`)."""

    def given(self) -> dict[str, Any]:
        """The fields given, by name (those left as KEEP are not in it)."""
        return {item.name: getattr(self, item.name) for item in fields(self)
                if getattr(self, item.name) is not KEEP}


# --- the records a field points at -----------------------------------------------------


def display_name(user: Any) -> str:
    """The name people read for a user: the full name, or the login when it is blank."""
    if user is None:
        return ""
    return user.full_name or user.username or ""


def display_name_sql(alias: Any) -> pw.Node:
    """display_name() inside a query, for the User model or an alias of it."""
    return pw.fn.COALESCE(pw.fn.NULLIF(alias.full_name, ""), alias.username)


def record_title(record: pw.Model) -> str:
    """A record as people know it: its key or number and its name (a user: the login's name)."""
    if hasattr(record, "username"):
        return display_name(record)
    key = getattr(record, "key", None)
    if key is None:
        key = getattr(record, "number", None)
    name = getattr(record, "name", None) or getattr(record, "subject", None) or ""
    return " ".join(str(part) for part in (key, name) if part not in (None, ""))


def chosen_id(value: Any, field_name: str, field_label: str) -> int | None:
    """An id from a form or the command line: None/"" for none, else a positive integer."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 0 < number <= 2**62:
        raise ValidationError(
            _("{field}: choose a record from the list.").format(field=field_label), field_name)
    return number


def active_record(model: type[pw.Model], value: Any, field_name: str, field_label: str, *,
                  required: bool, keep_inactive: int | None = None) -> pw.Model | None:
    """The record `value` names; it must exist and be active (unless it is the one the
    record being changed already had, `keep_inactive`, so old records stay editable).

    Refusals are at the field, naming an inactive record by its key and name (never by
    an internal id, which means nothing to the user)."""
    record_id = chosen_id(value, field_name, field_label)
    if record_id is None:
        if required:
            raise ValidationError(_("{field} is required.").format(field=field_label), field_name)
        return None
    record = model.get_or_none(model.id == record_id)
    if record is None:
        raise ValidationError(
            _("{field}: the selected record no longer exists.").format(field=field_label), field_name)
    if not getattr(record, "active", True) and record_id != keep_inactive:
        raise ValidationError(
            _("{field}: {name} is inactive; choose another one.").format(
                field=field_label, name=record_title(record)), field_name)
    return record


def get_or_raise(model: type[pw.Model], record_id: int, what: str) -> pw.Model:
    record = model.get_or_none(model.id == record_id)
    if record is None:
        raise NotFound(_("{what} {id} does not exist.").format(what=what, id=record_id))
    return record


# --- paging -------------------------------------------------------------------------


@dataclass
class Page(Generic[T]):
    """One page of a list, in display order, with the keyset cursor of each row."""

    rows: list[T]
    cursors: list[tuple]
    has_before: bool
    has_after: bool
    # How many rows of the list come before this page, for a page around a record when
    # it is not at the end of the list (the list is entered in its middle); else None.
    offset: int | None = None

    @property
    def first_cursor(self) -> tuple | None:
        return self.cursors[0] if self.cursors else None

    @property
    def last_cursor(self) -> tuple | None:
        return self.cursors[-1] if self.cursors else None


@dataclass(frozen=True)
class PageRequest:
    """Which page to read: the first, the last, the one after/before a cursor, or the
    one around a record (`around`: its id), as after adding it."""

    after: tuple | None = None
    before: tuple | None = None
    last: bool = False
    limit: int = DEFAULT_PAGE_SIZE
    around: Any = None

    def clamped_limit(self) -> int:
        return max(1, min(int(self.limit), MAX_PAGE_SIZE))


FIRST_PAGE = PageRequest()


# How a page's rows are read: given the query (cursor kept, order set), how many rows,
# whether the list is walked upwards in its keys, and the cursor it starts from.
RowReader = Callable[[pw.ModelSelect, int, bool, "tuple | None"], list]


def _read_rows(query: pw.ModelSelect, count: int, ascending: bool, start: tuple | None) -> list:
    return list(query.limit(count))


def keyset_page(query: pw.ModelSelect, keys: Sequence[pw.Field], descending: bool,
                request: PageRequest, convert: Callable[[Any], T], read: RowReader = _read_rows) -> Page[T]:
    """Read one page of `query` ordered by `keys` (all ascending or all descending).

    Keyset paging: the first, the last and any page in between cost the same, because
    each reads only `limit` rows from an index instead of skipping with OFFSET.
    """
    if request.around is not None:
        return _page_around(query, keys, descending, request, convert, read)
    limit = request.clamped_limit()
    forward = [k.desc() for k in keys] if descending else [k.asc() for k in keys]
    backward = [k.asc() for k in keys] if descending else [k.desc() for k in keys]
    reverse = False
    has_before = has_after = False
    if request.last:
        query = query.order_by(*backward)
        reverse = True
    elif request.before is not None:
        query = query.where(_beyond(keys, request.before, descending, later=False)).order_by(*backward)
        reverse = True
        has_after = True
    elif request.after is not None:
        query = query.where(_beyond(keys, request.after, descending, later=True)).order_by(*forward)
        has_before = True
    else:
        query = query.order_by(*forward)
    records = read(query, limit + 1, descending == reverse, request.after or request.before)
    more = len(records) > limit
    records = records[:limit]
    if reverse:
        records.reverse()
        has_before = more
    else:
        has_after = more
    cursors = [tuple(_cursor_value(record, k) for k in keys) for record in records]
    return Page([convert(r) for r in records], cursors, has_before, has_after)



def paged_records(ids_query: pw.ModelSelect, keys: list[pw.Field], request: PageRequest,
                  fetch: Callable[[list[int]], dict[int, T]]) -> Page[T]:
    """Keyset-page `ids_query` (one table, ids and keys only), then read the page's rows.

    Choosing the page on the bare table keeps a sort, when the planner needs one, small;
    the joins for names run only for the rows shown.
    """
    page = keyset_page(ids_query, keys, True, request, lambda row: row.id)
    found = fetch(page.rows) if page.rows else {}
    # A row deleted between the two reads is left out, with its cursor.
    kept = [(found[i], cursor) for i, cursor in zip(page.rows, page.cursors) if i in found]
    return Page([row for row, _cursor in kept], [cursor for _row, cursor in kept],
                page.has_before, page.has_after, page.offset)


def _page_around(query: pw.ModelSelect, keys: Sequence[pw.Field], descending: bool,
                 request: PageRequest, convert: Callable[[Any], T], read: RowReader) -> Page[T]:
    """The page holding the record whose id is `request.around`, with up to half a page
    before it (more when the list ends soon after it), and how many rows precede it.
    A record the list does not hold (deleted, filtered out) gives the first page."""
    limit = request.clamped_limit()
    model = query.model
    target = query.where(model._meta.primary_key == request.around).first()
    if target is None:
        return keyset_page(query, keys, descending, PageRequest(limit=limit), convert, read)
    cursor = tuple(_cursor_value(target, k) for k in keys)
    before = keyset_page(query, keys, descending, PageRequest(before=cursor, limit=limit), convert, read)
    start = before.last_cursor
    rest = keyset_page(query, keys, descending,
                       PageRequest(after=start, limit=limit) if start else PageRequest(limit=limit), convert,
                       read)
    kept_before = min(len(before.rows), max(limit // 2, limit - len(rest.rows)))
    first = len(before.rows) - kept_before
    kept_rest = limit - kept_before
    page = Page(before.rows[first:] + rest.rows[:kept_rest], before.cursors[first:] + rest.cursors[:kept_rest],
                has_before=before.has_before or first > 0,
                has_after=rest.has_after or len(rest.rows) > kept_rest)
    if not before.has_before:
        page.offset = first
    elif page.has_after:  # in the middle: count (at the end, the table counts from the end)
        page.offset = query.where(_beyond(keys, page.first_cursor, descending, later=False)).order_by().count()
    return page


def _beyond(keys: Sequence[pw.Field], cursor: tuple, descending: bool, *, later: bool) -> pw.Expression:
    """The rows that come after (`later`) or before `cursor` in the list's order."""
    key_tuple = pw.Tuple(*keys) if len(keys) > 1 else keys[0]
    bound = pw.Tuple(*cursor) if len(keys) > 1 else cursor[0]
    return (key_tuple < bound) if descending == later else (key_tuple > bound)


def _cursor_value(record: pw.Model, key: pw.Field) -> Any:
    owner = key.model
    if owner is type(record) or isinstance(record, owner):
        return getattr(record, key.name) if not isinstance(key, pw.ForeignKeyField) else getattr(record, key.name + "_id")
    return getattr(getattr(record, owner._meta.name), key.name)


# --- validation ---------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# What a terminal obeys instead of showing: the C0 controls (but tab and line feed), DEL
# and the C1 controls. Stored text never holds them: a name with ESC ] 52 would set the
# clipboard of whoever looks at it, and PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Whatever ends a line in some program (CR LF, CR, VT, FF, NEL, the Unicode separators).
_LINE_ENDS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_BLANKS_IN_A_LINE = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")


def clean_line(value: Any) -> str:
    """A one-line field as typed, without surrounding blanks or control characters; line
    breaks and tabs (from an imported cell, a paste) become one space.

    Every one-line text a service stores goes through here."""
    if value is None:
        return ""
    return _CONTROL.sub("", _BLANKS_IN_A_LINE.sub(" ", str(value))).strip()


def clean_text(value: Any) -> str:
    """A free-text field as typed, with its lines and tabs, except trailing blank lines;
    every line end becomes a line feed and other control characters are removed.

    Every free text a service stores goes through here."""
    if value is None:
        return ""
    return _CONTROL.sub("", _LINE_ENDS.sub("\n", str(value))).rstrip()


def require(value: str, field: str, label: str) -> str:
    if not value:
        raise ValidationError(_("{field} is required.").format(field=label), field)
    return value


def limit_length(value: str, field: str, label: str, maximum: int) -> str:
    if len(value) > maximum:
        raise ValidationError(
            _("{field} can have at most {maximum} characters ({length} typed).").format(
                field=label, maximum=maximum, length=len(value)), field)
    return value


def check_email(value: str, field: str, label: str) -> str:
    if value and not _EMAIL.match(value):
        raise ValidationError(_("{field} is not a valid e-mail address.").format(field=label), field)
    return value


def check_choice(value: str, choices: Sequence[str], field: str, label: str) -> str:
    if value not in choices:
        raise ValidationError(
            _("{field} must be one of: {choices}.").format(field=label, choices=", ".join(choices)), field)
    return value


def choice_words(labels: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """For each code of a list of choices, its label in the current language and then in
    the others (no repeats): the words a user may type for it."""
    words = {}
    for code, label in labels.items():
        unique = {}
        for word in in_every_language(label):
            unique.setdefault(fold(word), word)
        words[code] = tuple(unique.values())
    return words


def choice_from_word(word: Any, labels: dict[str, str], field: str, label: str) -> str:
    """The code of the choice that `word` names: the code itself or its label in any
    language, whatever the case and accents ("Abierta", "OPEN", "cerrada")."""
    wanted = fold(clean_line(word))
    for code in labels:  # the code itself, as filters hold it: no catalog read
        if wanted == fold(code):
            return code
    for code, words in choice_words(labels).items():
        if any(wanted == fold(text) for text in words):
            return code
    raise ValidationError(
        _("{field} must be one of: {choices}.").format(
            field=label, choices=", ".join(_(text) for text in labels.values())), field)


# --- dates --------------------------------------------------------------------------

_DATE_FORMATS_ANY_LANGUAGE = ("%Y-%m-%d",)


def _date_patterns(value: str) -> tuple[str, ...]:
    """The language's format, ISO, and the shortcuts people type: the same digits without
    separators (01122026) and a two-digit year (01/12/26)."""
    written = date_format()
    if value.isdigit():
        return (written.replace("/", "").replace("-", ""),) if len(value) == 8 else ()
    return (written, written.replace("%Y", "%y"), *_DATE_FORMATS_ANY_LANGUAGE)


def parse_date(text: str | dt.date | None, field: str, label: str, required: bool = False) -> dt.date | None:
    """A date typed in the language's format (dd/mm/aaaa in Spanish) or ISO (2026-11-27)."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    value = clean_line(text)
    if not value:
        if required:
            raise ValidationError(_("{field} is required.").format(field=label), field)
        return None
    for pattern in _date_patterns(value):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValidationError(
        _("{field}: {value!r} is not a valid date (use {example}).").format(
            field=label, value=value[:40], example=dt.date(2026, 12, 31).strftime(date_format())), field)


def parse_datetime(text: str | dt.datetime | None, field: str, label: str,
                   required: bool = False) -> dt.datetime | None:
    """A date and time (dd/mm/aaaa hh:mm in Spanish, or ISO); a bare date means 00:00."""
    if isinstance(text, dt.datetime):
        return text.replace(microsecond=0)
    if isinstance(text, dt.date):
        return dt.datetime.combine(text, dt.time())
    value = clean_line(text)
    if not value:
        if required:
            raise ValidationError(_("{field} is required.").format(field=label), field)
        return None
    for pattern in (datetime_format(), "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
    day = parse_date(value, field, label)
    return dt.datetime.combine(day, dt.time()) if day else None


def format_date(value: dt.date | None) -> str:
    return value.strftime(date_format()) if value else ""


def format_datetime(value: dt.datetime | None) -> str:
    return value.strftime(datetime_format()) if value else ""


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of days; either end may be open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def check(self, field: str, label: str) -> "DateRange":
        if self.start and self.end and self.end < self.start:
            raise ValidationError(
                _("{field}: the end date is before the start date.").format(field=label), field)
        return self

    def apply(self, query: pw.ModelSelect, column: pw.Field) -> pw.ModelSelect:
        if isinstance(column, pw.DateField):
            # Dates compare as dates; as text on SQLite, '2026-01-05' < '2026-01-05 00:00:00'.
            if self.start:
                query = query.where(column >= self.start)
            if self.end:
                query = query.where(column <= self.end)
            return query
        if self.start:
            query = query.where(column >= dt.datetime.combine(self.start, dt.time()))
        if self.end:
            query = query.where(column < dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))
        return query


def iter_keyset(query: pw.Select, keys: Sequence[pw.Field], descending: bool = False,
                chunk_size: int = 2000, *, raw: bool = False) -> Iterator[tuple]:
    """Stream every row of a `.tuples()` query in key order, a chunk at a time.

    The selected columns must end with `keys` (in order) so the cursor can be read from
    each row; keeps memory flat however long the list is. With `raw`, the rows are the
    driver's tuples, without the fields' conversion (SQLite gives dates and times as
    text): a long export converts the few columns that need it faster itself.
    """
    ordering = [k.desc() for k in keys] if descending else [k.asc() for k in keys]
    cursor: tuple | None = None
    while True:
        page = query
        if cursor is not None:
            page = page.where(_beyond(keys, cursor, descending, later=True))
        page = page.order_by(*ordering).limit(chunk_size)
        rows = page._database.execute_sql(*page.sql()).fetchall() if raw else list(page.tuples())
        if not rows:
            return
        yield from rows
        if len(rows) < chunk_size:
            return
        cursor = tuple(rows[-1][-len(keys):])
