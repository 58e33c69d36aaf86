"""The `crm` command: what an admin sees on the terminal and what the database holds after."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import fresh_database_url
from crm_tui import config
from crm_tui.cli import main
from crm_tui.cli.search import marked_snippet
from crm_tui.db import close_database, counters, migrations, open_database, write_transaction
from crm_tui.db.models import ALL_MODELS, Category, Client, Contact, ServiceOrder, User, now
from crm_tui.services import activities, demo, login, opportunities, orders, users

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Each test has its own config and data folders and no database chosen by the shell."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("CRM_LANG", "en")
    for name in ("CRM_DATABASE_URL", "CRM_CONFIG", "CRM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    login_as(monkeypatch, "lupe")
    yield
    close_database()


def login_as(monkeypatch, account: str) -> None:
    """Run the commands as if the system account were `account`."""
    monkeypatch.setattr(login, "system_login", lambda: account)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_subprocess(tmp_path: Path, *args: str, **extra_environment: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"),
                       XDG_CONFIG_HOME=str(tmp_path / "config"), CRM_LANG="en")
    environment.update(extra_environment)
    for name in ("CRM_DATABASE_URL", "CRM_CONFIG", "CRM_DEBUG"):
        environment.pop(name, None)
    return subprocess.run([sys.executable, "-m", "crm_tui", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def row_counts(url: str) -> dict[str, int]:
    open_database(url)
    try:
        return {model.__name__: model.select().count() for model in ALL_MODELS}
    finally:
        close_database()


def sheet_rows(path: Path) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def stamp() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "test", "updated_by": "test"}


def add_order_rows(detail: str) -> int:
    """One client, contact, category and service order with `detail`; returns its number."""
    with write_transaction():
        client = Client.create(key=counters.take_next(counters.CLIENT_KEY), name="Refaccionaria Pérez",
                               name_folded="refaccionaria perez", **stamp())
        contact = Contact.create(key=counters.take_next(counters.CONTACT_KEY), client=client,
                                 name="Lupita Gómez", name_folded="lupita gomez", **stamp())
        category, _created = Category.get_or_create(name_folded="mantenimiento",
                                                    defaults={"name": "Mantenimiento", **stamp()})
        number = counters.take_next(counters.ORDER_NUMBER)
        ServiceOrder.create(number=number, contact=contact, client=client, category=category,
                            detail=detail, **stamp())
    return number


def initialised(url: str, capsys) -> str:
    code, _out, err = run(capsys, "--db", url, "init")
    assert code == 0, err
    return url


def with_admin(url: str, capsys) -> str:
    """An initialised database whose administrator is lupe, the tests' login."""
    initialised(url, capsys)
    code, _out, err = run(capsys, "--db", url, "user", "add", "lupe")
    assert code == 0, err
    return url


def with_demo(url: str, capsys, orders: int = 20) -> str:
    initialised(url, capsys)
    code, _out, err = run(capsys, "--db", url, "demo", "--orders", str(orders), "--seed", "5")
    assert code == 0, err
    return url


# --- init ---------------------------------------------------------------------------


def test_init_creates_the_latest_schema_and_is_idempotent(db_url, capsys):
    code, out, err = run(capsys, "--db", db_url, "init")
    assert (code, err) == (0, "")
    assert f"Created at schema version {migrations.LATEST_VERSION}." in out

    code, out, err = run(capsys, "init", "--db", db_url)  # options also after the command
    assert (code, err) == (0, "")
    assert f"Schema version {migrations.LATEST_VERSION}: already the latest." in out
    db = open_database(db_url)
    assert migrations.schema_version(db) == migrations.LATEST_VERSION
    close_database()


def test_init_upgrades_a_version_1_database_keeping_its_data(db_url, capsys):
    db = open_database(db_url, create=True)
    migrations.upgrade(db, upto=1)
    number = add_order_rows("El compresor del aire acondicionado hace un ruido metálico")
    User.create(username="lupe", full_name="Lupe", role="admin", **stamp())
    close_database()
    before = row_counts(db_url)

    code, out, err = run(capsys, "--db", db_url, "init")
    assert (code, err) == (0, "")
    assert f"Upgraded from schema version 1 to {migrations.LATEST_VERSION}." in out
    assert row_counts(db_url) == before
    code, out, err = run(capsys, "--db", db_url, "search", "compresor")
    assert (code, err) == (0, "")
    assert f"Order · {number} ·" in out
    assert "«compresor»" in out


def test_commands_refuse_a_database_that_needs_upgrading(tmp_path, capsys):
    url = str(tmp_path / "old.db")
    db = open_database(url, create=True)
    migrations.upgrade(db, upto=1)
    close_database()
    code, out, err = run(capsys, "--db", url, "search", "x")
    assert code == 1
    assert err.strip() == (f"crm: The database {url} has schema version 1 and this program needs "
                           f"{migrations.LATEST_VERSION}: run crm init --db {url} to upgrade it")


def test_init_shares_a_sqlite_file_with_the_folders_group(tmp_path, capsys):
    url = str(tmp_path / "shared" / "crm.db")
    (tmp_path / "shared").mkdir(mode=0o2770)
    os.chmod(tmp_path / "shared", 0o2770)
    code, out, _err = run(capsys, "--db", url, "init")
    assert code == 0
    assert stat.S_IMODE(os.stat(url).st_mode) == 0o660
    assert "Shared with the group" in out and "usermod -aG" in out


def test_init_reports_a_folder_that_does_not_keep_its_group_and_leaves_it_alone(tmp_path, capsys):
    folder = tmp_path / "plain"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    code, out, _err = run(capsys, "--db", str(folder / "crm.db"), "init")
    assert code == 0
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755
    assert "does not keep its group" in out and "crm init --shared-group crm --db" in out


# --- users --------------------------------------------------------------------------


