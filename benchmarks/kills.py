#!/usr/bin/env python3
"""Kill `crm demo` and `crm import` at random moments and count the harm each kill did.

    python benchmarks/kills.py [--count 20] [--orders 50000] [--contacts 2000] [--folder DIR]

Also a measure of benchmarks/run.py (`measure_kills`). Every run starts from a copy of
one SQLite file holding real records (a registered user, and clients and contacts imported
from a spreadsheet), starts the command in a session of its own with its output on pipes
(as `crm demo | tee log` or `$(crm demo)` would), sends SIGKILL, SIGTERM or SIGHUP at a
random moment of the run, and then looks at what is left:

- malformed: the file does not open or fails SQLite's quick_check;
- schema: its tables, indexes and triggers differ from those of the copy;
- check: `crm check` finds a problem;
- left running: a process of the command's session outlives it, or holds its pipes;
- lost: a record of the copy is missing or changed, a demo is there in part (it must be
  absent or whole), or an import left anything but a leading run of the file's rows.

`demo` runs with --force: the database already holds records, and that is the case
where a kill must never cost them.
"""
from __future__ import annotations

import argparse
import csv
import os
import pwd
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP)
COMMANDS = ("demo", "import")
# The CRM knows who runs a command from the operating system: that account owns the records.
OWNER = pwd.getpwuid(os.getuid()).pw_name
REAL_CONTACTS = 500
REAL_CLIENTS = 40
# How long a killed command's session may take to end and close its pipes before it
# counts as left behind (a dead process ends at once; this only bounds a hang).
LEFTOVER_WAIT_SECONDS = 20
RECORD_TABLES = ("user", "client", "contact")


@dataclass
class KillOutcome:
    command: str
    signal_name: str
    delay: float  # seconds after the start when the signal was sent
    killed_running: bool = False  # False: the command had already finished
    malformed: str = ""
    schema: list[str] = field(default_factory=list)
    check: str = ""
    left_running: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.malformed:
            found.append(f"malformed: {self.malformed}")
        if self.schema:
            found.append("schema differs: " + ", ".join(self.schema[:6]))
        if self.check:
            found.append(f"crm check: {self.check}")
        if self.left_running:
            found.append("left running: " + ", ".join(self.left_running))
        if self.lost:
            found.append("lost: " + "; ".join(self.lost[:4]))
        return found

    def describe(self) -> str:
        state = "mid-run" if self.killed_running else "after it ended"
        return (f"{self.command} {self.signal_name} at {self.delay:.2f} s ({state}): "
                + ("; ".join(self.problems) or "no harm"))


# --- running crm --------------------------------------------------------------------


def crm_environment(folder: Path) -> dict[str, str]:
    environment = dict(os.environ, XDG_DATA_HOME=str(folder / "data"), XDG_CONFIG_HOME=str(folder / "config"),
                       CRM_LANG="en", PYTHONPATH=str(ROOT))
    for name in ("CRM_DATABASE_URL", "CRM_CONFIG", "CRM_DEBUG"):
        environment.pop(name, None)
    return environment


def crm_arguments(*args: str) -> list[str]:
    return [sys.executable, "-m", "crm_tui", *args]


def crm(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(crm_arguments(*args), cwd=ROOT, env=crm_environment(folder), capture_output=True,
                          text=True, timeout=600)


def crm_ok(folder: Path, *args: str) -> str:
    finished = crm(folder, *args)
    if finished.returncode != 0:
        raise RuntimeError(f"crm {' '.join(args)} failed: {finished.stderr.strip()[-500:]}")
    return finished.stdout


# --- the database with real records ---------------------------------------------------


def write_contacts(path: Path, count: int, first: int, clients: int) -> list[str]:
    """A contacts sheet as `crm export contacts` writes it; returns the names in order."""
    names = [f"Persona {first + i} Real" for i in range(count)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "client_name", "phone", "email"])
        for i, name in enumerate(names):
            writer.writerow([name, f"Empresa Real {(first + i) % clients}", f"+52 55 1234 {i % 10000:04d}",
                             f"persona{first + i}@empresa.mx"])
    return names


