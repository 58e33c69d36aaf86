#!/usr/bin/env python3
"""Performance measures of crm_tui on a large SQLite database, each against a target.

    python benchmarks/run.py [--db PATH] [--rebuild] [--orders 1000000] [--quick | --smoke] [--check] [--only search,export]

Builds (or reuses, when its counts are right) a database of `--orders` service orders with
their service entries, as many activities and a fifth as many contacts, made by the demo
generator, then prints one table: measure | value | baseline | ratio | target | ok.
See benchmarks/README.md for what each measure means.

A measure is one function in MEASURES that returns rows of the table; the service it
measures is imported lazily, so a measure whose service does not exist yet prints
"n/a (module missing)" instead of failing.
"""
from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_tui.db import close_database, database, migrations, open_database  # noqa: E402
from crm_tui.services.demo import DemoSize, fill_demo  # noqa: E402
from kills import measure_kills  # noqa: E402
from order_query_measures import measure_home_pending, measure_order_query  # noqa: E402
from report_measures import measure_reports  # noqa: E402
from search_measures import measure_catalog_box, measure_search  # noqa: E402
from team_measures import measure_team_writes  # noqa: E402

DATA = HERE / "data"
DEFAULT_ORDERS = 1_000_000
QUICK_ORDERS = 20_000
RUNS = 7  # timed runs per measure (after one warm-up run); the median is reported
EXPORT_ROWS = 100_000
EXPORT_RUNS = 5  # each side; a run is about 15 s
MISSING = "n/a (module missing)"


@dataclass
class Row:
    measure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    ok: str = ""


@dataclass
class Bench:
    """What the measures share: the database and how it was built."""

    path: Path
    orders: int
    quick: bool
    smoke: bool = False  # quick, and every measure repeated as few times as it can run: a check, not a measure
    build_seconds: float = 0.0
    build_cpu_seconds: float = 0.0
    build_load: str = ""
    built_now: bool = False
    rows_written: int = 0
    cache: dict[str, Any] = field(default_factory=dict)

    def runs(self, quick: int, full: int) -> int:
        """How many times to repeat a measure: once in a smoke run."""
        return 1 if self.smoke else quick if self.quick else full


# --- helpers ---------------------------------------------------------------------------


