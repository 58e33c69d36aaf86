"""Noticing other people's changes cheaply, on a connection of its own.

SQLite: `PRAGMA data_version` on a dedicated connection changes whenever another
connection commits to the file; reading it touches no table and costs microseconds.

PostgreSQL: statement triggers on the tables a screen shows send `NOTIFY crm_changes`
with the table's name. The server delivers a notification only when its transaction
commits (never for a rollback, and never before the rows are visible), and identical
ones of one transaction arrive once, so a bulk load sends one per table. A dedicated
connection LISTENs; checking reads what already arrived on its socket without a round
trip. The alternatives cost more or tell less: a counter row bumped by triggers makes
every writer of those tables wait for the others' commit (and can deadlock), a sequence
is bumped before the commit (a reader could refresh too early and miss the change), and
pg_stat_database counts every transaction of every reader.
"""
from __future__ import annotations

import sqlite3
import threading
from typing import Any

import peewee

CHANNEL = "crm_changes"
# The tables whose changes a screen may follow (the home screen shows all of them).
WATCHED_TABLES = ("activity", "service_order", "service_entry", "order_review", "contact", "client", "user",
                  "category", "project", "opportunity", "opportunity_type", "opportunity_event")

_PG_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION crm_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
  RETURN NULL;
END
$$"""


def install_notify_triggers(db: peewee.Database) -> None:
    """PostgreSQL: the triggers that announce each committed change of a watched table."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        return
    db.execute_sql(_PG_NOTIFY_FUNCTION)
    for table in WATCHED_TABLES:
        db.execute_sql(f'DROP TRIGGER IF EXISTS {table}_notify_change ON "{table}"')
        db.execute_sql(f'CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE '
                       f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION crm_notify_change()')


class ChangeWatch:
    """Tells whether other connections committed changes since the last look."""

    def changed(self) -> set[str] | bool:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SqliteChangeWatch(ChangeWatch):
    def __init__(self, db: peewee.SqliteDatabase) -> None:
        options: dict[str, Any] = {"uri": True} if db.connect_params.get("uri") else {}
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(db.database, check_same_thread=False, timeout=1,
                                           isolation_level=None, **options)
        self._version = self._read()

    def _read(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True when any other connection committed since the last call (any table)."""
        with self._lock:
            version = self._read()
            moved, self._version = version != self._version, version
        return moved

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PostgresChangeWatch(ChangeWatch):
    def __init__(self, db: peewee.PostgresqlDatabase) -> None:
        self._params = dict(db.connect_params, dbname=db.database)
        self._lock = threading.Lock()
        self._connection = None
        self._connect()

    def _connect(self) -> None:
        import psycopg

        self._connection = psycopg.connect(autocommit=True, connect_timeout=5, **self._params)
        self._connection.execute(f"LISTEN {CHANNEL}")

    def changed(self) -> set[str] | bool:
        """The names of the tables changed since the last call (an empty set: none). After
        the connection was lost, True: changes may have been missed meanwhile."""
        import psycopg

        with self._lock:
            if self._connection is None or self._connection.closed:
                try:
                    self._connect()
                except psycopg.Error:
                    self._drop()
                    return False  # the server is away: nothing to show until it is back
                return True
            try:
                return {note.payload for note in self._connection.notifies(timeout=0)}
            except psycopg.Error:
                self._drop()
                return False

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 - it is broken already; closing only frees it
                pass
        self._connection = None

    def close(self) -> None:
        with self._lock:
            self._drop()


def open_change_watch(db: peewee.Database) -> ChangeWatch:
    """A watch on its own connection to the database `db` points at."""
    if isinstance(db, peewee.PostgresqlDatabase):
        return PostgresChangeWatch(db)
    return SqliteChangeWatch(db)