def make_real_database(folder: Path) -> Path:
    """crm init, crm user add, and contacts (with their clients) imported from a sheet."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "real.db"
    crm_ok(folder, "--db", str(path), "init")
    crm_ok(folder, "--db", str(path), "user", "add", OWNER, "--full-name", "Ana Real")
    sheet = folder / "real-contacts.csv"
    write_contacts(sheet, REAL_CONTACTS, 1, REAL_CLIENTS)
    crm_ok(folder, "--db", str(path), "--user", OWNER, "import", "contacts", str(sheet))
    return path


def copy_database(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as reader, sqlite3.connect(target) as writer:
        reader.backup(writer)
    reader.close()
    writer.close()


# --- what a file holds ----------------------------------------------------------------


@dataclass
class Snapshot:
    schema: set[tuple[str, str, str]]
    records: dict[str, list[tuple]]
    columns: dict[str, list[str]]
    counts: dict[str, int]


def snapshot(path: Path) -> Snapshot:
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
    try:
        schema = {tuple(row) for row in connection.execute(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'")}
        records, columns = {}, {}
        for table in RECORD_TABLES:
            cursor = connection.execute(f'SELECT * FROM "{table}" ORDER BY id')
            records[table] = cursor.fetchall()
            columns[table] = [column[0] for column in cursor.description]
        counts = {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                  for table in ("service_order", "activity", "opportunity", "client", "contact", "user")}
    finally:
        connection.close()
    return Snapshot(schema, records, columns, counts)


def quick_check(path: Path) -> str:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA quick_check")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return "" if rows == ["ok"] else "; ".join(rows[:3])


def lost_records(before: Snapshot, after: Snapshot) -> list[str]:
    lost = []
    for table in RECORD_TABLES:
        kept = {row[0]: row for row in after.records[table]}
        for row in before.records[table]:
            if kept.get(row[0]) != row:
                lost.append(f"{table} id {row[0]}")
    return lost


def demo_partial(before: Snapshot, after: Snapshot, orders: int) -> list[str]:
    added = after.counts["service_order"] - before.counts["service_order"]
    if added == 0 and after.counts == before.counts:
        return []
    if added == orders:
        return []
    return [f"a partial demo: {added} of {orders} orders, counts {after.counts}"]


def import_partial(before: Snapshot, after: Snapshot, names: list[str]) -> list[str]:
    known = {row[0] for row in before.records["contact"]}
    added = [row for row in after.records["contact"] if row[0] not in known]
    added_names = [row[after.columns["contact"].index("name")] for row in added]
    if added_names != names[:len(added_names)]:
        return [f"the import added {len(added_names)} contacts that are not the file's first rows"]
    return []


# --- one kill -------------------------------------------------------------------------


def session_members(session: int) -> list[str]:
    """Live (not zombie) processes of a session, as "pid (name)"."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        state, session_id = fields[0], int(fields[3])
        if session_id == session and state not in ("Z", "X"):
            members.append(f"{entry.name} ({name})")
    return members


def _drain(stream, sink: list[bytes]) -> None:
    for chunk in iter(lambda: stream.read1(65536), b""):
        sink.append(chunk)