def test_user_add_list_deactivate_and_activate(db_url, capsys):
    initialised(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "user", "add", "lupe", "--full-name", "Lupe Treviño")
    assert (code, err) == (0, "")
    assert "User lupe added as the administrator of this new database." in out
    code, out, err = run(capsys, "--db", db_url, "--user", "lupe", "user", "add", "beto", "--role", "agent")
    assert (code, out, err) == (0, "User beto added (Agent).\n", "")

    code, out, _err = run(capsys, "--db", db_url, "user", "list")
    lines = out.splitlines()
    assert [line.split()[:3] for line in lines] == [["beto", "Agent", "active"],
                                                   ["lupe", "Administrator", "active"]]
    assert lines[1].endswith("Lupe Treviño")

    code, out, _err = run(capsys, "--db", db_url, "user", "deactivate", "beto")
    assert (code, out) == (0, "User beto is deactivated.\n")
    _code, out, _err = run(capsys, "--db", db_url, "user", "list", "--active")
    assert [line.split()[0] for line in out.splitlines()] == ["lupe"]
    code, out, _err = run(capsys, "--db", db_url, "user", "activate", "beto")
    assert (code, out) == (0, "User beto is active.\n")

    code, out, err = run(capsys, "--db", db_url, "user", "add", "beto")
    assert code == 2 and out == ""
    assert err == "crm: The user beto already exists.\n"


# --- demo, export, search -----------------------------------------------------------


def test_demo_then_export_orders_writes_every_order(db_url, capsys, tmp_path):
    initialised(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "demo", "--orders", "20", "--seed", "5")
    assert code == 0
    assert "service orders: 20" in out
    assert "Writing service orders" in err

    target = tmp_path / "orders.xlsx"
    code, out, err = run(capsys, "--db", db_url, "export", "orders", "-o", str(target))
    assert (code, err) == (0, "")
    assert out == f"20 rows written to {target}\n"
    rows = sheet_rows(target)
    assert rows[0][0] == "Number"
    assert sorted(row[0] for row in rows[1:]) == list(range(1, 21))


def test_export_filters_by_status_client_user_and_dates(db_url, capsys, tmp_path):
    with_demo(db_url, capsys)
    open_database(db_url)
    closed = ServiceOrder.select().where(ServiceOrder.status == "closed").count()
    first = ServiceOrder.select().order_by(ServiceOrder.number).first()
    client_key, client_orders = first.client.key, ServiceOrder.select().where(
        ServiceOrder.client == first.client_id).count()
    technician = first.assigned_user.username if first.assigned_user_id else None
    by_technician = ServiceOrder.select().where(ServiceOrder.assigned_user == first.assigned_user_id).count()
    day = first.created_at.date()
    same_day = ServiceOrder.select().where(ServiceOrder.created_at.between(
        first.created_at.replace(hour=0, minute=0, second=0),
        first.created_at.replace(hour=23, minute=59, second=59))).count()
    close_database()
    target = tmp_path / "filtered.xlsx"

    def exported(*filters: str) -> int:
        code, _out, err = run(capsys, "--db", db_url, "export", "orders", "-o", str(target), "--force", *filters)
        assert (code, err) == (0, "")
        return len(sheet_rows(target)) - 1

    assert exported("--status", "closed") == closed
    assert exported("--client", str(client_key)) == client_orders
    if technician:
        assert exported("--user", technician) == by_technician
    assert exported("--from", day.isoformat(), "--to", day.isoformat()) == same_day
    assert exported("--lang", "es", "--from", day.strftime("%d/%m/%Y"), "--to", day.strftime("%d/%m/%Y")) == same_day


def test_export_every_list(db_url, capsys, tmp_path):
    with_demo(db_url, capsys)
    counts = row_counts(db_url)
    expected = {"contacts": counts["Contact"], "clients": counts["Client"], "projects": counts["Project"],
                "activities": counts["Activity"], "orders": counts["ServiceOrder"],
                "opportunities": counts["Opportunity"]}
    for kind, count in expected.items():
        target = tmp_path / f"{kind}.xlsx"
        code, _out, err = run(capsys, "--db", db_url, "export", kind, "-o", str(target))
        assert (code, err) == (0, ""), kind
        assert len(sheet_rows(target)) - 1 == count, kind


def test_search_prints_each_match_with_the_words_marked(db_url, capsys):
    initialised(db_url, capsys)
    open_database(db_url)
    number = add_order_rows("La bomba sumergible de la cisterna no arranca")
    add_order_rows("Cambio de tóner")
    close_database()

    code, out, err = run(capsys, "--db", db_url, "search", "Bomba", "cisterna")
    assert (code, err) == (0, "")
    heading, snippet = out.splitlines()
    assert heading.startswith(f"Order · {number} · ")
    assert heading.endswith(" · Lupita Gómez · Refaccionaria Pérez · Open")
    assert "«bomba» sumergible de la «cisterna»" in snippet

    code, out, err = run(capsys, "--db", db_url, "search", "inexistente")
    assert (code, out, err) == (0, "Nothing found for inexistente.\n", "")


