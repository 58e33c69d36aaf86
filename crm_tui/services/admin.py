"""Looking after the database itself: create/upgrade, consistent backups, health checks.

The command line calls these; the SQL lives here so the CLI never touches peewee.
"""
from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import peewee as pw

from crm_tui.db import counters, migrations, models, name_index, search
from crm_tui.db.connection import (
    DatabaseOpenError,
    database,
    describe_url,
    is_postgres,
    is_sqlite,
    open_database,
    parse_url,
    share_with_group,
    write_transaction,
)
from crm_tui.i18n import N_, _, ngettext
from crm_tui.services import clock
from crm_tui.services.errors import ServiceError
from crm_tui.services.failures import DATABASE_ERRORS  # noqa: F401 - callers found it here first
from crm_tui.services.opening import database_exists, newer_schema_message, open_existing  # noqa: F401


PG_DUMP_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class UpgradeResult:
    before: int
    after: int
    latest: int
    shared_path: str | None  # the SQLite file made usable by the folder's group, if any
    folder_keeps_group: bool = False  # the folder is setgid: new -wal/-shm files keep its group


@dataclass(frozen=True)
class BackupResult:
    path: str
    size_bytes: int
    kind: str  # "sqlite" or "postgresql"


@dataclass(frozen=True)
class CheckResult:
    name: str  # N_() marked; translate where shown
    ok: bool
    detail: str


# --- opening (in services/opening.py, which `crm` loads without the rest of this module) --


def initialise_database(url: str, share: bool = True) -> UpgradeResult:
    """Create the database (or bring an older one up to date) and share a SQLite file with
    the folder's group, so every user of the group can open it."""
    kind, target = parse_url(url)
    if kind == "sqlite" and target != ":memory:":
        _check_folder_for(Path(target).expanduser())
    db = open_database(url, create=True)
    before = migrations.schema_version(db)
    if before > migrations.LATEST_VERSION:
        raise DatabaseOpenError(newer_schema_message(before))
    before, after = migrations.upgrade(db)
    shared = None
    keeps_group = False
    if share and kind == "sqlite" and target != ":memory:":
        # Make the -wal and -shm files exist now, so they get the group's mode too.
        db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
        shared = str(Path(target).expanduser().resolve())
        keeps_group = share_with_group(shared)
    return UpgradeResult(before, after, migrations.LATEST_VERSION, shared, keeps_group)


def _check_folder_for(file: Path) -> None:
    if file.exists():
        return
    folder = file.parent
    if not folder.is_dir():
        raise DatabaseOpenError(_("The folder {path} does not exist.").format(path=folder))
    if not os.access(folder, os.W_OK):
        raise DatabaseOpenError(_("Cannot create a database in {path}: permission denied.").format(path=folder))


# --- backup -------------------------------------------------------------------------


def backup_database(dest: str | Path, overwrite: bool = False) -> BackupResult:
    """A consistent copy of the open database, taken while others keep working.

    SQLite: the online backup API into a new single-file database. PostgreSQL: pg_dump in
    its custom format (restore with pg_restore). A folder as `dest` gets a dated file name.
    """
    target = _backup_target(Path(dest).expanduser(), overwrite)
    if is_sqlite():
        _backup_sqlite(target)
        kind = "sqlite"
    elif is_postgres():
        _backup_postgres(target)
        kind = "postgresql"
    else:
        raise ServiceError(_("This kind of database cannot be backed up by crm."))
    return BackupResult(str(target), target.stat().st_size, kind)


def _backup_target(dest: Path, overwrite: bool) -> Path:
    if dest.is_dir():
        suffix = ".db" if is_sqlite() else ".dump"
        dest = dest / f"crm-{clock.now():%Y%m%d-%H%M%S}{suffix}"
    if dest.exists() and not overwrite:
        raise ServiceError(_("{path} already exists: choose another name or use --force.").format(path=dest))
    if not dest.parent.is_dir():
        raise ServiceError(_("The folder {path} does not exist.").format(path=dest.parent))
    if not os.access(dest.parent, os.W_OK):
        raise ServiceError(_("Cannot write in {path}: permission denied.").format(path=dest.parent))
    return dest


def _temporary_beside(target: Path) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise ServiceError(_("Cannot write in {path}: {reason}.").format(
            path=target.parent, reason=error.strerror or error)) from error
    os.close(handle)
    return Path(name)