def run_and_kill(folder: Path, arguments: list[str], signal_number: int, delay: float,
                 outcome: KillOutcome) -> None:
    """Start the command in its own session with piped output, signal it after `delay`
    seconds, and record whether anything of it outlived it."""
    process = subprocess.Popen(arguments, cwd=ROOT, env=crm_environment(folder), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    output: list[bytes] = []
    readers = [threading.Thread(target=_drain, args=(stream, output), daemon=True)
               for stream in (process.stdout, process.stderr)]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        outcome.killed_running = True
        process.send_signal(signal_number)
    process.wait()
    deadline = time.monotonic() + LEFTOVER_WAIT_SECONDS
    for reader in readers:
        reader.join(timeout=max(0.0, deadline - time.monotonic()))
    while session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    leftovers = session_members(process.pid)
    if any(reader.is_alive() for reader in readers):
        outcome.left_running.append("its output pipes stayed open")
    outcome.left_running += leftovers
    for member in leftovers:  # clean up what this run started, so the next run is fair
        try:
            os.kill(int(member.split()[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass
    for reader in readers:
        reader.join(timeout=5)
    process.stdout.close()
    process.stderr.close()


def examine(folder: Path, path: Path, before: Snapshot, outcome: KillOutcome) -> Snapshot | None:
    """What the user finds after the kill: crm check first (it opens the file as everyone
    does, rolling back what the killed command left unfinished), then the file itself."""
    checked = crm(folder, "--db", str(path), "check")
    if checked.returncode != 0:
        problems = [line for line in checked.stdout.splitlines() if "PROBLEM" in line]
        outcome.check = "; ".join(problems) or checked.stderr.strip()[-300:]
    outcome.malformed = quick_check(path)
    if outcome.malformed:
        return None
    after = snapshot(path)
    outcome.schema = sorted(f"{kind} {name} missing" for kind, name, _sql in before.schema - after.schema)
    outcome.schema += sorted(f"{kind} {name} not expected" for kind, name, _sql in after.schema - before.schema)
    outcome.lost = lost_records(before, after)
    return after


def kill_demo(folder: Path, real: Path, signal_number: int, delay: float, orders: int) -> KillOutcome:
    outcome = KillOutcome("demo", signal.Signals(signal_number).name, delay)
    path = folder / "killed.db"
    copy_database(real, path)
    before = snapshot(path)
    run_and_kill(folder, crm_arguments("--db", str(path), "demo", "--orders", str(orders), "--seed", "3",
                                       "--force"), signal_number, delay, outcome)
    after = examine(folder, path, before, outcome)
    if after is not None:
        outcome.lost += demo_partial(before, after, orders)
    return outcome


def kill_import(folder: Path, real: Path, signal_number: int, delay: float, sheet: Path,
                names: list[str]) -> KillOutcome:
    outcome = KillOutcome("import", signal.Signals(signal_number).name, delay)
    path = folder / "killed.db"
    copy_database(real, path)
    before = snapshot(path)
    run_and_kill(folder, crm_arguments("--db", str(path), "--user", OWNER, "import", "contacts", str(sheet)),
                 signal_number, delay, outcome)
    after = examine(folder, path, before, outcome)
    if after is not None:
        outcome.lost += import_partial(before, after, names)
    return outcome


# --- a series -------------------------------------------------------------------------


def timed_run(folder: Path, arguments: list[str]) -> float:
    started = time.monotonic()
    finished = subprocess.run(arguments, cwd=ROOT, env=crm_environment(folder), capture_output=True,
                              timeout=900)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments[2:])} failed: {finished.stderr.decode()[-500:]}")
    return time.monotonic() - started


def kill_series(folder: Path, count: int, orders: int, contacts: int, seed: int = 1,
                commands: tuple[str, ...] = COMMANDS,
                signals: tuple[int, ...] = SIGNALS) -> list[KillOutcome]:
    """`count` kills of each signal for each command, at moments drawn uniformly over the
    length of an undisturbed run of the same command (measured first, on its own copy)."""
    rng = random.Random(seed)
    real = make_real_database(folder / "real")
    sheet = folder / "new-contacts.csv"
    names = write_contacts(sheet, contacts, REAL_CONTACTS + 1, REAL_CLIENTS + 10)
    outcomes = []
    for command in commands:
        copy_database(real, folder / "whole.db")
        if command == "demo":
            length = timed_run(folder, crm_arguments("--db", str(folder / "whole.db"), "demo", "--orders",
                                                     str(orders), "--seed", "3", "--force"))
        else:
            length = timed_run(folder, crm_arguments("--db", str(folder / "whole.db"), "--user", OWNER,
                                                     "import", "contacts", str(sheet)))
        for signal_number in signals:
            for _ in range(count):
                delay = rng.uniform(0.05, length)
                if command == "demo":
                    outcomes.append(kill_demo(folder, real, signal_number, delay, orders))
                else:
                    outcomes.append(kill_import(folder, real, signal_number, delay, sheet, names))
    return outcomes


@dataclass
class Tally:
    kills: int = 0
    mid_run: int = 0
    malformed: int = 0
    schema: int = 0
    check: int = 0
    left_running: int = 0
    lost: int = 0

    def add(self, outcome: KillOutcome) -> None:
        self.kills += 1
        self.mid_run += outcome.killed_running
        self.malformed += bool(outcome.malformed)
        self.schema += bool(outcome.schema)
        self.check += bool(outcome.check)
        self.left_running += bool(outcome.left_running)
        self.lost += bool(outcome.lost)

    @property
    def harmed(self) -> int:
        return self.malformed + self.schema + self.check + self.left_running + self.lost

    def summary(self) -> str:
        return (f"{self.malformed} malformed, {self.schema} damaged schema, {self.check} failed crm check, "
                f"{self.left_running} left a process, {self.lost} lost records")


def tally(outcomes: list[KillOutcome]) -> dict[tuple[str, str], Tally]:
    tallies: dict[tuple[str, str], Tally] = {}
    for outcome in outcomes:
        tallies.setdefault((outcome.command, outcome.signal_name), Tally()).add(outcome)
    return tallies


# --- as a measure of benchmarks/run.py ------------------------------------------------

KILLS_EACH = 20
QUICK_KILLS_EACH = 2
KILL_ORDERS = 50_000
QUICK_KILL_ORDERS = 20_000
KILL_CONTACTS = 2_000


def measure_kills(bench) -> list:
    from run import Row  # here, not at the top: run.py imports this module

    count = bench.runs(QUICK_KILLS_EACH, KILLS_EACH)
    orders = QUICK_KILL_ORDERS if bench.quick else KILL_ORDERS
    folder = Path(tempfile.mkdtemp(prefix="crm-kills-"))
    try:
        outcomes = kill_series(folder, count, orders, KILL_CONTACTS)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [Row("kills of crm demo and crm import", f"error: {type(exc).__name__}: {str(exc)[:80]}",
                    target="0 harmed", ok="NO")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = []
    for (command, signal_name), counts in tally(outcomes).items():
        what = f"crm demo --orders {orders:,} --force" if command == "demo" else \
            f"crm import of {KILL_CONTACTS:,} contacts"
        rows.append(Row(f"{signal_name} at random moments of {what} on real records "
                        f"({counts.mid_run} of {counts.kills} mid-run): {counts.summary()}",
                        f"{counts.harmed} harmed", f"{counts.kills} kills", target="0 harmed",
                        ok="yes" if counts.harmed == 0 else "NO"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=KILLS_EACH, help="kills of each signal for each command")
    parser.add_argument("--orders", type=int, default=KILL_ORDERS, help="size of the killed demo")
    parser.add_argument("--contacts", type=int, default=KILL_CONTACTS, help="rows of the killed import")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="demo, import or both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", help="where to work (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)
    folder = Path(args.folder) if args.folder else Path(tempfile.mkdtemp(prefix="crm-kills-"))
    try:
        outcomes = kill_series(folder, args.count, args.orders, args.contacts, args.seed,
                               tuple(args.commands.split(",")))
    finally:
        if not args.folder:
            shutil.rmtree(folder, ignore_errors=True)
    for outcome in outcomes:
        if outcome.problems:
            print(outcome.describe())
    for (command, signal_name), counts in tally(outcomes).items():
        print(f"{command:6} {signal_name:7} {counts.kills} kills ({counts.mid_run} mid-run): {counts.summary()}")
    return 1 if any(outcome.problems for outcome in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
