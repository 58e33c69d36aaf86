"""Shared fixtures: every test that takes `db` runs on SQLite and on PostgreSQL.

PostgreSQL runs when CRM_TEST_POSTGRES_URL names a server (.ci/run sets it when one
answers at 127.0.0.1:5432); otherwise that half is skipped with the reason. Under
pytest-xdist each worker uses a database of its own, the URL's name with the worker's
suffix (test_gw0, test_gw1, ...), created when missing.

A `db` is prepared cheaply: on SQLite a copy of a file migrated once per session; on
PostgreSQL the rows are emptied when the schema is still the one the migrations made
(otherwise the schema is dropped and migrated again).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from crm_tui import i18n
from crm_tui.db import close_database, open_database
from crm_tui.db import migrations
from crm_tui.db.models import User, now
from crm_tui.services import Actor

BACKENDS = ["sqlite", "postgres"]


def worker_postgres_url(url: str, worker: str) -> str:
    """The URL of this xdist worker's own database: the name gets the worker's suffix."""
    if not url or not worker:
        return url
    parts = urlparse(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunparse(parts._replace(path=f"/{name}_{worker}"))


POSTGRES_URL = worker_postgres_url(os.environ.get("CRM_TEST_POSTGRES_URL", ""),
                                   os.environ.get("PYTEST_XDIST_WORKER", ""))


def create_postgres_database_if_missing(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    maintenance = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as server:
        if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session", autouse=True)
def worker_postgres_database():
    if POSTGRES_URL and os.environ.get("PYTEST_XDIST_WORKER"):
        create_postgres_database_if_missing(POSTGRES_URL)


def reset_postgres(url: str) -> None:
    db = open_database(url)
    db.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
    db.execute_sql("CREATE SCHEMA public")
    close_database()


def fresh_database_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL half skipped: set CRM_TEST_POSTGRES_URL (e.g. "
                        "postgresql://postgres@127.0.0.1:5432/test) to run it")
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return str(tmp_path / "crm.db")


# --- a migrated database, prepared cheaply ------------------------------------------------


def migrated_sqlite_file(folder: Path) -> Path:
    path = folder / "migrated.db"
    migrations.upgrade(open_database(str(path), create=True))
    close_database()
    with sqlite3.connect(path) as connection:  # everything in the main file: a plain copy is whole
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    return migrated_sqlite_file(tmp_path_factory.mktemp("migrated"))


# What makes up the public schema; a test that changed any of it gets a new schema.
SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(part, ',' ORDER BY part), '')) FROM (
  SELECT 'r:' || c.relname || ':' || c.relkind::text AS part
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
  UNION ALL
  SELECT 'a:' || c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
         || ':' || a.attnotnull::text || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 't:' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND NOT t.tgisinternal
  UNION ALL
  SELECT 'f:' || p.proname || ':' || md5(p.prosrc)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
  UNION ALL
  SELECT 'k:' || k.conname || ':' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'public'
  UNION ALL
  SELECT 'i:' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public'
) AS schema_parts
"""


class PostgresTemplate:
    """The migrated schema of this worker's database: its fingerprint, and the rows the
    migrations left (kept as they are; a test that changed them gets a new schema)."""

    def __init__(self) -> None:
        self.fingerprint: str | None = None
        self.seeded_rows: dict[str, str] = {}

    def prepare(self, url: str):
        database = open_database(url, create=True)
        if self.fingerprint is not None and self._unchanged(database):
            self._empty_the_tables(database)
        else:
            close_database()
            reset_postgres(url)
            database = open_database(url, create=True)
            migrations.upgrade(database)
            self._remember(database)
        return database

    def _unchanged(self, database) -> bool:
        if database.execute_sql(SCHEMA_FINGERPRINT).fetchone()[0] != self.fingerprint:
            return False
        return all(self._rows_digest(database, table) == digest for table, digest in self.seeded_rows.items())

    def _remember(self, database) -> None:
        self.fingerprint = database.execute_sql(SCHEMA_FINGERPRINT).fetchone()[0]
        self.seeded_rows = {table: self._rows_digest(database, table) for table in _tables(database)
                            if database.execute_sql(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]}

    @staticmethod
    def _rows_digest(database, table: str) -> str:
        return database.execute_sql(
            f'SELECT md5(coalesce(string_agg(t::text, \',\' ORDER BY t::text), \'\')) FROM "{table}" AS t'
        ).fetchone()[0]

    def _empty_the_tables(self, database) -> None:
        # Only the tables holding rows and the sequences handed out since their restart
        # (last_value is NULL until then): most tests touch few. DELETE, not TRUNCATE: on
        # tables this small it is ten times faster. Replica mode skips the foreign keys'
        # and the change notices' triggers, so any order will do.
        filled = _tables_with_rows(database, [t for t in _tables(database) if t not in self.seeded_rows])
        used = [name for (name,) in database.execute_sql(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
        ).fetchall()]
        if not filled and not used:
            return
        with database.atomic():
            database.execute_sql("SET LOCAL session_replication_role = replica")
            for table in filled:
                database.execute_sql(f'DELETE FROM "{table}"')
            for sequence in used:
                database.execute_sql(f'ALTER SEQUENCE "{sequence}" RESTART')


def _tables_with_rows(database, tables: list[str]) -> list[str]:
    if not tables:
        return []
    probe = " UNION ALL ".join(f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables)
    return [name for (name,) in database.execute_sql(probe).fetchall()]


def _tables(database) -> list[str]:
    return [name for (name,) in database.execute_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()]


_POSTGRES_TEMPLATE = PostgresTemplate()


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english_interface():
    """Tests read messages in English unless they choose a language themselves."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """The URL of a new, empty (not yet initialised) database on each backend; when the
    test also takes `db`, that fixture fills it."""
    if request.param == "postgres" and POSTGRES_URL and "db" in request.fixturenames:
        return POSTGRES_URL
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def db(db_url, request):
    """An initialised database at the latest schema, bound to the models."""
    if db_url == POSTGRES_URL:
        database = _POSTGRES_TEMPLATE.prepare(db_url)
    else:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), db_url)
        database = open_database(db_url)
    yield database
    close_database()


def make_user(username: str, role: str = "agent", full_name: str | None = None) -> Actor:
    moment = now()
    user = User.create(username=username, full_name=full_name or username.title(), role=role,
                       created_at=moment, updated_at=moment, created_by="test", updated_by="test")
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=user.role)


@pytest.fixture
def admin(db) -> Actor:
    return make_user("admin", "admin", "Administradora")


@pytest.fixture
def agent(db) -> Actor:
    return make_user("tecnico", "agent", "Técnico de Campo")