def test_search_limit_and_terminal_bold(db_url, capsys, monkeypatch):
    initialised(db_url, capsys)
    open_database(db_url)
    numbers = [add_order_rows(f"La cámara {n} del almacén no graba") for n in range(3)]
    close_database()

    code, out, err = run(capsys, "--db", db_url, "search", "camara", "--limit", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 4  # two matches: a heading and a snippet each
    assert [line.split(" · ")[1] for line in lines[::2]] == [str(n) for n in reversed(numbers[1:])]
    assert all("«cámara»" in line for line in lines[1::2])

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    code = main(["--db", db_url, "search", "camara", "--limit", "1"])
    assert code == 0
    heading, snippet = terminal.getvalue().splitlines()
    assert heading.startswith(f"Order · {numbers[-1]} · ")
    assert snippet == "    La \x1b[1mcámara\x1b[0m 2 del almacén no graba"
    assert marked_snippet("la cámara no", [(3, 9)], bold=True) == "la \x1b[1mcámara\x1b[0m no"
    assert marked_snippet("x\x1b[31my", [], bold=False) == "x\ufffd[31my"  # no escape sequence gets through


# --- import -------------------------------------------------------------------------


def test_import_contacts_round_trip(db_url, capsys, tmp_path):
    with_demo(db_url, capsys)
    exported = tmp_path / "contacts.xlsx"
    code, _out, err = run(capsys, "--db", db_url, "export", "contacts", "-o", str(exported))
    assert (code, err) == (0, "")

    fresh = with_admin(str(tmp_path / "fresh.db"), capsys)
    code, out, err = run(capsys, "--db", fresh, "import", "contacts", str(exported))
    contacts = len(sheet_rows(exported)) - 1
    assert (code, err) == (0, "")
    assert out == f"{contacts} rows imported, 0 rejected.\n"
    again = tmp_path / "again.xlsx"
    run(capsys, "--db", fresh, "export", "contacts", "-o", str(again))
    assert sheet_rows(again) == sheet_rows(exported)


def test_import_reads_headers_written_in_the_other_language(db_url, capsys, tmp_path):
    with_demo(db_url, capsys)
    exported = tmp_path / "clientes.xlsx"
    code, _out, err = run(capsys, "--lang", "es", "--db", db_url, "export", "clients", "-o", str(exported))
    assert (code, err) == (0, "")
    fresh = with_admin(str(tmp_path / "fresh.db"), capsys)
    code, out, err = run(capsys, "--lang", "en", "--db", fresh, "import", "clients", str(exported))
    assert (code, err) == (0, "")
    assert row_counts(fresh)["Client"] == len(sheet_rows(exported)) - 1


def test_import_csv_reports_each_bad_row_and_imports_the_good_ones(db_url, capsys, tmp_path):
    with_admin(db_url, capsys)
    source = tmp_path / "contacts.csv"
    with source.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Key", "Name", "Client name", "E-mail", "Notes"])
        writer.writerow(["", "Ana López", "Ferretería Ávila", "ana@avila.mx", ""])
        writer.writerow(["", "", "Ferretería Ávila", "", "no name"])
        writer.writerow(["", "Beto", "Ferretería Ávila", "not-an-email", "two\nlines"])
        writer.writerow(["", "", "", "", ""])
        writer.writerow(["x7", "Carla", "Ferretería Ávila", "", ""])
        writer.writerow(["", "=1+1 [bold]Dora[/]", "Ferretería Ávila", "", ""])

    code, out, err = run(capsys, "--db", db_url, "import", "contacts", str(source))
    assert code == 1
    assert err.splitlines() == [
        "Line 3: Name is required.",
        "Line 4: E-mail is not a valid e-mail address.",
        "Line 7: Key: x7 is not a valid key (a whole number from 1).",
    ]
    assert out == "2 rows imported, 3 rejected.\n"
    open_database(db_url)
    assert sorted(c.name for c in Contact.select()) == ["=1+1 [bold]Dora[/]", "Ana López"]
    assert [c.name for c in Client.select()] == ["Ferretería Ávila"]
    close_database()


# --- backup and check ---------------------------------------------------------------


def test_backup_of_sqlite_is_a_consistent_copy_while_someone_writes(tmp_path, capsys):
    url = with_demo(str(tmp_path / "live.db"), capsys)
    before = row_counts(url)
    writer = sqlite3.connect(url, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM opportunity_event")  # not committed when the copy is taken
    try:
        code, out, err = run(capsys, "--db", url, "backup", str(tmp_path / "copy.db"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (code, err) == (0, "")
    assert out.startswith(f"Backup written to {tmp_path / 'copy.db'} (")
    assert row_counts(str(tmp_path / "copy.db")) == before
    code, out, err = run(capsys, "--db", str(tmp_path / "copy.db"), "check")
    assert (code, err) == (0, "")

    code, out, err = run(capsys, "--db", url, "backup", str(tmp_path / "copy.db"))
    assert code == 1 and out == ""
    assert err == f"crm: {tmp_path / 'copy.db'} already exists: choose another name or use --force.\n"
    code, _out, _err = run(capsys, "--db", url, "backup", str(tmp_path / "copy.db"), "--force")
    assert code == 0


@pytest.fixture
def postgres_url(tmp_path) -> str:
    return fresh_database_url("postgres", tmp_path)


def test_backup_of_postgresql_uses_pg_dump(postgres_url, capsys, tmp_path):
    db_url = postgres_url
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    initialised(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "backup", str(tmp_path / "crm.dump"))
    assert (code, err) == (0, "")
    assert (tmp_path / "crm.dump").read_bytes().startswith(b"PGDMP")
    assert "pg_restore" in out


def test_backup_of_postgresql_without_pg_dump_says_what_to_install(postgres_url, capsys, tmp_path, monkeypatch):
    db_url = postgres_url
    initialised(db_url, capsys)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(capsys, "--db", db_url, "backup", str(tmp_path / "crm.dump"))
    assert code == 1 and out == ""
    assert err.startswith("crm: pg_dump was not found: install the PostgreSQL client tools")


def test_check_passes_on_a_healthy_database_and_names_each_problem(db_url, capsys):
    with_demo(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "check")
    assert (code, err) == (0, "")
    latest = migrations.LATEST_VERSION
    assert f"[ok] Schema version: version {latest} of {latest}" in out
    assert "[ok] Search index:" in out and "[ok] Consecutive numbers:" in out
    assert out.endswith("Every check passed.\n")

    db = open_database(db_url)
    db.execute_sql("UPDATE counter SET value = 1 WHERE name = 'service_order'")
    db.execute_sql("DELETE FROM search_index WHERE target_kind = 'activity'")
    close_database()
    code, out, err = run(capsys, "--db", db_url, "check")
    assert code == 1
    assert "[PROBLEM] Consecutive numbers: service_order at 1, highest used 20" in out
    assert "[PROBLEM] Search index:" in out
    assert err == "crm: 2 checks found a problem.\n"


def test_check_finds_broken_references_in_sqlite(tmp_path, capsys):
    url = with_demo(str(tmp_path / "crm.db"), capsys)
    writer = sqlite3.connect(url)
    writer.execute("PRAGMA foreign_keys = OFF")
    writer.execute("DELETE FROM client WHERE id = (SELECT MIN(client_id) FROM contact)")
    writer.commit()
    writer.close()
    code, out, _err = run(capsys, "--db", url, "check")
    assert code == 1
    assert "[PROBLEM] References between records:" in out


# --- bad input: one line, non-zero exit, nothing changed ----------------------------


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "crm.db"
    db = open_database(str(path), create=True)
    migrations.upgrade(db)
    demo.fill_demo(demo.DemoSize.scaled(20, seed=3))
    User.create(username="lupe", full_name="Lupe Treviño", role="admin", **stamp())  # the tests' login
    close_database()
    return path


@pytest.fixture
def demo_copy(demo_template, tmp_path) -> str:
    path = tmp_path / "crm.db"
    shutil.copy(demo_template, path)
    return str(path)


BAD_INPUT = {
    "missing file": (["import", "contacts", "{tmp}/nowhere.csv"], 1, "The file {tmp}/nowhere.csv does not exist."),
    "not a table file": (["import", "contacts", "{tmp}/notes.txt"], 2, "{tmp}/notes.txt: use an .xlsx, .csv or .vcf file."),
    "impossible date": (["export", "orders", "-o", "{tmp}/x.xlsx", "--from", "31/02/2026"], 2,
                        "--from: '31/02/2026' is not a valid date (use 2026-12-31)."),
    "dates reversed": (["export", "orders", "-o", "{tmp}/x.xlsx", "--from", "2026-03-02", "--to", "2026-03-01"],
                       2, "--from: the end date is before the start date."),
    "unknown user": (["export", "orders", "-o", "{tmp}/x.xlsx", "--user", "nadie"], 2, "There is no user nadie."),
    "unknown client": (["export", "orders", "-o", "{tmp}/x.xlsx", "--client", "9999"], 2,
                       "There is no client with key 9999."),
    "client key not a number": (["export", "contacts", "-o", "{tmp}/x.xlsx", "--client", "acme"], 2,
                                "--client takes a key (a whole number), not 'acme'."),
    "unknown status": (["export", "orders", "-o", "{tmp}/x.xlsx", "--status", "lost"], 2, None),
    "filter that does not apply": (["export", "clients", "-o", "{tmp}/x.xlsx", "--status", "open"], 2,
                                   "--status does not apply to crm export clients."),
    "output not xlsx": (["export", "orders", "-o", "{tmp}/x.csv"], 2, "The output file must end in .xlsx: {tmp}/x.csv"),
    "output folder missing": (["export", "orders", "-o", "{tmp}/no/x.xlsx"], 1, "The folder {tmp}/no does not exist."),
    "deactivate unknown user": (["user", "deactivate", "nadie"], 2, "There is no user nadie."),
    "unknown language": (["--lang", "fr", "check"], 2, "Unknown language 'fr': choose one of es, en."),
    "unknown command": (["bogus"], 2, None),
    "missing argument": (["export", "orders"], 2,
                         "the following arguments are required: -o/--output (see crm export --help)"),
    "backup into a missing folder": (["backup", "{tmp}/no/copy.db"], 1, "The folder {tmp}/no does not exist."),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_and_changes_nothing(case, demo_copy, tmp_path, capsys):
    arguments, expected_code, expected_message = BAD_INPUT[case]
    (tmp_path / "notes.txt").write_text("hola\n")
    before = row_counts(demo_copy)
    code, out, err = run(capsys, "--db", demo_copy, *[a.format(tmp=tmp_path) for a in arguments])
    assert code == expected_code
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("crm: ")
    if expected_message:
        assert err == f"crm: {expected_message.format(tmp=tmp_path)}\n"
    assert "Traceback" not in err
    assert row_counts(demo_copy) == before


def test_import_with_only_bad_rows_changes_nothing(demo_copy, tmp_path, capsys):
    source = tmp_path / "bad.csv"
    source.write_text("Key;Name;Client name\n;;X\n0;Ana;X\n", encoding="utf-8")
    before = row_counts(demo_copy)
    code, out, err = run(capsys, "--db", demo_copy, "import", "contacts", str(source))
    assert code == 1
    assert err.splitlines() == ["Line 2: Name is required.",
                                "Line 3: Key: 0 is not a valid key (a whole number from 1)."]
    assert out == "0 rows imported, 2 rejected.\n"
    assert row_counts(demo_copy) == before


def test_a_database_that_does_not_exist_is_not_created(tmp_path, capsys):
    missing = tmp_path / "missing.db"
    for command in (["user", "list"], ["check"], ["search", "x"], ["demo"], []):
        code, out, err = run(capsys, "--db", str(missing), *command)
        assert code == 1 and out == ""
        assert err == f"crm: No database at {missing}: create it with crm init --db {missing}\n"
    assert not missing.exists()


@pytest.mark.parametrize("where", ["/proc/crm.db", "{tmp}/a-file/crm.db"])
def test_init_where_no_database_can_be_written(where, tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    code, out, err = run(capsys, "--db", where.format(tmp=tmp_path), "init")
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_postgresql_that_does_not_answer(capsys):
    code, out, err = run(capsys, "--db", "postgresql://postgres@127.0.0.1:1/crm", "check")
    assert code == 1 and out == ""
    assert err.startswith("crm: Cannot open the database postgresql://postgres@127.0.0.1:1/crm: ")
    assert len(err.splitlines()) == 1


def test_a_broken_config_file_is_one_line(tmp_path, capsys):
    config.config_path().parent.mkdir(parents=True)
    config.config_path().write_text("database = \n")
    code, out, err = run(capsys, "check")
    assert code == 1 and out == ""
    assert err.startswith(f"crm: The config file {config.config_path()} is not valid TOML: ")


def test_failures_in_a_real_process_never_show_a_traceback(tmp_path):
    url = str(tmp_path / "crm.db")
    assert run_subprocess(tmp_path, "--db", url, "init").returncode == 0
    cases = [
        ["--db", str(tmp_path / "missing.db"), "user", "list"],
        ["--db", url, "export", "orders", "-o", str(tmp_path / "x.xlsx"), "--from", "31/02/2026"],
        ["--db", url, "export", "orders", "-o", str(tmp_path / "x.xlsx"), "--user", "nadie"],
        ["--db", url, "import", "contacts", str(tmp_path / "nowhere.xlsx")],
        ["--db", "/proc/crm.db", "init"],
        ["--db", "postgresql://postgres@127.0.0.1:1/crm", "check"],
        ["--lang", "xx", "check"],
    ]
    assert_one_line_failures(tmp_path, cases)
    assert_one_line_failures(tmp_path, [["--db", url, "check"]], CRM_LANG="fr")


def assert_one_line_failures(tmp_path: Path, cases: list[list[str]], **environment: str) -> None:
    for arguments in cases:
        finished = run_subprocess(tmp_path, *arguments, **environment)
        assert finished.returncode != 0, arguments
        assert finished.stdout == "", arguments
        assert len(finished.stderr.splitlines()) == 1, (arguments, finished.stderr)
        assert "Traceback" not in finished.stderr


def test_debug_shows_the_traceback(tmp_path, capsys):
    code, _out, err = run(capsys, "--debug", "--db", str(tmp_path / "missing.db"), "check")
    assert code == 1
    assert "Traceback" in err
    assert err.splitlines()[-1].startswith("crm: No database at")


# --- language, help, start-up -------------------------------------------------------


def test_help_is_translated(capsys):
    code, out, _err = run(capsys, "--lang", "es", "--help")
    assert code == 0
    assert out.startswith("uso: crm")
    assert "crear la base de datos" in out
    code, out, _err = run(capsys, "--lang", "es", "export", "--help")
    assert code == 0 and "opciones:" in out
    code, _out, err = run(capsys, "--lang", "es", "--db", "/nada/crm.db", "check")
    assert err.startswith("crm: No hay base de datos en /nada/crm.db")


def test_every_command_has_help(capsys):
    for command in (["init"], ["demo"], ["user"], ["user", "add"], ["user", "list"], ["user", "deactivate"],
                    ["user", "activate"], ["import"], ["export"], ["search"], ["backup"], ["check"]):
        code, out, _err = run(capsys, *command, "--help")
        assert code == 0 and out.startswith(f"usage: crm {' '.join(command)}"), command


def test_quick_commands_do_not_load_textual_or_openpyxl(tmp_path):
    url = str(tmp_path / "crm.db")
    assert run_subprocess(tmp_path, "--db", url, "init").returncode == 0
    probe = ("import sys\nfrom crm_tui.cli import main\ncode = main(sys.argv[1:])\n"
             "print('LOADED', 'textual' in sys.modules, 'openpyxl' in sys.modules)\n")
    environment = dict(os.environ, CRM_LANG="en", XDG_CONFIG_HOME=str(tmp_path / "config"))

    def loaded(*arguments: str) -> str:
        finished = subprocess.run([sys.executable, "-c", probe, *arguments], cwd=ROOT, env=environment,
                                  capture_output=True, text=True, timeout=120)
        return finished.stdout.splitlines()[-1]

    assert loaded("--help") == "LOADED False False"
    assert loaded("--db", url, "search", "bomba") == "LOADED False False"
    assert loaded("--db", url, "export", "orders", "-o", str(tmp_path / "o.xlsx")) == "LOADED False True"


def test_no_command_creates_the_default_database_and_opens_the_app(capsys, monkeypatch):
    calls = []
    fake_app = types.ModuleType("crm_tui.app")
    fake_app.run_app = lambda db_url, actor_username, language: calls.append(
        (db_url, actor_username, language)) or 0
    monkeypatch.setitem(sys.modules, "crm_tui.app", fake_app)

    code, _out, err = run(capsys, "--user", "lupe")
    assert (code, err) == (0, "")
    default = config.default_database_path()
    assert calls == [(str(default), "lupe", "en")]
    db = open_database(str(default))
    assert migrations.schema_version(db) == migrations.LATEST_VERSION
    close_database()


# --- config -------------------------------------------------------------------------


def test_database_is_chosen_by_option_then_environment_then_config_then_default(monkeypatch):
    assert config.resolve_database_url(None) == str(config.default_database_path())
    config.save_config({"database": "/srv/crm/crm.db", "theme": "nord"})
    assert config.resolve_database_url(None) == "/srv/crm/crm.db"
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://crm@db/crm")
    assert config.resolve_database_url(None) == "postgresql://crm@db/crm"
    assert config.resolve_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_config_round_trip_keeps_every_value():
    values = {"database": 'C:\\crm "main"\n', "theme": "textual-dark", "language": "es", "rows": 40,
              "compact": True, "ratio": 0.5, "recent": ["a", "b"], "screens": {"orders": "open"}}
    config.save_config(values)
    assert config.load_config() == values
    config.update_config(theme="nord")
    assert config.load_config()["theme"] == "nord"
    assert config.load_config()["rows"] == 40
    assert not [p for p in config.config_path().parent.iterdir() if p.name.endswith(".tmp")]


def test_language_can_come_from_the_config_file(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CRM_LANG")
    config.save_config({"language": "es"})
    code, _out, err = run(capsys, "--db", str(tmp_path / "missing.db"), "check")
    assert code == 1 and err.startswith("crm: No hay base de datos en ")


# --- command-line faults: too big, not UTF-8, control characters ---------------------


@pytest.mark.parametrize("arguments, message", [
    (["export", "orders", "-o", "{tmp}/x.xlsx", "--client", "9" * 25],
     "--client: 9999999999999999999999999 is too big for a key (at most 2147483647)."),
    (["export", "orders", "-o", "{tmp}/x.xlsx", "--contact", "2147483648"],
     "--contact: 2147483648 is too big for a key (at most 2147483647)."),
    (["search", "bomba", "--limit", "9" * 25],
     "argument --limit: '9999999999999999999999999' is not a whole number from 0 to 2147483647 "
     "(see crm search --help)"),
])
def test_a_number_too_big_for_the_database_is_a_usage_error(arguments, message, demo_copy, tmp_path, capsys):
    code, out, err = run(capsys, "--db", demo_copy, *[a.format(tmp=tmp_path) for a in arguments])
    assert (code, out) == (2, "")
    assert err == f"crm: {message}\n"
    assert not (tmp_path / "x.xlsx").exists()


def test_a_key_beyond_the_integers_of_either_database_is_a_usage_error(db_url, capsys, tmp_path):
    initialised(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "export", "contacts", "-o", str(tmp_path / "x.xlsx"),
                         "--client", "3000000000")
    assert (code, out) == (2, "")
    assert err == "crm: --client: 3000000000 is too big for a key (at most 2147483647).\n"


def test_an_argument_that_is_not_utf8_is_a_usage_error(demo_copy, capsys):
    code, out, err = run(capsys, "--db", demo_copy, "search", "c\udce1mara")  # b"c\xe1mara" (Latin-1)
    assert (code, out) == (2, "")
    assert err == ("crm: 'c\ufffdmara' is not valid UTF-8 text: set the terminal and the locale "
                   "to UTF-8.\n")


def test_an_argument_that_is_not_utf8_in_a_real_process(tmp_path):
    url = str(tmp_path / "crm.db")
    assert run_subprocess(tmp_path, "--db", url, "init").returncode == 0
    finished = run_subprocess(tmp_path, "--db", url, "search", "c\udce1mara")
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr == ("crm: 'c\ufffdmara' is not valid UTF-8 text: set the terminal and the "
                               "locale to UTF-8.\n")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("arguments, message", [
    (["export", "orders", "-o", "{tmp}/x.xlsx", "--user", "\x1b[31mrojo\x07"],
     "There is no user \ufffd[31mrojo\ufffd."),
    (["user", "deactivate", "\x1b]0;pwned\x07"], "There is no user \ufffd]0;pwned\ufffd."),
    (["import", "contacts", "{tmp}/\x1b[2J.csv"], "The file {tmp}/\ufffd[2J.csv does not exist."),
    (["export", "orders", "-o", "{tmp}/\x1b[2J\x9b.csv"],
     "The output file must end in .xlsx: {tmp}/\ufffd[2J\ufffd.csv"),
    (["bogus\x1b[5m"], None),
])
def test_error_lines_never_carry_control_characters(arguments, message, demo_copy, tmp_path, capsys):
    code, out, err = run(capsys, "--db", demo_copy, *[a.format(tmp=tmp_path) for a in arguments])
    assert code != 0 and out == ""
    assert len(err.splitlines()) == 1
    assert not CONTROL_CHARACTERS.search(err.rstrip("\n"))
    if message:
        assert err == f"crm: {message.format(tmp=tmp_path)}\n"


# --- read-only commands change nothing ------------------------------------------------

READ_ONLY_COMMANDS = (["check"], ["search", "bomba"], ["export", "orders", "-o", "{out}/x.xlsx"],
                      ["user", "list"], ["backup", "{out}/copy.db"])


def test_read_only_commands_leave_an_empty_file_as_it_is(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    empty = folder / "crm.db"
    empty.write_bytes(b"")
    for command in READ_ONLY_COMMANDS:
        code, out, err = run(capsys, "--db", str(empty), *[a.format(out=tmp_path) for a in command])
        assert (code, out) == (1, ""), command
        assert err == f"crm: The database {empty} is not initialised: run crm init --db {empty}\n"
    assert empty.read_bytes() == b""
    assert [path.name for path in folder.iterdir()] == ["crm.db"]


def test_read_only_commands_do_not_change_the_database_file(demo_copy, tmp_path, capsys):
    # A copy made by crm backup keeps a rollback journal: opening it to write would turn it to WAL.
    copy = tmp_path / "copy.db"
    code, _out, err = run(capsys, "--db", demo_copy, "backup", str(copy))
    assert (code, err) == (0, "")
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    output = tmp_path / "out"
    output.mkdir()
    for command in READ_ONLY_COMMANDS:
        code, _out, err = run(capsys, "--db", str(copy), *[a.format(out=output) for a in command])
        assert (code, err) == (0, ""), command
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before


# --- who acts -------------------------------------------------------------------------


def users_added(db_url: str, capsys) -> None:
    """lupe (the login of the tests) is the administrator; beto is an agent."""
    initialised(db_url, capsys)
    assert run(capsys, "--db", db_url, "user", "add", "lupe")[0] == 0
    assert run(capsys, "--db", db_url, "user", "add", "beto", "--role", "agent")[0] == 0


def test_the_command_line_enforces_the_roles_of_the_screens(db_url, capsys, monkeypatch):
    users_added(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "user", "add", "hacker", "--role", "admin", "--user", "beto")
    assert (code, out, err) == (1, "", "crm: Only an administrator can add or change users.\n")
    login_as(monkeypatch, "beto")
    code, out, err = run(capsys, "--db", db_url, "user", "add", "hacker", "--role", "admin")
    assert (code, out, err) == (1, "", "crm: Only an administrator can add or change users.\n")
    code, out, err = run(capsys, "--db", db_url, "user", "deactivate", "lupe")
    assert (code, out, err) == (1, "", "crm: Only an administrator can add or change users.\n")
    assert [line.split()[:2] for line in run(capsys, "--db", db_url, "user", "list")[1].splitlines()] == [
        ["beto", "Agent"], ["lupe", "Administrator"]]


def test_only_an_administrators_login_acts_as_another_user(db_url, capsys, monkeypatch):
    users_added(db_url, capsys)
    login_as(monkeypatch, "beto")
    code, out, err = run(capsys, "--db", db_url, "--user", "lupe", "user", "add", "hacker", "--role", "admin")
    assert (code, out) == (1, "")
    assert err == "crm: Only a CRM administrator can act as another user (--user): you are beto.\n"
    login_as(monkeypatch, "root")
    code, out, err = run(capsys, "--db", db_url, "--user", "lupe", "user", "add", "hacker")
    assert (code, out) == (1, "")
    assert err.startswith("crm: The user root is not registered in this CRM")
    assert users_named(db_url) == ["beto", "lupe"]


def users_named(db_url: str) -> list[str]:
    open_database(db_url)
    try:
        return sorted(user.username for user in User.select())
    finally:
        close_database()


@pytest.mark.parametrize("name", ["nadie", "lu\x1bpe", "lupe\x07"])
def test_user_option_must_name_a_registered_user(name, db_url, capsys):
    users_added(db_url, capsys)
    code, out, err = run(capsys, "--db", db_url, "--user", name, "user", "activate", "beto")
    assert (code, out) == (2, "")
    assert err == f"crm: There is no user {name.replace(chr(27), chr(0xfffd)).replace(chr(7), chr(0xfffd))}.\n"


def test_what_an_admin_changes_acting_as_another_user_is_stamped_with_that_user(db_url, capsys):
    users_added(db_url, capsys)
    code, _out, err = run(capsys, "--db", db_url, "user", "add", "carla", "--role", "admin")
    assert (code, err) == (0, "")
    code, _out, err = run(capsys, "--db", db_url, "--user", "carla", "user", "deactivate", "beto")
    assert (code, err) == (0, "")
    open_database(db_url)
    beto = User.get(User.username == "beto")
    close_database()
    assert (beto.active, beto.updated_by) == (False, "carla")


# --- a database that is not there yet ------------------------------------------------


def answering(monkeypatch, answer: str) -> Terminal:
    """Stdin and stderr are a terminal; stdin holds `answer`. Returns the stderr."""
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    return terminal


def test_a_missing_database_is_created_when_the_person_at_the_terminal_says_yes(tmp_path, capsys, monkeypatch):
    new = tmp_path / "new.db"
    screen = answering(monkeypatch, "y\n")
    code = main(["--db", str(new), "user", "add", "lupe"])
    assert code == 0
    assert screen.getvalue() == f"No database at {new}. Create it? [y/N] "
    assert "User lupe added as the administrator of this new database." in capsys.readouterr().out
    assert users_named(str(new)) == ["lupe"]


@pytest.mark.parametrize("answer", ["\n", "n\n", "no\n", "", "quizá\n"])
def test_a_missing_database_is_not_created_without_a_yes(answer, tmp_path, capsys, monkeypatch):
    new = tmp_path / "new.db"
    screen = answering(monkeypatch, answer)
    code = main(["--db", str(new), "demo"])
    assert code == 1
    assert screen.getvalue().endswith(f"crm: No database at {new}: create it with crm init --db {new}\n")
    assert not new.exists()


def test_the_question_speaks_spanish(tmp_path, capsys, monkeypatch):
    new = tmp_path / "nueva.db"
    screen = answering(monkeypatch, "s\n")
    code = main(["--lang", "es", "--db", str(new), "user", "add", "lupe"])
    assert code == 0
    assert screen.getvalue() == f"No hay base de datos en {new}. ¿Crearla? [s/N] "
    assert users_named(str(new)) == ["lupe"]


def test_opening_the_app_on_a_missing_database_asks_the_same(tmp_path, capsys, monkeypatch):
    calls = []
    fake_app = types.ModuleType("crm_tui.app")
    fake_app.run_app = lambda db_url, actor_username, language: calls.append(db_url) or 0
    monkeypatch.setitem(sys.modules, "crm_tui.app", fake_app)
    new = tmp_path / "new.db"
    screen = answering(monkeypatch, "y\n")
    assert main(["--db", str(new)]) == 0
    assert screen.getvalue().startswith(f"No database at {new}. Create it? [y/N] ")
    assert calls == [str(new)]
    db = open_database(str(new))
    assert migrations.schema_version(db) == migrations.LATEST_VERSION
    close_database()


def test_without_a_terminal_a_missing_database_is_one_line_naming_crm_init(tmp_path, capsys):
    new = tmp_path / "new.db"
    code, out, err = run(capsys, "--db", str(new), "user", "add", "lupe")
    assert (code, out) == (1, "")
    assert err == f"crm: No database at {new}: create it with crm init --db {new}\n"
    assert not new.exists()


def test_read_only_commands_do_not_offer_to_create_a_database(tmp_path, capsys, monkeypatch):
    new = tmp_path / "new.db"
    screen = answering(monkeypatch, "y\n")
    assert main(["--db", str(new), "search", "bomba"]) == 1
    assert screen.getvalue() == f"crm: No database at {new}: create it with crm init --db {new}\n"
    assert not new.exists()


# --- words the user knows -------------------------------------------------------------


def test_a_wrong_list_name_is_reported_with_a_word_the_user_knows(demo_copy, tmp_path, capsys):
    code, out, err = run(capsys, "--lang", "es", "--db", demo_copy, "export", "pedidos", "-o", str(tmp_path / "x.xlsx"))
    assert (code, out) == (2, "")
    assert err.startswith("crm: argumento LISTA: opción no válida: 'pedidos'")
    assert "kind" not in err
    code, out, err = run(capsys, "--db", demo_copy, "export", "orderz", "-o", str(tmp_path / "x.xlsx"))
    assert err.startswith("crm: argument LIST: invalid choice: 'orderz'")


@pytest.mark.parametrize("words", [[""], ["   "], ["", " "]])
def test_an_empty_search_is_a_usage_error(words, demo_copy, capsys):
    code, out, err = run(capsys, "--db", demo_copy, "search", *words)
    assert (code, out) == (2, "")
    assert err == "crm: Say what to find: crm search WORD… (see crm search --help)\n"


def test_an_empty_database_option_is_a_usage_error(capsys):
    code, out, err = run(capsys, "--db", "", "check")
    assert (code, out) == (2, "")
    assert err == "crm: --db is empty: give a file, sqlite:///file or postgresql://user@host/name.\n"
    assert not config.default_database_path().exists()
    code, out, err = run(capsys, "check", "--db=  ")
    assert (code, out) == (2, "")


def test_export_does_not_replace_a_file_unless_forced_like_backup(demo_copy, tmp_path, capsys):
    target = tmp_path / "orders.xlsx"
    target.write_bytes(b"last month's report")
    code, out, err = run(capsys, "--db", demo_copy, "export", "orders", "-o", str(target))
    assert (code, out) == (1, "")
    assert err == f"crm: {target} already exists: choose another name or use --force.\n"
    assert target.read_bytes() == b"last month's report"
    code, out, err = run(capsys, "--db", demo_copy, "export", "orders", "-o", str(target), "--force")
    assert (code, err) == (0, "")
    assert len(sheet_rows(target)) == 21


@pytest.mark.parametrize("language, date_format, datetime_format", [
    ("en", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"), ("es", "dd/mm/yyyy", "dd/mm/yyyy hh:mm")])
def test_the_exports_dates_read_as_the_interface_shows_them(language, date_format, datetime_format,
                                                            demo_copy, tmp_path, capsys):
    target = tmp_path / "projects.xlsx"
    code, _out, err = run(capsys, "--lang", language, "--db", demo_copy, "export", "projects", "-o", str(target))
    assert (code, err) == (0, "")
    start = load_workbook(target).worksheets[0]["E2"]
    assert start.is_date and start.number_format == date_format
    target = tmp_path / "orders.xlsx"
    run(capsys, "--lang", language, "--db", demo_copy, "export", "orders", "-o", str(target))
    created = load_workbook(target).worksheets[0]["D2"]
    assert created.is_date and created.number_format == datetime_format


@pytest.mark.parametrize("language, message", [("en", "1 row written to {path}\n"),
                                               ("es", "1 fila escrita en {path}\n")])
def test_one_row_is_one_row(language, message, demo_copy, tmp_path, capsys):
    open_database(demo_copy)
    number = add_order_rows("Un cliente nuevo con un solo contacto")
    key = ServiceOrder.get(ServiceOrder.number == number).client.key
    close_database()
    target = tmp_path / "uno.xlsx"
    code, out, err = run(capsys, "--lang", language, "--db", demo_copy, "export", "contacts", "-o",
                         str(target), "--client", str(key))
    assert (code, err) == (0, "")
    assert out == message.format(path=target)
    assert len(sheet_rows(target)) == 2


# --- status words -------------------------------------------------------------------


@pytest.mark.parametrize("word, code", [
    ("open", "open"), ("Abierta", "open"), ("ABIERTA", "open"), ("  abierta ", "open"), ("Open", "open"),
    ("terminada", "finished"), ("FINISHED", "finished"), ("Cerrada", "closed"), ("cerrada", "closed")])
def test_order_status_words_in_either_language(word, code):
    assert orders.status_from_word(word) == code


@pytest.mark.parametrize("word, code", [("Pendiente", "pending"), ("PENDING", "pending"),
                                        ("realizada", "done"), ("Done", "done")])
def test_activity_status_words_in_either_language(word, code):
    assert activities.status_from_word(word) == code


@pytest.mark.parametrize("word, code", [("Nueva", "new"), ("en espera", "waiting"), ("EN PROCESO", "working"),
                                        ("perdida", "lost"), ("Lost", "lost"), ("cerrada", "closed")])
def test_opportunity_status_words_in_either_language(word, code):
    assert opportunities.status_from_word(word) == code


def test_an_unknown_status_word_names_the_choices():
    from crm_tui.services import ValidationError

    with pytest.raises(ValidationError) as refused:
        orders.status_from_word("lost")
    assert str(refused.value) == "Status must be one of: Open, Finished, Closed."
    assert refused.value.field == "status"


def test_export_accepts_the_status_words_its_error_lists(demo_copy, tmp_path, capsys):
    open_database(demo_copy)
    closed = ServiceOrder.select().where(ServiceOrder.status == "closed").count()
    close_database()
    target = tmp_path / "o.xlsx"
    code, out, err = run(capsys, "--lang", "es", "--db", demo_copy, "export", "orders", "-o", str(target),
                         "--status", "lost")
    assert (code, out) == (2, "")
    assert err == "crm: Estado debe ser uno de: Abierta, Terminada, Cerrada.\n"
    for word in ("Cerrada", "CERRADA", "closed", "Closed"):
        code, _out, err = run(capsys, "--lang", "es", "--db", demo_copy, "export", "orders", "-o", str(target),
                              "--status", word, "--force")
        assert (code, err) == (0, ""), word
        assert len(sheet_rows(target)) - 1 == closed, word
    code, _out, err = run(capsys, "--db", demo_copy, "export", "activities", "-o", str(target),
                          "--status", "Realizada", "--force")
    assert (code, err) == (0, "")
    assert {row[3] for row in sheet_rows(target)[1:]} <= {"Done"}
    code, _out, err = run(capsys, "--db", demo_copy, "export", "opportunities", "-o", str(target),
                          "--status", "perdida", "--force")
    assert (code, err) == (0, "")
    assert {row[1] for row in sheet_rows(target)[1:]} <= {"Lost"}


def test_export_help_lists_the_status_words(capsys):
    code, out, _err = run(capsys, "export", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "orders: Open (Abierta), Finished (Terminada), Closed (Cerrada)" in flat
    assert "activities: Pending (Pendiente), Done (Realizada)" in flat
    assert "opportunities: New (Nueva), Waiting (En espera), Working (En proceso), Closed (Cerrada), Lost (Perdida)" in flat
    code, out, _err = run(capsys, "--lang", "es", "export", "--help")
    assert "orders: Abierta (Open), Terminada (Finished), Cerrada (Closed)" in " ".join(out.split())


# --- a long export ------------------------------------------------------------------


def test_a_long_export_shows_its_progress_on_a_terminal(demo_copy, tmp_path, capsys, monkeypatch):
    from crm_tui.cli.export import RowProgress

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(RowProgress, "EVERY_ROWS", 5)
    monkeypatch.setattr(RowProgress, "SECONDS_BETWEEN_UPDATES", 0)
    monkeypatch.setenv("COLUMNS", "80")
    target = tmp_path / "orders.xlsx"
    code = main(["--db", demo_copy, "export", "orders", "-o", str(target)])
    assert code == 0
    assert capsys.readouterr().out == f"20 rows written to {target}\n"
    updates = terminal.getvalue().split("\r\x1b[K")
    assert updates[0] == "" and updates[-1] == ""  # the bar is cleared when the export ends
    shown = updates[1:-1]
    assert len(shown) == 6
    assert re.fullmatch(r"Service orders \[-{10,30}\]   0%  0/20 rows", shown[0])
    for step, update in enumerate(shown[1:5], 1):
        assert re.fullmatch(rf"Service orders \[#+-*\] +{step * 25}%  {step * 5}/20 rows  \d+:\d\d left", update)
    assert len({len(update.split("]")[0]) for update in shown[:5]}) == 1  # the bar keeps its width
    # Saving may drop the bar to fit its longer words on the line.
    assert re.fullmatch(r"Service orders( \[#{10,30}\])? 100%  20/20 rows  saving the file…", shown[5])
    assert all(len(update) <= 77 for update in shown)  # never wraps on 80 columns (room for ^C)


def test_an_interrupted_export_leaves_no_file_and_says_so(demo_copy, tmp_path, capsys, monkeypatch):
    from crm_tui.services import exports

    listed = exports.EXPORT_LISTS["orders"]

    def interrupted_source(filters):
        columns, rows = listed.source(filters)

        def some_rows_then_ctrl_c():
            yield from itertools.islice(rows, 5)
            raise KeyboardInterrupt

        return columns, some_rows_then_ctrl_c()

    monkeypatch.setitem(exports.EXPORT_LISTS, "orders", dataclasses.replace(listed, source=interrupted_source))
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "orders.xlsx"
    code, out, err = run(capsys, "--db", demo_copy, "export", "orders", "-o", str(target))
    assert (code, out) == (130, "")
    assert err == f"crm: Export interrupted: {target} was not written.\n"
    assert list(folder.iterdir()) == []

    target.write_bytes(b"the older one")
    code, out, err = run(capsys, "--db", demo_copy, "export", "orders", "-o", str(target), "--force")
    assert (code, out) == (130, "")
    assert err == f"crm: Export interrupted: {target} was left as it was.\n"
    assert [path.name for path in folder.iterdir()] == ["orders.xlsx"]
    assert target.read_bytes() == b"the older one"
