"""The order and home screen measures of benchmarks/run.py.

- The general order inquiry, through the screen (Textual's Pilot, in this process,
  headless 80x24): each filter applied with F7, and the concept search with F2 for words
  and phrases drawn as search_measures.py draws them, from the key press until the rows
  are drawn (the refresh after the table shows its page). p95 and worst; target 150 ms.
- The home screen opened with 10,000 pending activities for its user: `crm` on a
  pseudo-terminal until its first frame with the list's rows, against the one-widget app
  (time <= 1.5x, peak RSS <= 2x). It runs on a small database of its own, made once in a
  scratch folder (the benchmark database is only read).

The order inquiry only reads, so the benchmark database can be given read-only:

    .venv/bin/python benchmarks/order_query_measures.py --db /work/bench/bench.db
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_tui.db import close_database, open_database  # noqa: E402
from crm_tui.db.connection import opened_for_writing  # noqa: E402

RUNS = 5  # timed runs per filter or search input, after one warm-up
TARGET_MS = 150.0
HOME_PENDING = 10_000
HOME_RUNS = 7
# The frame that counts shows rows: the list's position ("rows 1–…") and at least this many
# of its dates (English: 2026-12-02), not only the empty list's frame.
HOME_ROWS_SEEN = 10
DRAWN_DATE = re.compile(rb"\d{4}-\d{2}-\d{2}")
HOME_FOLDER_ENV = "CRM_BENCH_SCRATCH"  # where the home screen's database is made (default: a temp folder)


def _runner(bench) -> Any:
    """benchmarks/run.py (Row, ms, verdict, load_average, ...): the module that made `bench`."""
    return sys.modules[type(bench).__module__]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the general order inquiry through the screen ------------------------------------------


def _filter_cases(reader: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    """One case per filter of the bar, with a value a user would pick (the busiest one, so
    the list has many rows)."""
    def one(sql: str) -> Any:
        return reader.execute(sql).fetchone()[0]

    newest = one("SELECT MAX(created_at) FROM service_order")
    month_end = dt.datetime.fromisoformat(str(newest)).date()
    month_start = month_end - dt.timedelta(days=30)
    busiest = "SELECT {column} FROM service_order WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY COUNT(*) DESC LIMIT 1"
    return [
        ("status open", {"status": "open"}),
        ("status closed", {"status": "closed"}),
        ("user (busiest technician)", {"user_id": one(busiest.format(column="assigned_user_id"))}),
        ("client (most orders)", {"client_id": one(busiest.format(column="client_id"))}),
        ("contact (most orders)", {"contact_id": one(busiest.format(column="contact_id"))}),
        ("project (most orders)", {"project_id": one(busiest.format(column="project_id"))}),
        ("category (most orders)", {"category_id": one(busiest.format(column="category_id"))}),
        ("created in the last 30 days", {"created": (month_start, month_end)}),
        ("finished in the last 30 days", {"finished": (month_start, month_end)}),
    ]


def _set_filters(screen, values: dict[str, Any]) -> None:
    """The filter bar holding `values` (what the user would have picked), every other empty."""
    from textual.widgets import Input, Select

    from crm_tui.i18n import date_format
    from crm_tui.widgets.lookup import LookupField

    bar = screen.filter_bar
    for spec in bar.specs:
        value = values.get(spec.name)
        if spec.kind == "choice":
            bar.query_one(f"#filter-{spec.name}", Select).value = value if value else Select.NULL
        elif spec.kind == "lookup":
            bar.query_one(f"#filter-{spec.name}", LookupField).set_choice(value, str(value or ""))
        elif spec.kind == "date_range":
            start, end = value or (None, None)
            # As the user types them in the interface's language (another measure of the
            # same run may have switched it: 02/11/2026 in Spanish, 2026-11-02 in English).
            shown = date_format()
            bar.query_one(f"#filter-{spec.name}-start", Input).value = start.strftime(shown) if start else ""
            bar.query_one(f"#filter-{spec.name}-end", Input).value = end.strftime(shown) if end else ""


def _screen_runs(path: Path, cases: list[tuple[str, dict[str, Any]]], words: list[str],
                 runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:
    """Times (ms) from F7 / F2 to the rows drawn, for each filter case and search input,
    and how many rows each search showed on its first page."""
    import asyncio

    from textual import events

    from crm_tui.app import CrmApp
    from crm_tui.services.users import identify
    from crm_tui.widgets.record_table import RecordTable

    class TimedApp(CrmApp):
        drawn: asyncio.Event | None = None
        drawn_at = 0.0
        timed_screen = None

        def on_record_table_loaded(self, message: RecordTable.Loaded) -> None:
            # Drawn: after the refresh that paints the page the table just took. Only the
            # inquiry's table counts: the home screen under it reads the rest of its first
            # page after its first frame, and that must not stop a clock.
            if self.timed_screen is not None and message.control.screen is self.timed_screen:
                self.call_after_refresh(self._mark_drawn)

        def _mark_drawn(self) -> None:
            self.drawn_at = time.perf_counter()
            if self.drawn is not None:
                self.drawn.set()

    async def settled(screen) -> None:
        """The screen's first read is over (its rows are in place)."""
        for _ in range(1200):
            if screen.table.records and not screen.table.is_reading:
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the order inquiry showed no rows")

    async def timed_key(app: TimedApp, key: str, what: str) -> float:
        app.drawn = asyncio.Event()
        start = time.perf_counter()
        app.post_message(events.Key(key, None))
        try:
            await asyncio.wait_for(app.drawn.wait(), 60)
        except TimeoutError:
            table = app.screen.query_one(RecordTable)
            raise TimeoutError(f"no rows drawn 60 s after {key} ({what}; screen {type(app.screen).__name__}, "
                               f"reading {table.is_reading}, error {table.error!r})") from None
        return (app.drawn_at - start) * 1000

    open_database(str(path), read_only=True)
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    username = reader.execute('SELECT username FROM "user" WHERE active ORDER BY id LIMIT 1').fetchone()[0]
    reader.close()
    # As `crm` starts (crm_tui.__main__): the collector off until the first frame, when
    # the app turns it on (its full collections then wait for quiet moments).
    thresholds = gc.get_threshold()
    gc.disable()
    app = TimedApp(identify(username), str(path), config=(dict, lambda values: None))
    filter_times: dict[str, list[float]] = {label: [] for label, _values in cases}
    search_times: dict[str, list[float]] = {text: [] for text in words}
    shown: dict[str, int] = {}

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.open_menu("order_list")
            await pilot.pause()
            screen = app.screen
            await settled(screen)
            app.timed_screen = screen
            for label, values in cases:
                _set_filters(screen, values)
                for index in range(runs + 1):
                    screen.table.focus()
                    elapsed = await timed_key(app, "f7", label)
                    if index:
                        filter_times[label].append(elapsed)
            _set_filters(screen, {})
            box = screen.query_one("#concept")
            for text in words:
                box.value = text
                for index in range(runs + 1):
                    screen.table.focus()
                    elapsed = await timed_key(app, "f2", text)
                    if index:
                        search_times[text].append(elapsed)
                shown[text] = len(screen.table.records)

    try:
        asyncio.run(scenario())
    finally:
        close_database()
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.enable()
    return filter_times, search_times, shown