def service(module: str, name: str) -> Callable | None:
    """A service function, or None while its module (or the function) does not exist yet."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def median_ms(action: Callable[[], Any], runs: int = RUNS) -> float:
    action()  # warm-up: the same cache state for every measure
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def verdict(good: bool) -> str:
    return "yes" if good else "NO"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def scalar(sql: str, params: tuple = ()) -> Any:
    return database.execute_sql(sql, params).fetchone()[0]


# --- the database ------------------------------------------------------------------------


def expected_counts(orders: int) -> dict[str, int]:
    size = DemoSize.scaled(orders)
    return {"service_order": size.orders, "activity": size.activities, "contact": size.contacts}


def sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def usable(path: Path, orders: int) -> bool:
    if not path.exists() or not sidecar(path).exists():
        return False
    try:
        db = open_database(str(path))
        version = migrations.schema_version()
        if version > migrations.LATEST_VERSION:
            raise SystemExit(f"{path} holds schema {version}, newer than this checkout's "
                             f"{migrations.LATEST_VERSION}: give another --db, or --rebuild to replace it.")
        if version < migrations.LATEST_VERSION:
            # Upgraded in place, as a user's database is: a migration must not cost the
            # million orders (and everyone's figures on them) a rebuild.
            print(f"Upgrading {path} from schema {version} to {migrations.LATEST_VERSION}...",
                  file=sys.stderr, flush=True)
            migrations.upgrade(db)
        return all(scalar(f'SELECT COUNT(*) FROM "{table}"') == count
                   for table, count in expected_counts(orders).items())
    except Exception:
        return False
    finally:
        close_database()


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            candidate.unlink()
    if sidecar(path).exists():
        sidecar(path).unlink()


def build(bench: Bench) -> None:
    remove_database(bench.path)
    bench.path.parent.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    last_stage = [""]

    def progress(stage: str, done: int, total: int) -> None:
        if stage != last_stage[0]:
            last_stage[0] = stage
            print(f"  {time.perf_counter() - started:6.1f} s  {stage}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    cpu_before = os.times()
    db = open_database(str(bench.path), create=True)
    migrations.upgrade(db)
    summary = fill_demo(DemoSize.scaled(bench.orders), progress)
    close_database()
    bench.build_seconds = time.perf_counter() - started
    cpu_after = os.times()
    bench.build_cpu_seconds = sum(after - before for after, before in zip(cpu_after[:4], cpu_before[:4]))
    bench.build_load = f"{load_before} -> {load_average()}"
    bench.rows_written = summary.total
    bench.built_now = True
    sidecar(bench.path).write_text(json.dumps({
        "orders": bench.orders, "seconds": bench.build_seconds, "cpu_seconds": bench.build_cpu_seconds,
        "load": bench.build_load, "rows": bench.rows_written}))


def prepare(bench: Bench, rebuild: bool) -> None:
    if rebuild or not usable(bench.path, bench.orders):
        print(f"Building {bench.path} ({bench.orders:,} orders)...", file=sys.stderr, flush=True)
        build(bench)
    else:
        facts = json.loads(sidecar(bench.path).read_text())
        bench.build_seconds = facts["seconds"]
        bench.build_cpu_seconds = facts.get("cpu_seconds", 0.0)
        bench.build_load = facts.get("load", "")
        bench.rows_written = facts.get("rows", 0)
    open_database(str(bench.path))


# --- measures ----------------------------------------------------------------------------


def measure_build(bench: Bench) -> list[Row]:
    built_now = bench.built_now or os.environ.get(JUST_BUILT) == "1"
    how = "built by this run" if built_now else "reused; built earlier"
    rate = bench.rows_written / bench.build_seconds if bench.build_seconds else 0
    return [Row(
        f"build database ({bench.orders:,} orders; {how}; cpu {bench.build_cpu_seconds:.0f} s; "
        f"load {bench.build_load})",
        f"{bench.build_seconds:.1f} s", f"{bench.rows_written:,} rows", f"{rate:,.0f} rows/s",
        "<= 90 s", verdict(bench.build_seconds <= 90))]


def _page_rows(label: str, module: str, function: str, make_args: Callable[[], tuple]) -> list[Row]:
    lister = service(module, function)
    if lister is None:
        return [Row(f"{label}, first page", MISSING, target="<= 30 ms"),
                Row(f"{label}, last page", MISSING, target="<= 30 ms")]
    from crm_tui.services.base import FIRST_PAGE, PageRequest

    rows = []
    for which, request in (("first page", FIRST_PAGE), ("last page", PageRequest(last=True))):
        try:
            args = make_args()
            value = median_ms(lambda: lister(*args, request=request))
            rows.append(Row(f"{label}, {which}", ms(value), target="<= 30 ms", ok=verdict(value <= 30)))
        except Exception as exc:  # a service being written may still fail: show it, go on
            rows.append(Row(f"{label}, {which}", f"error: {type(exc).__name__}: {str(exc)[:60]}",
                            target="<= 30 ms", ok="NO"))
    return rows


def _filter(module: str, name: str, **values: Any) -> tuple:
    kind = service(module, name)
    return (kind(**values),) if kind is not None else ()


def biggest_client() -> int:
    return scalar("SELECT client_id FROM service_order GROUP BY client_id ORDER BY COUNT(*) DESC LIMIT 1")


def busiest_user() -> int:
    """The user with the most pending activities (whose home screen has the longest list)."""
    return scalar("SELECT user_id FROM activity WHERE status = 'pending' GROUP BY user_id "
                  "ORDER BY COUNT(*) DESC LIMIT 1")


def idlest_user() -> int:
    """A user with the fewest pending activities: their home list searches the most."""
    return scalar('SELECT u.id FROM "user" AS u LEFT JOIN activity AS a ON a.user_id = u.id '
                  "AND a.status = 'pending' GROUP BY u.id ORDER BY COUNT(a.id), u.id LIMIT 1")


def measure_lists(bench: Bench) -> list[Row]:
    orders, activities = "crm_tui.services.orders", "crm_tui.services.activities"
    followup = "crm_tui.services.followup"
    return [
        *_page_rows("home list, the user with the most pending", followup, "list_followup",
                    lambda: _filter(followup, "FollowupFilter", person_id=busiest_user())),
        *_page_rows("home list, a user with the fewest pending", followup, "list_followup",
                    lambda: _filter(followup, "FollowupFilter", person_id=idlest_user())),
        *_page_rows("orders list", orders, "list_orders", lambda: _filter(orders, "OrderFilter")),
        *_page_rows("activities list", activities, "list_activities",
                    lambda: _filter(activities, "ActivityFilter")),
        *_page_rows("contacts list", "crm_tui.services.catalogs", "list_contacts", lambda: ()),
        *_page_rows("opportunities list (every status)", "crm_tui.services.opportunities", "list_opportunities",
                    lambda: _filter("crm_tui.services.opportunities", "OpportunityFilter", status=None)),
    ]


def measure_filtered_lists(bench: Bench) -> list[Row]:
    orders = "crm_tui.services.orders"
    return [
        *_page_rows("orders list, status open", orders, "list_orders",
                    lambda: _filter(orders, "OrderFilter", status="open")),
        *_page_rows("orders list, biggest client", orders, "list_orders",
                    lambda: _filter(orders, "OrderFilter", client_id=biggest_client())),
    ]


def measure_export(bench: Bench) -> list[Row]:
    label = f"export {EXPORT_ROWS:,} orders to xlsx"
    rows_of = service("crm_tui.services.orders", "iter_order_rows")
    columns = getattr(importlib.import_module("crm_tui.services.orders"), "ORDER_COLUMNS", None) \
        if rows_of is not None else None
    write_xlsx = service("crm_tui.export.xlsx", "write_xlsx")
    if rows_of is None or columns is None or write_xlsx is None:
        return [Row(label, MISSING, target="<= 1.15x"), Row("export peak memory (max RSS)", MISSING,
                                                            target="<= 100 MiB")]
    from openpyxl import Workbook

    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))

    def project() -> None:
        write_xlsx(folder / "project.xlsx", columns, itertools.islice(rows_of(), EXPORT_ROWS))

    fetched = list(itertools.islice(rows_of(), EXPORT_ROWS))

    def baseline() -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Data")
        for row in fetched:
            sheet.append(row)
        workbook.save(folder / "baseline.xlsx")

    runs = bench.runs(2, EXPORT_RUNS)
    # The two sides alternate, so a change of machine load falls on both alike, and each
    # reports its best run: a run can only be slowed by the machine, never sped up, so
    # the fastest is the one nearest the code's own cost (as timeit advises).
    project_times, baseline_times = [], []
    project_cpu, baseline_cpu = [], []
    project()
    baseline()
    for _ in range(runs):
        for action, times, cpu in ((project, project_times, project_cpu), (baseline, baseline_times, baseline_cpu)):
            start, cpu_start = time.perf_counter(), time.process_time()
            action()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
    value, base = min(project_times), min(baseline_times)
    # The process CPU time as well: on a shared machine it moves less than the clock.
    cpu_value, cpu_base = min(project_cpu), min(baseline_cpu)
    spread = max(baseline_times) / base if base else 0
    del fetched
    tracemalloc.start()
    project()
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peaks = {side: export_peak_rss(bench.path, side, folder / f"{side}-child.xlsx") for side in ("project", "baseline")}
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()
    peak_mib, base_peak_mib = peaks["project"] / 1024, peaks["baseline"] / 1024
    ratio = value / base if base else 0
    cpu_ratio = cpu_value / cpu_base if cpu_base else 0
    return [Row(label + f" (project path incl. reading; baseline: fetched tuples, plain openpyxl; best of {runs}; "
                f"baseline slowest/best {spread:.2f}; "
                f"cpu {cpu_value:.1f} s vs {cpu_base:.1f} s = {cpu_ratio:.2f}x; load {load_average()})",
                f"{value:.2f} s", f"{base:.2f} s", f"{ratio:.2f}x", "<= 1.15x", verdict(ratio <= 1.15)),
            Row(f"export peak memory (max RSS of a process doing only the export; baseline: the same rows "
                f"into plain openpyxl; tracemalloc peak of Python allocations {traced_peak / 2**20:.1f} MiB)",
                f"{peak_mib:.1f} MiB", f"{base_peak_mib:.1f} MiB", f"{peak_mib / base_peak_mib:.2f}x",
                "<= 100 MiB", verdict(peak_mib <= 100))]


# One export in a process of its own, for its peak RSS: the project's path, or the same rows
# (read the same way, streamed) appended to a plain openpyxl write-only workbook.
EXPORT_CHILD = """
import itertools, sys
from crm_tui.db import open_database
from crm_tui.services.orders import ORDER_COLUMNS, iter_order_rows
database, side, target, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
open_database(database, read_only=True)
rows = itertools.islice(iter_order_rows(), count)
if side == "project":
    from crm_tui.export.xlsx import write_xlsx
    write_xlsx(target, ORDER_COLUMNS, rows)
