"""`crm check` compares the tables, indexes, triggers and counters with what the schema
code makes, and `crm check --repair` rebuilds what can be rebuilt; on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from crm_tui.cli import main
from crm_tui.db import close_database, database, is_sqlite, migrations, open_database
from crm_tui.db import search as index
from crm_tui.db.models import Contact, ServiceOrder
from crm_tui.services import catalogs

from conftest import make_user


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("CRM_LANG", "en")
    for name in ("CRM_DATABASE_URL", "CRM_CONFIG", "CRM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    yield
    close_database()


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def demo_url(db_url, capsys) -> str:
    assert run(capsys, "--db", db_url, "init")[0] == 0
    code, _out, err = run(capsys, "--db", db_url, "demo", "--orders", "30", "--seed", "4")
    assert code == 0, err
    return db_url


def execute(url: str, *statements: str) -> None:
    open_database(url)
    try:
        for statement in statements:
            database.execute_sql(statement)
    finally:
        close_database()


def drop_a_search_trigger() -> str:
    if is_sqlite():
        return "DROP TRIGGER service_order_search_ai"
    return "DROP TRIGGER service_order_search ON service_order"


def search_trigger_name() -> str:
    return "service_order_search_ai" if is_sqlite() else "service_order.service_order_search"


def problem_line(out: str, check: str) -> str:
    return next((line for line in out.splitlines() if line.startswith(f"[PROBLEM] {check}:")), "")


def test_a_whole_schema_passes_every_check(demo_url, capsys):
    code, out, err = run(capsys, "--db", demo_url, "check")
    assert (code, err) == (0, "")
    assert "[ok] Tables, indexes and triggers:" in out
    assert out.endswith("Every check passed.\n")


def test_check_names_the_missing_indexes_and_triggers(demo_url, capsys):
    open_database(demo_url)
    statement = drop_a_search_trigger()
    trigger = search_trigger_name()
    close_database()
    execute(demo_url, 'DROP INDEX "activity_when_id"', 'DROP INDEX "contact_key"', statement)
    code, out, err = run(capsys, "--db", demo_url, "check")
    assert code == 1
    line = problem_line(out, "Tables, indexes and triggers")
    assert "missing" in line
    for name in ("index activity_when_id", "index contact_key", f"trigger {trigger}"):
        assert name in line
    assert "Every check passed." not in out


def test_check_finds_a_trigger_that_differs_from_the_schema_and_one_it_does_not_make(demo_url, capsys):
    open_database(demo_url)
    if is_sqlite():
        statements = ("DROP TRIGGER activity_search_ad",
                      "CREATE TRIGGER activity_search_ad AFTER DELETE ON activity BEGIN SELECT 1; END",
                      "CREATE TRIGGER stray_trigger AFTER INSERT ON client BEGIN SELECT 1; END")
        changed, stray = "trigger activity_search_ad", "trigger stray_trigger"
    else:
        statements = ("CREATE OR REPLACE FUNCTION activity_search_sync() RETURNS trigger AS $$ "
                      "BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
                      "CREATE TRIGGER stray_trigger AFTER INSERT ON client "
                      "FOR EACH ROW EXECUTE FUNCTION activity_search_sync()")
        changed, stray = "function activity_search_sync", "trigger client.stray_trigger"
    close_database()
    execute(demo_url, *statements)
    code, out, _err = run(capsys, "--db", demo_url, "check")
    assert code == 1
    line = problem_line(out, "Tables, indexes and triggers")
    assert f"different: {changed}" in line
    assert f"not made by the schema: {stray}" in line


def test_check_follows_the_schema_code_not_a_list(demo_url, capsys, monkeypatch):
    """A new index in the schema code is expected at once: a database without it fails."""
    step = migrations.STEPS[0]

    def with_one_more_index(db):
        step.apply(db)
        db.execute_sql('CREATE INDEX IF NOT EXISTS "contact_email" ON "contact" ("email")')

    steps = [migrations.Step(step.version, step.description, with_one_more_index), *migrations.STEPS[1:]]
    monkeypatch.setattr(migrations, "STEPS", steps)
    code, out, _err = run(capsys, "--db", demo_url, "check")
    assert code == 1
    assert "missing: index contact_email" in problem_line(out, "Tables, indexes and triggers")


def damage(url: str) -> None:
    """What a killed bulk load used to leave: indexes and search triggers gone, the search
    index stale, the counters at zero."""
    open_database(url)
    trigger = drop_a_search_trigger()
    close_database()
    execute(url, 'DROP INDEX "activity_when_id"', 'DROP INDEX "contact_key"', trigger,
            "DELETE FROM search_index WHERE target_kind = 'activity'", "UPDATE counter SET value = 0")


def test_repair_rebuilds_indexes_triggers_search_and_counters(demo_url, capsys):
    damage(demo_url)
    code, out, err = run(capsys, "--db", demo_url, "check", "--repair")
    assert (code, err) == (0, "")
    assert "Repaired:" in out
    assert out.endswith("Every check passed.\n")
    code, out, err = run(capsys, "--db", demo_url, "check")
    assert (code, err) == (0, "")

    # What a user does next works: search finds orders and activities, adding gets a new key.
    open_database(demo_url)
    try:
        order = ServiceOrder.select().order_by(ServiceOrder.id).first()
        ServiceOrder.update(detail="Escáner Fujitsu fi-7160 atorado").where(ServiceOrder.id == order.id).execute()
        hits = index.search(database, "escaner fujitsu")
        assert [(h.target_kind, h.target_id) for h in hits] == [("order", order.id)]
        assert index.search(database, "llamada", limit=5)
        highest = max(c.key for c in Contact.select(Contact.key))
        admin = make_user("reparadora", "admin")
        contact = catalogs.add_contact(admin, catalogs.ContactInput(name="Nueva Persona", client_id=order.client_id))
        assert contact.key == highest + 1
        unique = {i.name for i in database.get_indexes("contact") if i.unique}
        assert "contact_key" in unique
    finally:
        close_database()


def test_check_without_repair_changes_nothing(demo_url, capsys):
    damage(demo_url)
    run(capsys, "--db", demo_url, "check")
    code, out, _err = run(capsys, "--db", demo_url, "check")
    assert code == 1
    assert "missing" in problem_line(out, "Tables, indexes and triggers")
    assert "[PROBLEM] Consecutive numbers:" in out


def test_repair_drops_what_the_schema_does_not_make(demo_url, capsys):
    open_database(demo_url)
    stray = ("CREATE TRIGGER stray_trigger AFTER INSERT ON client BEGIN SELECT 1; END" if is_sqlite() else
             "CREATE TRIGGER stray_trigger AFTER INSERT ON client FOR EACH ROW EXECUTE FUNCTION activity_search_sync()")
    close_database()
    execute(demo_url, stray)
    code, out, _err = run(capsys, "--db", demo_url, "check", "--repair")
    assert code == 0
    assert "stray_trigger" in out
    assert run(capsys, "--db", demo_url, "check")[0] == 0


def test_postgresql_sequences_behind_the_highest_id_are_found_and_repaired(demo_url, capsys):
    open_database(demo_url)
    postgres = not is_sqlite()
    close_database()
    if not postgres:
        pytest.skip("id sequences are PostgreSQL's")
    execute(demo_url, "SELECT setval(pg_get_serial_sequence('contact', 'id'), 1, false)")
    code, out, _err = run(capsys, "--db", demo_url, "check")
    assert code == 1
    assert "contact" in problem_line(out, "Id sequences")
    code, out, _err = run(capsys, "--db", demo_url, "check", "--repair")
    assert code == 0, out
    open_database(demo_url)
    try:
        contact = catalogs.add_contact(make_user("otra", "admin"), catalogs.ContactInput(
            name="Otra Persona", client_id=ServiceOrder.select().first().client_id))
        assert contact.id > 1
    finally:
        close_database()


def test_repair_says_what_it_cannot_mend(tmp_path, capsys):
    url = str(tmp_path / "crm.db")
    assert run(capsys, "--db", url, "init")[0] == 0
    assert run(capsys, "--db", url, "demo", "--orders", "20")[0] == 0
    execute(url, "PRAGMA foreign_keys = OFF", "DELETE FROM client WHERE id = (SELECT MIN(client_id) FROM contact)")
    code, out, err = run(capsys, "--db", url, "check", "--repair")
    assert code == 1
    assert "[PROBLEM] References between records:" in out
    assert "crm check --repair cannot mend" in out


def test_the_search_box_key_walk_index_is_checked_and_rebuilt_on_postgresql(demo_url, capsys):
    open_database(demo_url)
    postgres = not is_sqlite()
    close_database()
    if not postgres:
        pytest.skip("the key walk index of the search box is PostgreSQL's")
    execute(demo_url, 'DROP INDEX "contact_key_walk"')
    code, out, _err = run(capsys, "--db", demo_url, "check")
    assert code == 1
    assert "index contact_key_walk" in problem_line(out, "Tables, indexes and triggers")
    code, out, _err = run(capsys, "--db", demo_url, "check", "--repair")
    assert code == 0, out
    open_database(demo_url)
    try:
        assert database.execute_sql(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'contact_key_walk'").fetchone() is not None
    finally:
        close_database()
