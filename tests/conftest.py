"""Shared fixtures: every test that takes `db` runs on SQLite and on PostgreSQL.

PostgreSQL runs when CRM_TEST_POSTGRES_URL names a server (.ci/run sets it when one
answers at 127.0.0.1:5432); otherwise that half is skipped with the reason.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm_tui import i18n
from crm_tui.db import close_database, open_database
from crm_tui.db import migrations
from crm_tui.db.models import User, now
from crm_tui.services import Actor

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"]


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


@pytest.fixture(autouse=True)
def english_interface():
    """Tests read messages in English unless they choose a language themselves."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """The URL of a new, empty (not yet initialised) database on each backend."""
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def db(db_url):
    """An initialised database at the latest schema, bound to the models."""
    database = open_database(db_url, create=True)
    migrations.upgrade(database)
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