else:
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    for row in rows:
        sheet.append(row)
    workbook.save(target)
"""


def export_peak_rss(database: Path, side: str, target: Path) -> int:
    """Peak RSS in KiB of a new process exporting EXPORT_ROWS orders (`side`: project or baseline)."""
    _start, peak, _code = run_measured([sys.executable, "-c", EXPORT_CHILD, str(database), side, str(target),
                                        str(EXPORT_ROWS)])
    return peak


# --- the shell: start-up and the contacts catalog ---------------------------------------

STARTUP_RUNS = 7
# The baseline of the start-up measure: the smallest Textual app, marking its first frame
# (and leaving) through the same class as the CRM.
ONE_WIDGET_APP = """
from textual.app import App
from textual.widgets import Static
from crm_tui.widgets.first_frame import FirstFrameMark

class OneWidget(FirstFrameMark, App):
    def compose(self):
        yield Static("CRM menu")

OneWidget().run()
"""


# Starts the command and reports when it started (time.monotonic, the clock of every process
# on the machine) and its peak memory. The launcher is a small process: a child forked from
# the large benchmark process would inherit its high-water mark of RSS.
LAUNCHER = """
import os, sys, time
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{start} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_measured(command: list[str]) -> tuple[float, int, int]:
    """Run `command` through the launcher, its output discarded: (monotonic time it started,
    its peak RSS in KiB, its exit code)."""
    report = Path(tempfile.mkstemp(prefix="crm-bench-")[1])
    try:
        done = subprocess.run([sys.executable, "-c", LAUNCHER, str(report), *command], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        start, rss, code = report.read_text().split()
    finally:
        report.unlink()
    if int(code) != 0:
        raise RuntimeError(f"exited with {code}: {done.stderr[-300:].decode(errors='replace')}")
    return float(start), int(rss), int(code)


@dataclass
class FirstFrame:
    seconds: float  # from the start of the process until its first frame was on the terminal
    cpu_seconds: float  # the process's CPU time until then
    peak_kib: int  # its peak RSS
    drawn: bytes  # what it wrote to the terminal up to then


def run_to_first_frame(command: list[str], columns: int = 80, lines: int = 24, until: str = "1") -> FirstFrame:
    """Run `command` on a pseudo-terminal of columns x lines with CRM_EXIT_AFTER_FIRST_FRAME
    set, until it leaves.

    The app writes its mark right behind its first frame and leaves; the clock stops when
    the mark is read here, so the time it takes to leave is not counted."""
    import fcntl
    import pty
    import select
    import struct
    import subprocess
    import termios

    from crm_tui.widgets.first_frame import EXIT_AFTER_FIRST_FRAME, WRITTEN_MARK

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    environment = dict(os.environ, TERM="xterm-256color")
    environment[EXIT_AFTER_FIRST_FRAME] = until  # "rows": the home screen's first rows
    report = Path(tempfile.mkstemp(prefix="crm-bench-")[1])
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(report), *command], stdin=slave,
                                stdout=slave, stderr=slave, env=environment, start_new_session=True)
    os.close(slave)
    output = bytearray()
    marked_at = None
    try:
        while True:  # the terminal must be read, or the child blocks on a full buffer
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every writer closed its side
                    chunk = b""
                if not chunk:
                    break
                output += chunk
                if marked_at is None and WRITTEN_MARK.search(output):
                    marked_at = time.monotonic()
            elif launcher.poll() is not None:
                break
        launcher.wait()
        start, rss, code = report.read_text().split()
    finally:
        os.close(master)
        report.unlink()
    if int(code) != 0 or marked_at is None:
        raise RuntimeError(f"{command[0]} exited with {code}"
                           f"{'' if marked_at else ' without a first frame'}: {bytes(output[-300:])!r}")
    mark = WRITTEN_MARK.search(output)
    return FirstFrame(marked_at - float(start), float(mark.group(1)), int(rss), bytes(output[:mark.start()]))


