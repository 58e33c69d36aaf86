"""Opening the database named by a bare path, `sqlite:///path` or `postgresql://...`."""
from __future__ import annotations

import importlib.util
import os
import select
import stat
import sys
import types
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse


# Modules peewee imports at once but uses only in a few functions (index names, JSON
# fields, timestamps): loaded on their first use instead of at every start of `crm`.
_USED_LATE_BY_PEEWEE = ("hashlib", "calendar", "json")


class _ImportedOnFirstUse(types.ModuleType):
    """Stands in sys.modules for one of them while peewee is imported (importlib's
    LazyLoader does not do: `import x` looks at x.__spec__, which loads it). peewee keeps
    this object as its global; the first attribute read imports the real module and puts
    it in peewee's place."""

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        peewee_module = sys.modules.get("peewee")
        if peewee_module is not None and getattr(peewee_module, self.__name__, None) is self:
            setattr(peewee_module, self.__name__, module)
        return getattr(module, attribute)


def _import_peewee_without_postgres_driver():
    """peewee imports psycopg whenever it is installed, a fifth of a second at every start
    of `crm`; on SQLite it is never used, so _load_postgres_driver() loads it on demand."""
    if "peewee" in sys.modules or "psycopg" in sys.modules:
        import peewee
        return peewee
    stand_ins = {name: _ImportedOnFirstUse(name) for name in _USED_LATE_BY_PEEWEE if name not in sys.modules}
    sys.modules.update(stand_ins)
    sys.modules["psycopg"] = None  # peewee's `import psycopg` fails fast: it then runs without it
    try:
        import peewee
    finally:
        del sys.modules["psycopg"]
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]  # whoever imports it next gets the real module
    return peewee


peewee = _import_peewee_without_postgres_driver()

from crm_tui.i18n import N_, _

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


class ConnectionLost(peewee.OperationalError):
    """The connection to the PostgreSQL server broke, or cannot be made again yet.

    str() is one translated sentence. Nothing of an open transaction was saved, except
    when `outcome_unknown`: the connection broke while the server was committing.
    The next operation connects again by itself.
    """

    def __init__(self, message: str, outcome_unknown: bool = False):
        super().__init__(message)
        self.message = message
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.message


def _is_read(sql: str) -> bool:
    return sql.lstrip().lstrip("(").lstrip()[:6].upper() == "SELECT"


