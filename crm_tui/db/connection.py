"""Opening the database named by a bare path, `sqlite:///path` or `postgresql://...`."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse


def _import_peewee_without_postgres_driver():
    """peewee imports psycopg whenever it is installed, a fifth of a second at every start
    of `crm`; on SQLite it is never used, so _load_postgres_driver() loads it on demand."""
    if "peewee" in sys.modules or "psycopg" in sys.modules:
        import peewee
        return peewee
    sys.modules["psycopg"] = None  # peewee's `import psycopg` fails fast: it then runs without it
    try:
        import peewee
    finally:
        del sys.modules["psycopg"]
    return peewee


peewee = _import_peewee_without_postgres_driver()

from crm_tui.i18n import _

# Every model is bound to this proxy; open_database() points it at a real database.
database = peewee.DatabaseProxy()

SQLITE_BUSY_TIMEOUT_SECONDS = 30
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": SQLITE_BUSY_TIMEOUT_SECONDS * 1000,
    "synchronous": "normal",
    "cache_size": -32000,  # 32 MiB of page cache per connection
    "temp_store": "memory",
}
# A connection that only reads leaves the file as it is: no switch to WAL, and writes refused.
SQLITE_READ_ONLY_PRAGMAS = {name: value for name, value in SQLITE_PRAGMAS.items() if name != "journal_mode"}
SQLITE_READ_ONLY_PRAGMAS["query_only"] = 1


class ReadOnlySqliteDatabase(peewee.SqliteDatabase):
    """A SQLite file opened only to read it."""


class DatabaseOpenError(Exception):
    """The database cannot be opened; the message is one line for the user."""


def parse_url(url: str) -> tuple[str, str]:
    """Return ("sqlite", path) or ("postgresql", url) for what the user wrote."""
    text = str(url).strip()
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql", text
    if text.startswith("sqlite:///"):
        # As in SQLAlchemy: sqlite:///relative.db and sqlite:////absolute/path.db
        return "sqlite", unquote(text[len("sqlite:///"):])
    if text.startswith("sqlite://"):
        raise DatabaseOpenError(_("Not a SQLite URL: {url} (use sqlite:///path/to/file.db)").format(url=text))
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise DatabaseOpenError(_("Unsupported database kind {kind!r}: use a file path, sqlite:/// or postgresql://").format(kind=scheme))
    return "sqlite", text


def describe_url(url: str) -> str:
    """The database as shown to the user: a path, or the PostgreSQL URL without a password."""
    kind, target = parse_url(url)
    if kind == "sqlite":
        return target
    parts = urlparse(target)
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return f"postgresql://{netloc}{parts.path}"


def _open_sqlite(path: str, create: bool, read_only: bool = False) -> peewee.SqliteDatabase:
    file = Path(path).expanduser()
    if path != ":memory:":
        if not file.exists() and not create:
            raise DatabaseOpenError(_("No database at {path}: create it with crm init --db {path}").format(path=file))
        directory = file.parent if str(file.parent) else Path(".")
        if not directory.is_dir():
            raise DatabaseOpenError(_("The folder {path} does not exist.").format(path=directory))
        if not file.exists() and not os.access(directory, os.W_OK):
            raise DatabaseOpenError(_("Cannot create a database in {path}: permission denied.").format(path=directory))
        if file.exists() and not os.access(file, os.R_OK):
            raise DatabaseOpenError(_("Cannot read {path}: permission denied.").format(path=file))
    if read_only and path != ":memory:":
        # mode=ro: SQLite neither creates the file nor writes to it (an empty file stays empty).
        name, uri = file.resolve().as_uri() + "?mode=ro", True
    else:
        name, uri = (str(file) if path != ":memory:" else path), False
    db = (ReadOnlySqliteDatabase if read_only else peewee.SqliteDatabase)(
        name,
        pragmas=SQLITE_READ_ONLY_PRAGMAS if read_only else SQLITE_PRAGMAS,
        timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
        # Every transaction takes the write lock up front: a deferred one that reads and
        # then writes fails at once with SQLITE_BUSY when another process holds it.
        lock_type="DEFERRED" if read_only else "IMMEDIATE",
        uri=uri,
    )
    _register_sqlite_functions(db)
    return db


def _register_sqlite_functions(db: peewee.SqliteDatabase) -> None:
    from crm_tui.db.text import fold

    # A fold() in SQL lets LIKE look-ups ignore accents and case the way search does.
    db.register_function(fold, "crm_fold", 1, deterministic=True)


def _load_postgres_driver() -> None:
    """Give peewee the psycopg 3 driver it would have found had it been imported with it."""
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    if peewee.psycopg is None:
        peewee.psycopg, peewee.TransactionStatus = psycopg, TransactionStatus
        peewee.Json_pg3, peewee.Jsonb_pg3 = Json, Jsonb
        adapter = peewee.Psycopg3Adapter
        adapter.txn_idle = TransactionStatus.IDLE
        adapter.txn_inerror = TransactionStatus.INERROR
        adapter.txn_unknown = TransactionStatus.UNKNOWN


def _open_postgres(url: str, read_only: bool = False) -> peewee.PostgresqlDatabase:
    try:
        _load_postgres_driver()
    except ImportError as exc:
        raise DatabaseOpenError(
            _("PostgreSQL needs the psycopg driver: pip install 'crm_tui[postgres]'")
        ) from exc
    parts = urlparse(url)
    return peewee.PostgresqlDatabase(
        unquote(parts.path.lstrip("/")) or "postgres",
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname or None,
        port=parts.port or None,
        **({"options": "-c default_transaction_read_only=on"} if read_only else {}),
    )


def open_database(url: str, create: bool = False, read_only: bool = False) -> peewee.Database:
    """Connect the models to the database at `url` and return it.

    `create` allows a new SQLite file to be made (only `crm init` and tests ask for it);
    `read_only` opens it for reading only (commands that only read never change the file).
    """
    kind, target = parse_url(url)
    db = _open_sqlite(target, create, read_only) if kind == "sqlite" else _open_postgres(target, read_only)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise DatabaseOpenError(_("Cannot open the database {url}: {reason}").format(url=describe_url(url), reason=_first_line(exc))) from exc
    except Exception as exc:  # the PG driver's own errors
        raise DatabaseOpenError(_("Cannot open the database {url}: {reason}").format(url=describe_url(url), reason=_first_line(exc))) from exc
    close_database()
    database.initialize(db)
    return db


def close_database() -> None:
    current = database.obj
    if current is not None and not current.is_closed():
        if isinstance(current, peewee.SqliteDatabase) and not isinstance(current, ReadOnlySqliteDatabase):
            # SQLite's advice for long-lived files: refresh planner statistics where stale.
            try:
                current.execute_sql("PRAGMA optimize")
            except peewee.DatabaseError:
                pass
        current.close()


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def write_transaction():
    """A writing transaction: BEGIN IMMEDIATE on SQLite, a normal one on PostgreSQL."""
    return database.atomic()


def share_with_group(path: str) -> bool:
    """Make a SQLite file and its -wal/-shm readable and writable by the folder's group.

    Returns whether the folder keeps its group on new files (setgid); without it the
    -wal/-shm made by one person are read-only for the next. The folder itself is the
    admin's to set up, so it is reported, never changed.
    """
    file = Path(path)
    directory_group = file.parent.stat().st_gid
    for candidate in (file, Path(f"{file}-wal"), Path(f"{file}-shm")):
        if candidate.exists():
            try:
                candidate.chmod(0o660)
                if candidate.stat().st_gid != directory_group:
                    os.chown(candidate, -1, directory_group)
            except PermissionError:
                pass
    return bool(file.parent.stat().st_mode & stat.S_ISGID)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]