def crm_command() -> list[str]:
    script = Path(sys.executable).with_name("crm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crm_tui"]  # execv: full paths


def register_own_login_as_admin() -> None:
    """`crm --user NAME` acts as NAME only for a login that is a CRM administrator: the
    benchmark's own login becomes one in its database (once; the counts it checks stay)."""
    users = importlib.import_module("crm_tui.services.users")
    login = users.system_login()
    if users.find_user(login) is None:
        admin = scalar('SELECT username FROM "user" WHERE active AND role = \'admin\' ORDER BY id LIMIT 1')
        users.add_user(users.identify(admin), users.UserInput(username=login, role="admin"))


def compile_like_an_installation() -> None:
    """Write the package's bytecode, as installing a wheel does: from a checkout (or with
    PYTHONDONTWRITEBYTECODE set) every start would otherwise compile the CRM's modules
    again, while Textual's come compiled from its installation."""
    import compileall
    import importlib.util

    # The package the measured processes import, which an installation may place
    # somewhere other than beside this script.
    package = Path(importlib.util.find_spec("crm_tui").origin).parent
    compileall.compile_dir(str(package), quiet=1)


def measure_startup(bench: Bench) -> list[Row]:
    """`crm` to the first frame of the home screen vs. a one-widget Textual app, each a new process."""
    label = "start-up to the home screen's first frame (pty 80x24)"
    username = scalar('SELECT username FROM "user" WHERE active ORDER BY id LIMIT 1')
    crm = crm_command() + ["--db", str(bench.path), "--user", username, "--lang", "en"]
    baseline = [sys.executable, "-c", ONE_WIDGET_APP]
    runs = bench.runs(3, STARTUP_RUNS)
    samples: dict[str, list[FirstFrame]] = {"crm": [], "baseline": []}
    try:
        register_own_login_as_admin()
        compile_like_an_installation()
        screen = run_to_first_frame(crm).drawn  # warm-up of both: the same disk cache
        run_to_first_frame(baseline)
        if b"CRM" not in screen or username.encode() not in screen:  # the status line of every screen
            raise RuntimeError("the first frame lacks the status line")
        for _ in range(runs):  # alternating, so a change of machine load falls on both sides
            for name, command in (("crm", crm), ("baseline", baseline)):
                samples[name].append(run_to_first_frame(command))
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [Row(label, f"error: {type(exc).__name__}: {str(exc)[:80]}", target="<= 1.5x", ok="NO")]
    value = statistics.median(frame.seconds for frame in samples["crm"])
    base = statistics.median(frame.seconds for frame in samples["baseline"])
    cpu = statistics.median(frame.cpu_seconds for frame in samples["crm"])
    base_cpu = statistics.median(frame.cpu_seconds for frame in samples["baseline"])
    memory = max(frame.peak_kib for frame in samples["crm"]) / 1024
    base_memory = max(frame.peak_kib for frame in samples["baseline"]) / 1024
    ratio, memory_ratio = value / base, memory / base_memory
    return [Row(f"{label}, user {username}, median of {runs}; cpu {ms(cpu * 1000)} vs {ms(base_cpu * 1000)} = "
                f"{cpu / base_cpu:.2f}x; load {load_average()}",
                ms(value * 1000), ms(base * 1000) + " (one-widget app)", f"{ratio:.2f}x", "<= 1.5x",
                verdict(ratio <= 1.5)),
            Row("start-up peak memory (max RSS of the process)", f"{memory:.1f} MiB",
                f"{base_memory:.1f} MiB", f"{memory_ratio:.2f}x", "<= 2x", verdict(memory_ratio <= 2))]