class ReconnectingPostgresqlDatabase(peewee.PostgresqlDatabase):
    """PostgreSQL that comes back by itself after the server restarts.

    A connection the server has closed is replaced before a statement is sent when that
    can be seen (the connection is idle), so no statement is lost. When a statement meets
    a broken connection, it is sent again on a new one only where that cannot save
    anything twice: a read outside a transaction, or the BEGIN of a transaction. Anything
    else raises ConnectionLost; peewee's connection state is per thread, and so is this.
    """

    server_label = ""

    def begin(self, isolation_level=None):
        self._replace_connection_if_dropped()
        try:
            super().begin(isolation_level)
        except ConnectionLost:
            raise
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if not self._connection_broken():
                raise
            # Nothing of this transaction has reached the server: begin again on a new connection.
            self._reconnect()
            try:
                super().begin(isolation_level)
            except (peewee.OperationalError, peewee.InterfaceError) as again:
                if self._connection_broken():
                    raise self._lost() from again
                raise

    def execute_sql(self, sql, params=None):
        if self.in_transaction():
            return self._execute_in_transaction(sql, params)
        self._replace_connection_if_dropped()
        try:
            return super().execute_sql(sql, params)
        except ConnectionLost:
            raise
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if not self._connection_broken():
                raise
            if not _is_read(sql):  # it may have been done before the connection broke
                self._forget_connection()
                raise self._lost(outcome_unknown=True) from exc
            self._reconnect()
            try:
                return super().execute_sql(sql, params)
            except (peewee.OperationalError, peewee.InterfaceError) as again:
                if self._connection_broken():
                    self._forget_connection()
                    raise self._lost() from again
                raise

    def _execute_in_transaction(self, sql, params):
        if self._connection_broken():
            raise self._lost()
        try:
            return super().execute_sql(sql, params)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if self._connection_broken():
                raise self._lost() from exc
            raise

    def commit(self):
        try:
            super().commit()
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if self._connection_broken():
                raise self._lost(outcome_unknown=True) from exc
            raise

    def rollback(self):
        # A server that ended the transaction with the connection has nothing to undo.
        if not self._connection_broken():
            try:
                super().rollback()
                return
            except (peewee.OperationalError, peewee.InterfaceError):
                if not self._connection_broken():
                    raise
        if not self.in_transaction():
            self._forget_connection()

    # --- the connection ------------------------------------------------------------

    def _connection_broken(self) -> bool:
        if self.is_closed():
            return False
        return bool(getattr(self.connection(), "closed", False))

    def _replace_connection_if_dropped(self) -> None:
        """Connect again when the connection is gone: closed by us, or by the server while idle.

        An idle connection has nothing to read unless the server said goodbye (a restart
        sends "terminating connection" and closes it): checking costs no round trip."""
        if not self.is_closed():
            connection = self.connection()
            if not (connection.closed or self._has_pending_input(connection)):
                return
            self._forget_connection()
        self._connect_again()

    @staticmethod
    def _has_pending_input(connection) -> bool:
        try:
            readable, _writable, _failed = select.select([connection.fileno()], [], [], 0)
        except Exception:  # noqa: BLE001 - no socket to look at: the connection is gone
            return True
        return bool(readable)

    def _reconnect(self) -> None:
        self._forget_connection()
        self._connect_again()

    def _connect_again(self) -> None:
        try:
            self.connect(reuse_if_open=True)
        except peewee.PeeweeException as exc:
            raise ConnectionLost(_("Cannot connect to the database server at {server}: {reason}.").format(
                server=self.server_label, reason=connect_failure_reason(exc))) from exc

    def _forget_connection(self) -> None:
        """Drop a broken connection without talking to the server."""
        if self.in_transaction():
            return  # peewee pops the transaction first; the next BEGIN replaces the connection
        if not self.is_closed():
            try:
                self.connection().close()
            except Exception:  # noqa: BLE001 - it is already broken; closing only frees it
                pass
        self.dispose()

    @staticmethod
    def _lost(outcome_unknown: bool = False) -> ConnectionLost:
        if outcome_unknown:
            return ConnectionLost(_("The connection to the database server was lost while saving: the "
                                    "change may or may not have been saved."), outcome_unknown=True)
        return ConnectionLost(_("The connection to the database server was lost."))


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
        if file.exists():
            keep_group_access_to(file)
    if read_only and _has_hot_journal(file):
        # A writer was killed mid-transaction: its rollback journal must be played back, which
        # only a writing connection can do. That restores the file to its last commit, as the
        # next person to open it would anyway; nothing of the reader's is written.
        read_only = False
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


def _has_hot_journal(file: Path) -> bool:
    try:
        return Path(f"{file}-journal").stat().st_size > 0
    except OSError:
        return False


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
    db = ReconnectingPostgresqlDatabase(
        unquote(parts.path.lstrip("/")) or "postgres",
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname or None,
        port=parts.port or None,
        **({"options": "-c default_transaction_read_only=on"} if read_only else {}),
    )
    db.server_label = _server_label(parts)
    return db


def _server_label(parts) -> str:
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port}" if parts.port else host


# The URL of the database open for reading and writing, if any (see opened_for_writing).
_writable_url: str | None = None


def opened_for_writing(url: str) -> bool:
    """Whether the models are connected, for reading and writing, to the database at `url`."""
    current = database.obj
    return _writable_url == url and current is not None and not current.is_closed()


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
    global _writable_url
    _writable_url = None if read_only else url
    return db


def close_database() -> None:
    global _writable_url
    _writable_url = None
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


# The umask of a process working on a database its group shares.
SHARED_UMASK = 0o007


def keep_group_access_to(file: Path) -> None:
    """A database the group reads and writes (0660): whatever this process creates from now
    on (-wal/-shm, exports, backups) is the group's too, and nobody else's."""
    if file.stat().st_mode & 0o060 == 0o060:
        os.umask(SHARED_UMASK)


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


_CONNECT_FAILURES = (
    ("connection refused", N_("it refuses connections (is it running?)")),
    ("starting up", N_("it is starting up")),
    ("shutting down", N_("it is shutting down")),
    ("in recovery mode", N_("it is recovering after a crash")),
    ("timeout", N_("it did not answer in time")),
    ("timed out", N_("it did not answer in time")),
    ("could not translate host name", N_("its host name is unknown")),
    ("name or service not known", N_("its host name is unknown")),
    ("password authentication failed", N_("it did not accept the user name or password")),
    ("too many clients", N_("it has too many connections open")),
)


def connect_failure_reason(exc: BaseException) -> str:
    """Why a connection to PostgreSQL failed, in the user's language when the cause is known."""
    text = str(exc).casefold()
    for clue, reason in _CONNECT_FAILURES:
        if clue in text:
            return _(reason)
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]
