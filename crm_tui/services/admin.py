"""Looking after the database itself: create/upgrade, consistent backups, health checks.

The command line calls these; the SQL lives here so the CLI never touches peewee.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from crm_tui.db import counters, migrations, name_index, search
from crm_tui.db.connection import (
    DatabaseOpenError,
    database,
    describe_url,
    is_postgres,
    is_sqlite,
    open_database,
    parse_url,
    share_with_group,
)
from crm_tui.i18n import N_, _
from crm_tui.services.errors import ServiceError

# Everything the database layer may raise at run time (driver errors arrive wrapped by peewee).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (pw.PeeweeException, sqlite3.Error)

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


# --- opening ------------------------------------------------------------------------


def database_exists(url: str) -> bool:
    """False only for a SQLite file that is not there (a server database is asked instead)."""
    kind, target = parse_url(url)
    return kind != "sqlite" or target == ":memory:" or Path(target).expanduser().exists()


def open_existing(url: str, allow_older: bool = False):
    """Open a database that `crm init` made, refusing a missing or out-of-date one."""
    kind, target = parse_url(url)
    if not database_exists(url):
        raise DatabaseOpenError(
            _("No database at {path}: create it with crm init --db {path}").format(
                path=Path(target).expanduser()))
    db = open_database(url)
    version = migrations.schema_version(db)
    if version == 0:
        raise DatabaseOpenError(
            _("The database {url} is not initialised: run crm init --db {url}").format(url=describe_url(url)))
    if version > migrations.LATEST_VERSION:
        raise DatabaseOpenError(_newer_schema_message(version))
    if version < migrations.LATEST_VERSION and not allow_older:
        raise DatabaseOpenError(
            _("The database {url} has schema version {version} and this program needs {latest}: "
              "run crm init --db {url} to upgrade it").format(
                url=describe_url(url), version=version, latest=migrations.LATEST_VERSION))
    return db


def initialise_database(url: str, share: bool = True) -> UpgradeResult:
    """Create the database (or bring an older one up to date) and share a SQLite file with
    the folder's group, so every user of the group can open it."""
    kind, target = parse_url(url)
    if kind == "sqlite" and target != ":memory:":
        _check_folder_for(Path(target).expanduser())
    db = open_database(url, create=True)
    before = migrations.schema_version(db)
    if before > migrations.LATEST_VERSION:
        raise DatabaseOpenError(_newer_schema_message(before))
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


def _newer_schema_message(version: int) -> str:
    return _("This database has schema version {version}, newer than this program knows "
             "({latest}): upgrade crm_tui").format(version=version, latest=migrations.LATEST_VERSION)


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
        dest = dest / f"crm-{dt.datetime.now():%Y%m%d-%H%M%S}{suffix}"
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
CHECK_SEARCH = N_("Search index")
CHECK_NAME_SEARCH = N_("Catalog search box")
CHECK_COUNTERS = N_("Consecutive numbers")

def check_database(full: bool = False) -> list[CheckResult]:
    """Every health check of the open database, in order; `full` runs the slow integrity check."""
    results = []
    if is_sqlite():
        results.append(_check_integrity(full))
        results.append(_check_foreign_keys())
    results.append(_check_schema())
    if migrations.schema_version() >= 2:
        results.append(_check_search_index())
    if is_postgres() and migrations.schema_version() >= 3:
        results.append(_check_name_search())
    results.append(_check_counters())
    return results


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    return list(database.execute_sql(sql, params).fetchall())


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
    stored = dict(_rows("SELECT name, value FROM counter"))
    behind = []
    for series, (table, column) in counters.SERIES.items():
        highest = int(_rows(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")[0][0])
        if int(stored.get(series, 0)) < highest:
            behind.append(_("{series} at {value}, highest used {highest}").format(
                series=series, value=int(stored.get(series, 0)), highest=highest))
    if behind:
        return CheckResult(CHECK_COUNTERS, False, "; ".join(behind))
    return CheckResult(CHECK_COUNTERS, True, _("every counter is above the highest number used"))