CATALOG_RUNS = 7
SMALL_CONTACTS = 1_000


def copy_first_contacts(source: Path, target: Path, count: int) -> None:
    """A new database holding the first `count` contacts of `source` (and their clients)."""
    import sqlite3

    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    contacts = reader.execute("SELECT * FROM contact ORDER BY key LIMIT ?", (count,)).fetchall()
    client_ids = sorted({row[0] for row in reader.execute(
        "SELECT client_id FROM contact ORDER BY key LIMIT ?", (count,))})
    marks = ", ".join("?" * len(client_ids))
    clients = reader.execute(f"SELECT * FROM client WHERE id IN ({marks})", client_ids).fetchall()
    users = reader.execute('SELECT * FROM "user"').fetchall()
    reader.close()
    db = open_database(str(target), create=True)
    migrations.upgrade(db)
    with db.atomic():
        for table, rows in (('"user"', users), ("client", clients), ("contact", contacts)):
            marks = ", ".join("?" * len(rows[0]))
            db.cursor().executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    close_database()


def _catalog_runs(paths: dict[str, Path], runs: int) -> dict[str, tuple[float, int, int]]:
    """For each database: (median ms of open + End, tracemalloc peak bytes of one more run,
    key of the last row shown). One app, the databases taken in turn, so both sides run
    with the same warm interpreter and caches.

    Timed: from open_menu("contacts") until the screen showing its first page has been
    painted, plus from the End key until the screen showing the last page has been painted.
    The table posts RecordTable.Loaded when its rows are in place; the clock stops once the
    screen has rendered every refresh that follows (its own scroll to the row included) and
    has nothing left to paint. The test driver's own waits between the two steps are not
    counted. The End key goes through the app's normal key path.
    """
    import asyncio

    from textual import events

    from crm_tui.app import CrmApp
    from crm_tui.services.users import identify
    from crm_tui.widgets.record_table import RecordTable

    class TimedApp(CrmApp):
        page_shown: asyncio.Event | None = None
        shown_at = 0.0

        def on_record_table_loaded(self, message: RecordTable.Loaded) -> None:
            # After the refresh that follows (the table's own scroll restore runs there),
            # then after the refresh that paints that: the screen is then clean.
            self.call_after_refresh(self.call_after_refresh, self._painted)

        def _painted(self) -> None:
            self.shown_at = time.perf_counter()
            if self.page_shown is not None:
                self.page_shown.set()

    async def step(app: TimedApp, action: Callable[[], Any]) -> float:
        app.page_shown = asyncio.Event()
        start = time.perf_counter()
        action()
        await asyncio.wait_for(app.page_shown.wait(), 60)
        return app.shown_at - start

    first = next(iter(paths.values()))
    open_database(str(first))
    username = scalar('SELECT username FROM "user" WHERE active ORDER BY id LIMIT 1')
    app = TimedApp(identify(username), str(first), config=(dict, lambda values: None))
    times: dict[str, list[float]] = {name: [] for name in paths}
    peaks: dict[str, int] = {}
    last_keys: dict[str, int] = {}

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for index in range(runs + 2):  # one warm-up, the timed runs, one under tracemalloc
                for name, path in paths.items():
                    open_database(str(path))
                    traced = index == runs + 1
                    if traced:
                        tracemalloc.start()
                    elapsed = await step(app, lambda: app.open_menu("contacts"))
                    elapsed += await step(app, lambda: app.post_message(events.Key("end", None)))
                    last_keys[name] = app.screen.query_one(RecordTable).current_record.key
                    if traced:
                        peaks[name] = tracemalloc.get_traced_memory()[1]
                        tracemalloc.stop()
                    elif index:
                        times[name].append(elapsed * 1000)
                    await pilot.press("escape")
                    await pilot.pause()

    asyncio.run(scenario())
    close_database()
    return {name: (statistics.median(times[name]), peaks[name], last_keys[name]) for name in paths}


