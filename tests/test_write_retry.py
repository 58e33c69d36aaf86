"""A write the database undid because another user's collided with it (a PostgreSQL
deadlock or serialization failure) runs again, whole, and is saved once; after
WRITE_ATTEMPTS the user reads that the database is busy and nothing was saved."""
from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import peewee as pw
import pytest

from conftest import POSTGRES_URL
from crm_tui.db import counters
from crm_tui.db.connection import database, is_postgres
from crm_tui.db.models import Activity, AuditEntry, Category, Client, Contact, ServiceOrder, now
from crm_tui.services import activities, base, catalogs, orders
from crm_tui.services.errors import ConflictError

BUSY = "The database is busy with another user's change; nothing was saved. Try again in a moment."
SERVICES = Path(__file__).resolve().parent.parent / "crm_tui" / "services"


@pytest.fixture
def catalog(db) -> dict:
    moment = now()
    stamps = {"created_at": moment, "updated_at": moment}
    client = Client.create(key=1, name="Cliente", name_folded="cliente", **stamps)
    contact = Contact.create(key=1, client=client, name="Contacto", name_folded="contacto", **stamps)
    category = Category.create(name="Soporte", name_folded="soporte", **stamps)
    return {"client": client.id, "contact": contact.id, "category": category.id}


@pytest.fixture
def no_pause(monkeypatch) -> list[int]:
    pauses: list[int] = []
    monkeypatch.setattr(base, "_pause", pauses.append)
    return pauses


def _postgres_error(name: str) -> Exception:
    import psycopg.errors

    return getattr(psycopg.errors, name)("the server undid the transaction")


def _fail_statements(monkeypatch, starting: str, error: str, times: int) -> list[str]:
    """The next `times` statements that start with `starting` fail as PostgreSQL reports
    `error` (peewee wraps the driver's error, as it does for a real one)."""
    failed: list[str] = []
    kind = type(database.obj)
    original = kind.execute_sql

    def execute_sql(self, sql, params=None):
        if sql.startswith(starting) and len(failed) < times:
            failed.append(sql)
            raise pw.OperationalError(_postgres_error(error))
        return original(self, sql, params)

    monkeypatch.setattr(kind, "execute_sql", execute_sql)
    return failed


def _activity(catalog: dict, detail: str) -> activities.ActivityInput:
    return activities.ActivityInput(when=now(), contact_id=catalog["contact"],
                                    category_id=catalog["category"], detail=detail)


def test_a_serialization_failure_is_run_again_and_saved_once(db, agent, catalog, monkeypatch, no_pause):
    failed = _fail_statements(monkeypatch, 'INSERT INTO "activity"', "SerializationFailure", times=1)

    saved = activities.add_activity(agent, _activity(catalog, "llamada"))

    assert len(failed) == 1 and len(no_pause) == 1
    assert saved.folio == 1
    assert [(a.folio, a.detail) for a in Activity.select()] == [(1, "llamada")]
    assert AuditEntry.select().where(AuditEntry.table_name == "activity").count() == 1
    assert counters.peek_next(counters.ACTIVITY_FOLIO) == 2


def test_a_deadlock_victim_is_run_again(db, agent, catalog, monkeypatch, no_pause):
    _fail_statements(monkeypatch, 'INSERT INTO "service_order"', "DeadlockDetected", times=2)

    order = orders.add_order(agent, orders.OrderInput(
        contact_id=catalog["contact"], category_id=catalog["category"], detail="no enciende"))

    assert len(no_pause) == 2
    assert [(o.number, o.detail) for o in ServiceOrder.select()] == [(order.number, "no enciende")]
    assert order.number == 1


def test_after_every_attempt_fails_nothing_is_saved_and_the_user_reads_busy(
        db, agent, catalog, monkeypatch, no_pause):
    failed = _fail_statements(monkeypatch, 'INSERT INTO "activity"', "DeadlockDetected", times=99)

    with pytest.raises(ConflictError) as refused:
        activities.add_activity(agent, _activity(catalog, "llamada"))

    assert str(refused.value) == BUSY
    assert len(failed) == base.WRITE_ATTEMPTS
    assert Activity.select().count() == 0
    assert counters.peek_next(counters.ACTIVITY_FOLIO) == 1


def test_a_lock_awaited_for_the_whole_lock_timeout_is_not_run_again(db, agent, catalog, monkeypatch, no_pause):
    failed = _fail_statements(monkeypatch, 'INSERT INTO "activity"', "LockNotAvailable", times=99)

    with pytest.raises(ConflictError) as refused:
        activities.add_activity(agent, _activity(catalog, "llamada"))

    assert str(refused.value) == BUSY
    assert len(failed) == 1 and no_pause == []


