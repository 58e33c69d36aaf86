"""A killed `crm demo` or `crm import` never harms a database holding real records, and
leaves no process behind (benchmarks/kills.py runs the long series; these are samples)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import kills  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")

# A bound on waiting for something that should happen at once, so a hang fails the test.
PATIENCE_SECONDS = 60


def test_kills_at_random_moments_leave_the_database_whole(tmp_path):
    outcomes = kills.kill_series(tmp_path, count=2, orders=20_000, contacts=600, seed=5)
    assert [outcome.describe() for outcome in outcomes if outcome.problems] == []
    for command in kills.COMMANDS:
        assert any(o.killed_running for o in outcomes if o.command == command), command


def wait_for(condition, what: str):
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"waited {PATIENCE_SECONDS} s for {what}")


def open_files(pid: int) -> list[str]:
    files = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            files.append(os.readlink(fd))
        except OSError:
            pass
    return files


def test_the_row_generator_dies_with_its_parent_and_holds_neither_its_output_nor_the_file(tmp_path):
    path = tmp_path / "crm.db"
    kills.crm_ok(tmp_path, "--db", str(path), "init")
    process = subprocess.Popen(kills.crm_arguments("--db", str(path), "demo", "--orders", "300000"), cwd=ROOT,
                               env=kills.crm_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    drained: list[bytes] = []
    readers = [threading.Thread(target=kills._drain, args=(stream, drained), daemon=True)
               for stream in (process.stdout, process.stderr)]
    for reader in readers:
        reader.start()
    try:
        def generator() -> int:
            others = [int(m.split()[0]) for m in kills.session_members(process.pid)]
            return next((pid for pid in others if pid != process.pid), 0)

        child = wait_for(generator, "the row generator to start")
        parent_output = {os.readlink(f"/proc/{process.pid}/fd/{fd}") for fd in (1, 2)}

        def inherited() -> list[str]:
            return [name for name in open_files(child) if name in parent_output or name.startswith(str(path))]

        # Right after the fork the child still has them; once it runs, it holds none.
        wait_for(lambda: not inherited(), "the row generator to let go of the caller's output and the file")
        wait_for(lambda: kills.session_members(process.pid), "the row generator to keep running")
        assert child in [int(m.split()[0]) for m in kills.session_members(process.pid)]
        assert not inherited()
        process.send_signal(signal.SIGKILL)
        process.wait()
        for reader in readers:
            reader.join(timeout=PATIENCE_SECONDS)
        assert not any(reader.is_alive() for reader in readers), "the output pipes stayed open"
        wait_for(lambda: not kills.session_members(process.pid), "the row generator to end")
    finally:
        for member in kills.session_members(process.pid):
            os.kill(int(member.split()[0]), signal.SIGKILL)
        process.stdout.close()
        process.stderr.close()


def postgres_state(url: str) -> tuple[set, dict]:
    """The schema objects and the real records of a PostgreSQL database, read directly."""
    import psycopg

    with psycopg.connect(url) as connection:
        objects = set(connection.execute(
            "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "UNION ALL SELECT 'trigger', t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = 'public'::regnamespace "
            "UNION ALL SELECT 'function', p.proname, p.prosrc FROM pg_proc p "
            "WHERE p.pronamespace = 'public'::regnamespace").fetchall())
        records = {table: connection.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
                   for table in kills.RECORD_TABLES}
        records["service_order"] = connection.execute("SELECT COUNT(*) FROM service_order").fetchall()
    return objects, records


def test_a_killed_demo_leaves_a_postgresql_database_as_it_was(tmp_path):
    from conftest import POSTGRES_URL, reset_postgres

    if not POSTGRES_URL:
        pytest.skip("PostgreSQL half skipped: set CRM_TEST_POSTGRES_URL")
    sheet = tmp_path / "contacts.csv"
    kills.write_contacts(sheet, 60, 1, 7)
    for number, delay in ((signal.SIGKILL, 1.2), (signal.SIGTERM, 2.0), (signal.SIGHUP, 2.8)):
        reset_postgres(POSTGRES_URL)
        kills.crm_ok(tmp_path, "--db", POSTGRES_URL, "init")
        kills.crm_ok(tmp_path, "--db", POSTGRES_URL, "user", "add", kills.OWNER)
        kills.crm_ok(tmp_path, "--db", POSTGRES_URL, "--user", kills.OWNER, "import", "contacts", str(sheet))
        before = postgres_state(POSTGRES_URL)
        outcome = kills.KillOutcome("demo", signal.Signals(number).name, delay)
        kills.run_and_kill(tmp_path, kills.crm_arguments("--db", POSTGRES_URL, "demo", "--orders", "20000",
                                                         "--force"), number, delay, outcome)
        assert outcome.killed_running and outcome.left_running == []
        checked = kills.crm(tmp_path, "--db", POSTGRES_URL, "check")
        assert checked.returncode == 0, checked.stdout
        objects, records = postgres_state(POSTGRES_URL)
        assert objects == before[0]
        if records["service_order"] == [(0,)]:
            assert records == before[1], outcome.describe()
        else:
            assert records["service_order"] == [(20000,)], outcome.describe()
            for table in kills.RECORD_TABLES:
                assert set(before[1][table]) <= set(records[table]), table