def measure_contact_catalog(bench: Bench) -> list[Row]:
    """Open the contact catalog and press End, through the real screen (Textual's Pilot,
    in this process, headless 80x24): from open_menu until the last row has the cursor."""
    total = scalar("SELECT COUNT(*) FROM contact")
    expected_last = scalar("SELECT MAX(key) FROM contact")
    label = f"contact catalog ({total:,} contacts): open + End to the last row, Pilot in-process"
    runs = bench.runs(3, CATALOG_RUNS)
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    small = folder / "small.db"
    try:
        close_database()
        copy_first_contacts(bench.path, small, SMALL_CONTACTS)
        results = _catalog_runs({"big": bench.path, "small": small}, runs)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [Row(label, f"error: {type(exc).__name__}: {str(exc)[:80]}", target="<= 150 ms", ok="NO")]
    finally:
        open_database(str(bench.path))
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    (value, peak, last_key), (small_value, small_peak, _key) = results["big"], results["small"]
    reached_end = last_key == expected_last
    memory_ratio = peak / small_peak if small_peak else 0
    return [Row(f"{label}; {SMALL_CONTACTS:,} contacts: {ms(small_value)}; median of {runs}"
                + ("" if reached_end else "; DID NOT REACH THE LAST ROW"),
                ms(value), target="<= 150 ms", ok=verdict(value <= 150 and reached_end)),
            Row(f"contact catalog open + End, peak memory (tracemalloc) vs {SMALL_CONTACTS:,} contacts",
                f"{peak / 2**20:.2f} MiB", f"{small_peak / 2**20:.2f} MiB", f"{memory_ratio:.2f}x",
                "<= 1.25x", verdict(memory_ratio <= 1.25))]