def _open_again(path: Path, writable: bool) -> None:
    """The benchmark database as the measure found it: a measure after this one (the
    start-up's, say) may write to it."""
    open_database(str(path), read_only=not writable)


def measure_order_query(bench) -> list:
    """The general order inquiry through the screen: each filter, then the concept search."""
    runner = _runner(bench)
    from search_measures import search_queries

    runs = bench.runs(2, RUNS)
    reader = sqlite3.connect(f"file:{bench.path}?mode=ro", uri=True)
    try:
        total = reader.execute("SELECT COUNT(*) FROM service_order").fetchone()[0]
        cases = _filter_cases(reader)
        queries = search_queries(reader)
    finally:
        reader.close()
    label = f"general order inquiry ({total:,} orders), Pilot 80x24, key to rows drawn"
    writable = opened_for_writing(str(bench.path))
    try:
        close_database()
        filter_times, search_times, shown = _screen_runs(bench.path, cases, queries, runs)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [runner.Row(label, f"error: {type(exc).__name__}: {str(exc)[:200]}", target="<= 150 ms", ok="NO")]
    finally:
        _open_again(bench.path, writable)
    rows = []
    for case, times in filter_times.items():
        p95, worst = _p95(times), max(times)
        rows.append(runner.Row(f"{label}: F7, filter {case}; p95 of {runs}, worst {runner.ms(worst)}",
                               runner.ms(p95), target="<= 150 ms", ok=runner.verdict(worst <= TARGET_MS)))
    for kind, chosen in (("words", [q for q in queries if " " not in q]),
                         ("phrases", [q for q in queries if " " in q])):
        times = [t for text in chosen for t in search_times[text]]
        worst_text = max(chosen, key=lambda text: max(search_times[text]))
        worst = max(search_times[worst_text])
        rows.append(runner.Row(
            f"{label}: F2, concept search, {len(chosen)} {kind} x {runs}; p95; worst {runner.ms(worst)} "
            f"for {worst_text!r} ({shown[worst_text]} rows shown); load {_load()}",
            runner.ms(_p95(times)), target="<= 150 ms", ok=runner.verdict(_p95(times) <= TARGET_MS)))
    return rows


# --- the home screen with 10,000 pending activities ---------------------------------------