def _backup_sqlite(target: Path) -> None:
    source = database.connection()
    temporary = _temporary_beside(target)
    try:
        copy = sqlite3.connect(str(temporary))
        try:
            # One step (pages=-1) reads a single snapshot: writers in WAL mode go on meanwhile.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
        if problem != "ok":
            raise ServiceError(_("The copy failed its check: {detail}").format(detail=problem))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _backup_postgres(target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise ServiceError(_("pg_dump was not found: install the PostgreSQL client tools "
                             "(e.g. apt install postgresql-client) to back up a PostgreSQL database."))
    command, environment = _pg_dump_command(program, target)
    temporary = _temporary_beside(target)
    command[command.index("--file") + 1] = str(temporary)
    try:
        finished = subprocess.run(command, env=environment, capture_output=True, text=True,
                                  timeout=PG_DUMP_TIMEOUT_SECONDS)
        if finished.returncode != 0:
            detail = (finished.stderr.strip().splitlines() or ["exit code %d" % finished.returncode])[0]
            raise ServiceError(_("pg_dump failed: {detail}").format(detail=detail))
        os.replace(temporary, target)
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(_("pg_dump did not finish in time.")) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _pg_dump_command(program: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments from the open connection; the password travels in the environment."""
    db = database.obj
    params = db.connect_params
    environment = dict(os.environ)
    command = [program, "--format=custom", "--no-owner", "--file", str(target)]
    if params.get("host"):
        command += ["--host", str(params["host"])]
    if params.get("port"):
        command += ["--port", str(params["port"])]
    if params.get("user"):
        command += ["--username", str(params["user"])]
    if params.get("password"):
        environment["PGPASSWORD"] = str(params["password"])
    command += ["--no-password", "--dbname", db.database]
    return command, environment


# --- check --------------------------------------------------------------------------

CHECK_INTEGRITY = N_("File integrity")
CHECK_FOREIGN_KEYS = N_("References between records")
CHECK_SCHEMA = N_("Schema version")
CHECK_STRUCTURE = N_("Tables, indexes and triggers")
CHECK_SEARCH = N_("Search index")
CHECK_NAME_SEARCH = N_("Catalog search box")
CHECK_COUNTERS = N_("Consecutive numbers")
CHECK_SEQUENCES = N_("Id sequences")

# What `repair_database` mends; the others need a backup, crm init or a person.
REPAIRABLE = (CHECK_STRUCTURE, CHECK_SEARCH, CHECK_COUNTERS, CHECK_SEQUENCES)

def check_database(full: bool = False) -> list[CheckResult]:
    """Every health check of the open database, in order; `full` runs the slow integrity check."""
    checks = []
    if is_sqlite():
        checks += [(CHECK_INTEGRITY, lambda: _check_integrity(full)), (CHECK_FOREIGN_KEYS, _check_foreign_keys)]
    checks += [(CHECK_SCHEMA, _check_schema), (CHECK_STRUCTURE, _check_structure)]
    if migrations.schema_version() >= 2:
        checks.append((CHECK_SEARCH, _check_search_index))
    if is_postgres() and migrations.schema_version() >= 3:
        checks.append((CHECK_NAME_SEARCH, _check_name_search))
    checks.append((CHECK_COUNTERS, _check_counters))
    if is_postgres():
        checks.append((CHECK_SEQUENCES, _check_sequences))
    return [_guarded(name, check) for name, check in checks]


def _guarded(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    """A check that cannot even run (a table gone, a damaged file) is a problem, not a crash."""
    try:
        return check()
    except DATABASE_ERRORS as error:
        return CheckResult(name, False, _first_line(error))


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    return list(database.execute_sql(sql, params).fetchall())


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0]


def _check_integrity(full: bool) -> CheckResult:
    pragma = "integrity_check" if full else "quick_check"
    problems = [row[0] for row in _rows(f"PRAGMA {pragma}") if row[0] != "ok"]
    if problems:
        return CheckResult(CHECK_INTEGRITY, False, "; ".join(problems[:5]))
    return CheckResult(CHECK_INTEGRITY, True, pragma)


def _check_foreign_keys() -> CheckResult:
    broken = _rows("PRAGMA foreign_key_check")
    if not broken:
        return CheckResult(CHECK_FOREIGN_KEYS, True, _("no broken references"))
    tables = sorted({str(row[0]) for row in broken})
    return CheckResult(CHECK_FOREIGN_KEYS, False, _("{count} broken references in {tables}").format(
        count=len(broken), tables=", ".join(tables)))


def _check_schema() -> CheckResult:
    version = migrations.schema_version()
    latest = migrations.LATEST_VERSION
    detail = _("version {version} of {latest}").format(version=version, latest=latest)
    if version != latest:
        detail += " — " + _("run crm init to upgrade")
    return CheckResult(CHECK_SCHEMA, version == latest, detail)


def _check_structure() -> CheckResult:
    expected = expected_schema()
    differences = schema_differences(expected)
    if differences:
        return CheckResult(CHECK_STRUCTURE, False, differences.describe())
    return CheckResult(CHECK_STRUCTURE, True, ngettext(
        "the {count} object the schema makes is there, as it makes it",
        "the {count} objects the schema makes are there, as it makes them", len(expected)).format(
            count=len(expected)))


def _check_search_index() -> CheckResult:
    indexed, expected = search.indexed_and_expected(database)
    detail = _("{indexed} rows indexed for {expected} texts").format(indexed=indexed, expected=expected)
    return CheckResult(CHECK_SEARCH, indexed == expected, detail)


def _check_name_search() -> CheckResult:
    """Not a fault: the search boxes of clients and contacts work without pg_trgm, slower."""
    if name_index.trigram_index_missing(database):
        return CheckResult(CHECK_NAME_SEARCH, True, _(
            "pg_trgm is not available on this server: the search boxes of clients and contacts read "
            "the whole table (install postgresql-contrib, then rebuild the search structures)"))
    return CheckResult(CHECK_NAME_SEARCH, True, _("pg_trgm index"))


def _check_counters() -> CheckResult:
    behind = [_("{series} at {value}, highest used {highest}").format(series=series, value=value, highest=highest)
              for series, value, highest in _counters_behind()]
    if behind:
        return CheckResult(CHECK_COUNTERS, False, "; ".join(behind))
    return CheckResult(CHECK_COUNTERS, True, _("every counter is above the highest number used"))


def _counters_behind() -> list[tuple[str, int, int]]:
    stored = dict(_rows("SELECT name, value FROM counter"))
    behind = []
    for series, (table, column) in counters.SERIES.items():
        highest = int(_rows(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")[0][0])
        if int(stored.get(series, 0)) < highest:
            behind.append((series, int(stored.get(series, 0)), highest))
    return behind


def _check_sequences() -> CheckResult:
    behind = [_("{table} would give id {next}, highest used {highest}").format(table=table, next=next_id,
                                                                                highest=highest)
              for table, next_id, highest in id_sequences_behind()]
    if behind:
        return CheckResult(CHECK_SEQUENCES, False, "; ".join(behind))
    return CheckResult(CHECK_SEQUENCES, True, _("every id sequence is past the highest id"))


# --- PostgreSQL id sequences ---------------------------------------------------------


def _tables_with_id_sequences() -> list[str]:
    return [model._meta.table_name for model in models.EVERY_MODEL
            if isinstance(model._meta.primary_key, pw.AutoField)]


def id_sequences_behind() -> list[tuple[str, int, int]]:
    """(table, the id its sequence would give next, the highest id) for every PostgreSQL
    id sequence that would hand out an id already used (rows written with explicit ids)."""
    behind = []
    for table in _tables_with_id_sequences():
        sequence = _rows("SELECT pg_get_serial_sequence(%s, 'id')", (f'"{table}"',))[0][0]
        if sequence is None:
            continue
        last, called = _rows(f"SELECT last_value, is_called FROM {sequence}")[0]
        next_id = int(last) + 1 if called else int(last)
        highest = int(_rows(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')[0][0])
        if next_id <= highest:
            behind.append((table, next_id, highest))
    return behind


def catch_up_id_sequences() -> list[tuple[str, int, int]]:
    """Move every PostgreSQL id sequence past the highest id (never back); returns the
    ones moved, as `id_sequences_behind` lists them."""
    behind = id_sequences_behind()
    for table, _next_id, highest in behind:
        database.execute_sql("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                             (f'"{table}"', highest + 1))
    return behind


# --- the schema the code makes ------------------------------------------------------

TABLE, INDEX, TRIGGER, FUNCTION, TEXT_SEARCH = "table", "index", "trigger", "function", "text search configuration"
# Kinds whose extra objects are reported (and dropped by a repair): they run or are
# kept up to date on every write. An extra table or function does nothing by itself.
_KINDS_KEPT_TO_THE_SCHEMA = (INDEX, TRIGGER)
# The order a repair makes objects in: a trigger needs its function and table.
_CREATION_ORDER = (FUNCTION, INDEX, TRIGGER)


@dataclass(frozen=True)
class SchemaObject:
    kind: str
    name: str  # a PostgreSQL trigger is "table.trigger"
    definition: str  # what must match: a table's columns, the others' SQL (schema names left out)
    create: str = ""  # SQL that makes it in the open database; "" where a repair does not make it
    drop: str = ""


@dataclass(frozen=True)
class SchemaDifferences:
    missing: tuple[SchemaObject, ...] = ()
    different: tuple[SchemaObject, ...] = ()  # as the schema makes them
    extra: tuple[SchemaObject, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.missing or self.different or self.extra)

    def describe(self) -> str:
        parts = []
        for label, objects in ((_("missing"), self.missing), (_("different"), self.different),
                               (_("not made by the schema"), self.extra)):
            if objects:
                parts.append(f"{label}: " + ", ".join(f"{_kind_label(o.kind)} {o.name}" for o in objects))
        return "; ".join(parts)


_KIND_LABELS = {TABLE: N_("table"), INDEX: N_("index"), TRIGGER: N_("trigger"), FUNCTION: N_("function"),
                TEXT_SEARCH: N_("text search configuration")}


def _kind_label(kind: str) -> str:
    return _(_KIND_LABELS.get(kind, kind))


def schema_differences(expected: dict[tuple[str, str], SchemaObject] | None = None) -> SchemaDifferences:
    """How the open database's tables, indexes, triggers (and on PostgreSQL functions and
    text search configurations) differ from what the schema code makes at its version."""
    expected = expected_schema() if expected is None else expected
    present = present_schema()
    return SchemaDifferences(
        missing=tuple(expected[key] for key in sorted(expected.keys() - present.keys())),
        different=tuple(expected[key] for key in sorted(expected.keys() & present.keys())
                        if expected[key].definition != present[key].definition),
        extra=tuple(present[key] for key in sorted(present.keys() - expected.keys())
                    if key[0] in _KINDS_KEPT_TO_THE_SCHEMA))


def expected_schema() -> dict[tuple[str, str], SchemaObject]:
    """What the migration steps make, up to the open database's version, built apart: in
    a scratch in-memory SQLite database, or in a scratch PostgreSQL schema that is rolled
    back. Never a hand-written list, so it follows every change to the schema code."""
    version = migrations.schema_version()
    if is_postgres():
        return _expected_postgres(version)
    return _expected_sqlite(version)


def present_schema() -> dict[tuple[str, str], SchemaObject]:
    if is_postgres():
        return _postgres_objects(_current_schema())
    return _sqlite_objects(database.obj)


def _expected_sqlite(version: int) -> dict[tuple[str, str], SchemaObject]:
    scratch = pw.SqliteDatabase(":memory:")
    try:
        with scratch.bind_ctx(models.EVERY_MODEL):
            migrations.build_schema(scratch, version)
        return _sqlite_objects(scratch)
    finally:
        scratch.close()


def _sqlite_objects(db: pw.Database) -> dict[tuple[str, str], SchemaObject]:
    objects = {}
    for kind, name, sql in db.execute_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite^_%' ESCAPE '^'").fetchall():
        if kind == TABLE:
            columns = ",".join(row[1] for row in db.execute_sql(f'PRAGMA table_info("{name}")').fetchall())
            objects[(kind, name)] = SchemaObject(kind, name, columns)
        else:
            objects[(kind, name)] = SchemaObject(kind, name, " ".join((sql or "").split()), sql or "",
                                                 f'DROP {kind.upper()} IF EXISTS "{name}"')
    return objects


class _Discard(Exception):
    """Leaves the transaction that built a scratch schema, undoing all of it."""


def _current_schema() -> str:
    return _rows("SELECT current_schema()")[0][0]


def _expected_postgres(version: int) -> dict[tuple[str, str], SchemaObject]:
    current = _current_schema()
    scratch = f"crm_check_{os.getpid()}_{secrets.token_hex(4)}"
    found: dict[tuple[str, str], SchemaObject] = {}
    try:
        with database.atomic():
            database.execute_sql(f'CREATE SCHEMA "{scratch}"')
            database.execute_sql(f'SET LOCAL search_path TO "{scratch}", "{current}"')
            migrations.build_schema(database.obj, version)
            found = _postgres_objects(scratch, rename_to=current)
            raise _Discard
    except _Discard:
        pass
    return found


def _postgres_objects(schema: str, rename_to: str | None = None) -> dict[tuple[str, str], SchemaObject]:
    """The objects of `schema`, with schema names left out of their definitions and their
    SQL written for the schema `rename_to` (the scratch schema's objects are made in the
    real one by a repair)."""
    def unqualified(sql: str) -> str:
        return sql.replace(f'"{schema}".', "").replace(f"{schema}.", "")

    def for_target(sql: str) -> str:
        target = rename_to or schema
        return sql.replace(f'"{schema}".', f'"{target}".').replace(f"{schema}.", f'"{target}".')

    objects: dict[tuple[str, str], SchemaObject] = {}
    for table, columns in _rows(
            "SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = %s GROUP BY table_name", (schema,)):
        objects[(TABLE, table)] = SchemaObject(TABLE, table, columns)
    for name, definition in _rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (schema,)):
        objects[(INDEX, name)] = SchemaObject(INDEX, name, unqualified(definition), for_target(definition),
                                              f'DROP INDEX IF EXISTS "{rename_to or schema}"."{name}"')
    for table, name, definition in _rows(
            "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT t.tgisinternal", (schema,)):
        key = f"{table}.{name}"
        objects[(TRIGGER, key)] = SchemaObject(
            TRIGGER, key, unqualified(definition), for_target(definition),
            f'DROP TRIGGER IF EXISTS "{name}" ON "{rename_to or schema}"."{table}"')
    for name, arguments, body, definition in _rows(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prosrc, pg_get_functiondef(p.oid) "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.prokind = 'f' AND NOT EXISTS ("
            "SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')", (schema,)):
        objects[(FUNCTION, name)] = SchemaObject(FUNCTION, name, f"({arguments}) {body}", for_target(definition))
    for (name,) in _rows("SELECT c.cfgname FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace "
                         "WHERE n.nspname = %s", (schema,)):
        objects[(TEXT_SEARCH, name)] = SchemaObject(TEXT_SEARCH, name, name)
    return objects


# --- repair -------------------------------------------------------------------------


def repair_database() -> list[str]:
    """Rebuild what can be rebuilt, in one transaction: indexes, triggers and functions
    as the schema code makes them (ones it does not make are dropped), the search index
    (through db/search.py), the counters and PostgreSQL's id sequences (raised, never
    lowered). Returns what was done, one translated line each. A damaged SQLite file is
    not written to: it needs its backup."""
    if is_sqlite() and not _check_integrity(full=False).ok:
        raise ServiceError(_("The file is damaged, and writing to it could lose more: restore it from a "
                             "backup (crm backup makes them) instead of repairing it."))
    done: list[str] = []
    with write_transaction():
        differences = schema_differences()
        done += _remake_objects(differences)
        if _search_needs_rebuilding(differences):
            search.install(database.obj)
            done.append(_("rebuilt the search index"))
        for series, value, highest in _counters_behind():
            done.append(_("raised the counter {series} from {value} to {highest}").format(
                series=series, value=value, highest=highest))
        counters.catch_up_all()
        if is_postgres():
            for table, _next_id, highest in catch_up_id_sequences():
                done.append(_("moved the id sequence of {table} past {highest}").format(table=table,
                                                                                      highest=highest))
    return done


def _remake_objects(differences: SchemaDifferences) -> list[str]:
    """Drop what the schema does not make and what differs, then make what is missing or
    differs from the schema's own SQL. One that cannot be made (its table is gone) is
    left for the check that follows to report."""
    done = []
    for item in differences.extra + differences.different:
        if item.drop:
            database.execute_sql(item.drop)
            if item in differences.extra:
                done.append(_("dropped {kind} {name}").format(kind=_kind_label(item.kind), name=item.name))
    remade = differences.missing + differences.different
    for kind in _CREATION_ORDER:
        for item in remade:
            if item.kind == kind and item.create and _made(item.create):
                done.append(_("made {kind} {name}").format(kind=_kind_label(item.kind), name=item.name))
    return done


def _made(sql: str) -> bool:
    try:
        with database.atomic():  # a savepoint: a failure here leaves the rest of the repair standing
            database.execute_sql(sql)
    except DATABASE_ERRORS:
        return False
    return True


def _search_needs_rebuilding(differences: SchemaDifferences) -> bool:
    """After any trigger or function was missing or different, rows may have been written
    without reaching the index, even if the counts agree."""
    touched = differences.missing + differences.different + differences.extra
    if any(item.kind != INDEX for item in touched):
        return True
    if migrations.schema_version() < 2:
        return False
    return not _guarded(CHECK_SEARCH, _check_search_index).ok