def measure_hostile(bench: Bench) -> list[Row]:
    """Hostile input through every service and a headless screen (benchmarks/hostile_measures.py),
    on a database of its own: the benchmark's is closed meanwhile and opened again after."""
    from hostile_measures import COUNT, QUICK_COUNT, SMOKE_COUNT, hostile_inputs

    close_database()
    try:
        tried, crashes, _what = hostile_inputs(SMOKE_COUNT if bench.smoke else QUICK_COUNT if bench.quick else COUNT)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [Row("hostile inputs", f"error: {type(exc).__name__}: {str(exc)[:80]}", target="0 crashes", ok="NO")]
    finally:
        open_database(str(bench.path))
    return [Row(f"hostile inputs: {tried:,} tried, {crashes} crashes", f"{crashes} crashes",
                target="0 crashes", ok=verdict(crashes == 0))]


# Adding a measure is adding one function here: it takes the Bench and returns rows.
MEASURES: list[Callable[[Bench], list[Row]]] = [
    measure_build,
    measure_search,
    measure_lists,
    measure_filtered_lists,
    measure_export,
    measure_startup,
    measure_contact_catalog,
    measure_catalog_box,
    measure_kills,
    measure_team_writes,
    measure_reports,
    measure_order_query,
    measure_home_pending,
    measure_hostile,
]


def measure_names() -> list[str]:
    return [measure.__name__.removeprefix("measure_") for measure in MEASURES]


def chosen_measures(only: str | None, parser: argparse.ArgumentParser) -> list[Callable[[Bench], list[Row]]]:
    if not only:
        return MEASURES
    by_name = dict(zip(measure_names(), MEASURES))
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        parser.error(f"unknown measure(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[name] for name in names]


# --- output ------------------------------------------------------------------------------

HEADERS = ("measure", "value", "baseline", "ratio", "target", "ok")


def render(rows: list[Row]) -> str:
    cells = [HEADERS] + [(r.measure, r.value, r.baseline, r.ratio, r.target, r.ok) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    lines = [" | ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


JUST_BUILT = "CRM_BENCH_JUST_BUILT"


def measure_in_fresh_process(bench: Bench, args: argparse.Namespace) -> int:
    """After a build, measure in a new interpreter: the build leaves this one with a large
    heap and page cache that slow every measure after it, and a user never runs the CRM
    in the process that generated its data."""
    close_database()
    command = [sys.executable, str(Path(__file__).resolve()), "--db", str(bench.path),
               "--orders", str(bench.orders)]
    command += ["--only", args.only] if args.only else []
    command += ["--check"] if args.check else []
    return subprocess.call(command, env={**os.environ, JUST_BUILT: "1"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the benchmark database (default: benchmarks/data/bench.db)")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it is usable")
    parser.add_argument("--orders", type=int, help=f"service orders to generate (default {DEFAULT_ORDERS:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"a small database ({QUICK_ORDERS:,} orders) for a smoke run")
    parser.add_argument("--smoke", action="store_true",
                        help="--quick with every measure run once: checks the script runs, measures nothing")
    parser.add_argument("--check", action="store_true", help="exit with 1 when a measure misses its target")
    parser.add_argument("--only", metavar="NAMES",
                        help="comma-separated measures to run (of: " + ", ".join(measure_names()) + ")")
    args = parser.parse_args(argv)
    args.quick = args.quick or args.smoke
    measures = chosen_measures(args.only, parser)
    orders = args.orders or (QUICK_ORDERS if args.quick else DEFAULT_ORDERS)
    default_name = "bench-quick.db" if args.quick else "bench.db"
    bench = Bench(path=Path(args.db) if args.db else DATA / default_name, orders=orders, quick=args.quick,
                  smoke=args.smoke)
    prepare(bench, args.rebuild)
    if bench.built_now and not bench.quick:
        return measure_in_fresh_process(bench, args)
    rows: list[Row] = []
    for measure in measures:
        rows.extend(measure(bench))
    close_database()
    print(f"crm_tui benchmarks: {bench.path} | {os.cpu_count()} cores | load average now {load_average()}")
    print(render(rows))
    missed = [row for row in rows if row.ok == "NO"]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