def test_inside_an_enclosing_write_only_the_outermost_runs_again(db, admin, monkeypatch, no_pause):
    calls = []

    @base.retrying_write
    def add_two() -> None:
        calls.append("outer")
        with base.writing():
            catalogs.add_category(admin, catalogs.CategoryInput(name="Primera"))
            catalogs.add_category(admin, catalogs.CategoryInput(name="Segunda"))

    failed: list[str] = []
    original = type(database.obj).execute_sql

    def second_insert_fails_once(self, sql, params=None):
        if sql.startswith('INSERT INTO "category"') and "Segunda" in (params or ()) and not failed:
            failed.append(sql)
            raise pw.OperationalError(_postgres_error("DeadlockDetected"))
        return original(self, sql, params)

    monkeypatch.setattr(type(database.obj), "execute_sql", second_insert_fails_once)

    add_two()

    assert calls == ["outer", "outer"] and len(no_pause) == 1
    assert sorted(c.name for c in Category.select()) == ["Primera", "Segunda"]


def test_a_real_deadlock_with_another_session_loses_no_change(db, agent, catalog):
    if not is_postgres():
        pytest.skip("SQLite takes the write lock at BEGIN IMMEDIATE: writers never deadlock")
    import psycopg

    database.execute_sql("INSERT INTO counter (name, value) VALUES (%s, 0)", (counters.ORDER_NUMBER,))
    retries_before = base.write_retries()
    outcome: dict = {}

    def add_order() -> None:
        try:
            outcome["order"] = orders.add_order(agent, orders.OrderInput(
                contact_id=catalog["contact"], category_id=catalog["category"], detail="en la otra sesión"))
        except BaseException as exc:  # noqa: BLE001 - the test reads it below
            outcome["error"] = exc
        finally:
            database.close()

    with psycopg.connect(POSTGRES_URL) as other, psycopg.connect(POSTGRES_URL, autocommit=True) as watcher:
        # This session waits longer before checking for a deadlock: the service's finds it
        # and is the one the server undoes.
        other.execute("SET deadlock_timeout = '20s'")
        other.execute("SELECT name FROM client WHERE id = %s FOR UPDATE", (catalog["client"],))
        writer = threading.Thread(target=add_order)
        writer.start()
        _wait_for_a_session_waiting_on_a_lock(watcher)
        # The service holds the counter and waits for the client: the opposite order.
        other.execute("UPDATE counter SET value = value WHERE name = %s", (counters.ORDER_NUMBER,))
        other.execute("UPDATE client SET name = 'Cliente renombrado' WHERE id = %s", (catalog["client"],))
        other.commit()
        writer.join(30)

    assert not writer.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert base.write_retries() > retries_before
    assert [(o.number, o.detail) for o in ServiceOrder.select()] == [(1, "en la otra sesión")]
    assert Client.get_by_id(catalog["client"]).name == "Cliente renombrado"


def _wait_for_a_session_waiting_on_a_lock(watcher) -> None:
    for _ in range(400):
        waiting = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'").fetchone()[0]
        if waiting:
            return
        time.sleep(0.025)
    pytest.fail("the service's write never waited for the row the other session holds")


def _writes_without_retrying(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        opens_a_write = any(
            isinstance(inner, ast.With) and any(
                isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "id", "") == "writing"
                for item in inner.items)
            for inner in ast.walk(node))
        decorated = any(getattr(d, "id", getattr(d, "attr", "")) == "retrying_write" for d in node.decorator_list)
        if opens_a_write and not decorated:
            missing.append(f"{path.name}:{node.name}")
    return missing


def test_every_service_function_that_writes_runs_again_after_a_collision():
    missing = [name for path in sorted(SERVICES.rglob("*.py")) for name in _writes_without_retrying(path)]
    assert missing == []


def test_an_import_runs_again_only_the_row_the_server_undid(db, admin, tmp_path, monkeypatch, no_pause):
    from crm_tui.services import importing

    source = tmp_path / "contactos.csv"
    source.write_text("Name,Client name\nAna,Ávila\nBeto,Ávila\nCarla,Ávila\n", encoding="utf-8")
    failed = _fail_statements(monkeypatch, 'INSERT INTO "contact"', "DeadlockDetected", times=1)

    report = importing.import_file(admin, "contacts", source)

    assert len(failed) == 1 and len(no_pause) == 1
    assert (report.imported, report.rejected) == (3, [])
    assert [(c.key, c.name) for c in Contact.select().order_by(Contact.key)] == [(1, "Ana"), (2, "Beto"), (3, "Carla")]
    assert [c.name for c in Client.select()] == ["Ávila"]