def home_database(folder: Path) -> tuple[Path, str]:
    """A small database whose one technician has HOME_PENDING pending activities (made once
    in `folder`, kept while it holds them); returns its path and that user's name."""
    from crm_tui.db import migrations
    from crm_tui.services.demo import DemoSize, fill_demo

    path = folder / "home-10k.db"
    if path.exists():
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            user, pending = reader.execute(
                "SELECT u.username, COUNT(*) FROM activity a JOIN \"user\" u ON u.id = a.user_id "
                "WHERE a.status = 'pending' GROUP BY u.username ORDER BY 2 DESC LIMIT 1").fetchone()
            if pending == HOME_PENDING:
                return path, user
        except (sqlite3.Error, TypeError):
            pass
        finally:
            reader.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    db = open_database(str(path), create=True)
    migrations.upgrade(db)
    fill_demo(DemoSize(clients=40, contacts=150, users=2, orders=300, activities=HOME_PENDING * 2,
                       opportunities=20), operator="bench")
    user_id = db.execute_sql('SELECT id FROM "user" WHERE username <> ? ORDER BY id LIMIT 1', ("bench",)).fetchone()[0]
    with db.atomic():
        db.execute_sql("UPDATE activity SET user_id = ?, assignee_id = NULL", (user_id,))
        db.execute_sql("UPDATE activity SET status = 'done'")
        db.execute_sql("UPDATE activity SET status = 'pending' WHERE id IN "
                       "(SELECT id FROM activity ORDER BY id DESC LIMIT ?)", (HOME_PENDING,))
    username = db.execute_sql('SELECT username FROM "user" WHERE id = ?', (user_id,)).fetchone()[0]
    close_database()
    return path, username


def measure_home_pending(bench) -> list:
    """`crm --user X` to the home screen's first frame with its rows, X having 10,000
    pending activities, against the one-widget app: time and peak RSS."""
    runner = _runner(bench)
    label = f"home screen with {HOME_PENDING:,} pending activities: start-up to its rows drawn (pty 80x24)"
    runs = bench.runs(3, HOME_RUNS)
    folder = Path(os.environ.get(HOME_FOLDER_ENV) or tempfile.gettempdir()) / "crm-bench-home"
    writable = opened_for_writing(str(bench.path))
    try:
        close_database()
        path, username = home_database(folder)
        open_database(str(path))
        runner.register_own_login_as_admin()
        close_database()
        runner.compile_like_an_installation()  # as measure_startup: an installation's bytecode
        crm = runner.crm_command() + ["--db", str(path), "--user", username, "--lang", "en"]
        baseline = [sys.executable, "-c", runner.ONE_WIDGET_APP]
        first = runner.run_to_first_frame(crm, until="rows")  # warm-up of both
        runner.run_to_first_frame(baseline)
        if b"rows 1" not in first.drawn or len(DRAWN_DATE.findall(first.drawn)) < HOME_ROWS_SEEN:
            raise RuntimeError("the home screen's rows were not drawn")
        samples: dict[str, list[tuple[float, int]]] = {"crm": [], "baseline": []}
        for _ in range(runs):  # alternating, so a change of load falls on both sides
            for name, command, until in (("crm", crm, "rows"), ("baseline", baseline, "1")):
                frame = runner.run_to_first_frame(command, until=until)
                samples[name].append((frame.seconds, frame.peak_kib))
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [runner.Row(label, f"error: {type(exc).__name__}: {str(exc)[:80]}", target="<= 1.5x", ok="NO")]
    finally:
        _open_again(bench.path, writable)
    value = statistics.median(s for s, _ in samples["crm"])
    base = statistics.median(s for s, _ in samples["baseline"])
    memory = max(r for _, r in samples["crm"]) / 1024
    base_memory = max(r for _, r in samples["baseline"]) / 1024
    ratio, memory_ratio = value / base, memory / base_memory
    return [runner.Row(f"{label}, median of {runs}; load {_load()}", runner.ms(value * 1000),
                       runner.ms(base * 1000) + " (one-widget app)", f"{ratio:.2f}x", "<= 1.5x",
                       runner.verdict(ratio <= 1.5)),
            runner.Row(f"home screen with {HOME_PENDING:,} pending activities, peak memory (max RSS)",
                       f"{memory:.1f} MiB", f"{base_memory:.1f} MiB", f"{memory_ratio:.2f}x", "<= 2x",
                       runner.verdict(memory_ratio <= 2))]


def main(argv: list[str] | None = None) -> int:
    """Run these measures alone on an existing database, opened read-only (never built)."""
    import run as runner

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--db", required=True, help="an existing benchmark database (only read)")
    parser.add_argument("--only", choices=("order_query", "home_pending"), help="one of the two measures")
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args(argv)
    path = Path(args.db)
    if not path.exists():
        parser.error(f"{path} does not exist")
    open_database(str(path), read_only=True)
    bench = runner.Bench(path=path, orders=0, quick=args.quick)
    measures: list[Callable] = [measure_order_query, measure_home_pending]
    if args.only:
        measures = [measure for measure in measures if measure.__name__ == f"measure_{args.only}"]
    rows = []
    for measure in measures:
        rows.extend(measure(bench))
    close_database()
    print(f"crm_tui benchmarks: {path} | {os.cpu_count()} cores | load average now {_load()}")
    print(runner.render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
