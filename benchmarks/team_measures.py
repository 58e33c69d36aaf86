#!/usr/bin/env python3
"""A team writing at once: 8 processes × 500 writes through the services, on SQLite and on
PostgreSQL, undisturbed and with one process holding the write lock for 10 s meanwhile.

    python benchmarks/team_measures.py [--writers 8] [--each 500] [--lock-seconds 10]

Also a measure of benchmarks/run.py (`measure_team_writes`). Each writer is a process of
its own with its own user and service order; its writes alternate between adding an
activity and modifying its order (each modification carries the version it read, as a
form does). Counted: the records kept out of those expected (the writer's activities, and
its order's version after its modifications), the writes refused with an error, the
writes run again because the server undid them (a deadlock), and the 50th and 99th
percentile of one write's latency.

SQLite runs on a new file in a temporary folder. PostgreSQL runs on a database of its own
(bench_team), created and dropped by the measure, on the server of CRM_BENCH_POSTGRES or,
without it, on 127.0.0.1:5432 when a server answers there.

With the lock held, the app is also run headless on the same database: a new client is
saved while the lock is held, and the measure reads what the form says while it waits.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import queue
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_tui import i18n  # noqa: E402
from crm_tui.db import close_database, migrations, open_database  # noqa: E402
from crm_tui.db.models import User, now  # noqa: E402
from crm_tui.services import Actor  # noqa: E402
from crm_tui.services.base import write_retries  # noqa: E402

WRITERS = 8
EACH = 500
LOCK_SECONDS = 10.0
QUICK_WRITERS, QUICK_EACH, QUICK_LOCK_SECONDS = 2, 20, 2.0  # a smoke run: SQLite only, unless given a server
P99_TARGET_MS = 250.0
WAIT_SECONDS = 600  # a writer that does not answer in this long counts as failed
POSTGRES_ENV = "CRM_BENCH_POSTGRES"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "bench_team"
WAITING_TEXT = "waiting for another user's change"


@dataclass
class TeamRun:
    backend: str
    locked: bool
    expected: int = 0
    kept: int = 0
    errors: list[str] = field(default_factory=list)
    retries: int = 0  # writes run again after the server undid them (a deadlock)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    screen: str = ""  # what the form said while its save waited (locked runs)

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- one writer (a process of its own) --------------------------------------------------------


def order_input(ids: dict, detail: str):
    from crm_tui.services import orders

    return orders.OrderInput(contact_id=ids["contact"], category_id=ids["category"], detail=detail)


def write_once(actor: Actor, ids: dict, writer: int, index: int, version: int) -> int:
    """One write: an activity on even turns, the writer's order on odd ones. Returns the
    order's version after it."""
    from crm_tui.services import activities, orders

    detail = f"team writer {writer} write {index}"
    if index % 2 == 0:
        activities.add_activity(actor, activities.ActivityInput(
            when=now(), contact_id=ids["contact"], category_id=ids["category"], detail=detail))
        return version
    return orders.modify_order(actor, ids["orders"][writer], version, order_input(ids, detail)).version


def writer_process(url: str, ids: dict, writer: int, each: int, start, progress, results) -> None:
    """Open the database, wait for the others, write `each` times, report the latencies."""
    try:
        open_database(url)
        user_id = ids["users"][writer]
        actor = Actor(id=user_id, username=f"team{writer}", full_name="", role="agent")
        version = 1
        latencies, errors = [], []
        results.put(("ready", writer, None))
        start.wait(WAIT_SECONDS)
        for index in range(each):
            began = time.perf_counter()
            try:
                version = write_once(actor, ids, writer, index, version)
            except Exception as exc:  # noqa: BLE001 - counted, and the writer goes on
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append((time.perf_counter() - began) * 1000)
            with progress.get_lock():
                progress.value += 1
        close_database()
        results.put(("done", writer, (latencies, errors, write_retries())))
    except BaseException:  # noqa: BLE001 - reported to the parent instead of dying silently
        results.put(("error", writer, traceback.format_exc()))


# --- the database ---------------------------------------------------------------------------


def prepare_records(url: str, writers: int) -> dict:
    """A migrated database with a user and an open order per writer, and an admin."""
    from crm_tui.services import catalogs, orders

    database = open_database(url, create=True)
    migrations.upgrade(database)
    moment = now()
    stamps = {"created_at": moment, "updated_at": moment, "created_by": "bench", "updated_by": "bench"}
    admin = User.create(username="teamadmin", full_name="Team Admin", role="admin", **stamps)
    boss = Actor(id=admin.id, username=admin.username, full_name=admin.full_name, role="admin")
    client = catalogs.add_client(boss, catalogs.ClientInput(name="Cliente del equipo"))
    contact = catalogs.add_contact(boss, catalogs.ContactInput(client_id=client.id, name="Contacto del equipo"))
    category = catalogs.add_category(boss, catalogs.CategoryInput(name="Soporte"))
    ids = {"admin": admin.id, "contact": contact.id, "category": category.id, "users": [], "orders": []}
    for writer in range(writers):
        user = User.create(username=f"team{writer}", full_name=f"Técnico {writer}", role="agent", **stamps)
        actor = Actor(id=user.id, username=user.username, full_name=user.full_name, role="agent")
        order = orders.add_order(actor, order_input(ids, f"team writer {writer} start"))
        ids["users"].append(user.id)
        ids["orders"].append(order.id)
    close_database()
    return ids


def count_kept(url: str, ids: dict) -> int:
    """Activities of the writers, plus each writer order's modifications (its version - 1)."""
    from crm_tui.db.models import Activity, ServiceOrder

    open_database(url)
    try:
        activities = Activity.select().where(Activity.detail.startswith("team writer ")).count()
        versions = sum(ServiceOrder.get_by_id(order_id).version - 1 for order_id in ids["orders"])
    finally:
        close_database()
    return activities + versions


def postgres_server(quick: bool = False) -> str | None:
    """The URL of a database on the server to use, or None when no server answers (a quick
    run tries only the server it is given)."""
    url = os.environ.get(POSTGRES_ENV, "").strip() or ("" if quick else POSTGRES_DEFAULT)
    if not url:
        return None
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception:  # noqa: BLE001 - no driver or no server: the PostgreSQL rows say so
        return None
    return url


def _on_server(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as server:
        server.execute(statement)


def create_postgres_database(server_url: str) -> str:
    _on_server(server_url, f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
    _on_server(server_url, f"CREATE DATABASE {POSTGRES_DATABASE}")
    return urlunparse(urlparse(server_url)._replace(path=f"/{POSTGRES_DATABASE}"))


def drop_postgres_database(server_url: str) -> None:
    _on_server(server_url, f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


# --- holding the write lock ---------------------------------------------------------------------


class LockHolder(threading.Thread):
    """Another session in the middle of a long write: it holds the write lock for
    `seconds`, as a big import or a stuck transaction would."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seconds = seconds
        self.locked = threading.Event()

    def run(self) -> None:
        if urlparse(self.url).scheme.startswith("postgres"):
            self._hold_postgres()
        else:
            self._hold_sqlite()

    def _hold_sqlite(self) -> None:
        connection = sqlite3.connect(self.url, timeout=60, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            self._hold()
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    def _hold_postgres(self) -> None:
        import psycopg

        with psycopg.connect(self.url) as connection:
            while True:
                try:
                    # EXCLUSIVE lets others read the tables but not write them. The tables
                    # are locked one by one, in another order than the writers'; giving up
                    # before PostgreSQL's deadlock check (1 s) keeps this session from
                    # making a writer fail: it tries again until it holds them all.
                    connection.execute("SET lock_timeout = '200ms'")
                    connection.execute("LOCK TABLE counter, activity, service_order, client IN EXCLUSIVE MODE")
                    break
                except psycopg.errors.LockNotAvailable:
                    connection.rollback()
            self._hold()
            connection.rollback()

    def _hold(self) -> None:
        self.locked.set()
        time.sleep(self.seconds)


# --- what the screen says while a save waits ------------------------------------------------------


async def save_a_client_while_locked(url: str, ids: dict, hold_lock) -> str:
    """Open the app headless, type a new client, take the lock, press F8, and return what
    the form said while the save waited (and whether the save then went through)."""
    from crm_tui.app import CrmApp
    from crm_tui.widgets.form import Form
    from textual.widgets import Static

    i18n.set_language("en")
    open_database(url)
    actor = Actor(id=ids["admin"], username="teamadmin", full_name="Team Admin", role="admin")
    settings: dict = {}
    app = CrmApp(actor, url, today=dt.date.today(), config=(lambda: dict(settings), settings.update))
    said = ""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        app.open_menu("clients")
        await pilot.pause(1.0)
        await pilot.press("f2")
        await pilot.pause(1.0)
        for character in "Cliente en espera":
            await pilot.press("space" if character == " " else character)
        await hold_lock()
        await pilot.press("f8")
        form = app.screen.query_one(Form)
        status = form.query_one("#form-status", Static)
        deadline = time.monotonic() + Form.SLOW_SAVE_SECONDS + 5
        while time.monotonic() < deadline and not said:
            await pilot.pause(0.1)
            if "-shown" in status.classes:
                said = str(status.render())
        while form.saving and time.monotonic() < deadline + LOCK_SECONDS + 30:
            await pilot.pause(0.2)
        saved = not form.saving and "-shown" not in status.classes
    from crm_tui.services import catalogs

    stored = "Cliente en espera" in [client.name for client in catalogs.list_clients().rows]
    close_database()
    outcome = "saved after the wait" if saved and stored else "NOT saved"
    return f'"{said}" ({outcome})' if said else f"nothing shown ({outcome})"


# --- one run -----------------------------------------------------------------------------------


def run_team(url: str, backend: str, locked: bool, writers: int = WRITERS, each: int = EACH,
             lock_seconds: float = LOCK_SECONDS) -> TeamRun:
    ids = prepare_records(url, writers)
    outcome = TeamRun(backend, locked, expected=writers * each)
    context = multiprocessing.get_context("spawn")
    start, results, progress = context.Event(), context.Queue(), context.Value("i", 0)
    processes = [context.Process(target=writer_process, args=(url, ids, n, each, start, progress, results))
                 for n in range(writers)]
    for process in processes:
        process.start()
    messages = []
    try:
        messages = [next_message(results) for _ in range(writers)]
        began = time.perf_counter()
        start.set()
        if locked:
            outcome.screen = lock_in_the_middle(url, ids, progress, outcome.expected, lock_seconds)
        messages += [next_message(results) for m in messages if m[0] == "ready"]
        outcome.seconds = time.perf_counter() - began
    finally:
        start.set()
        for process in processes:
            process.join(WAIT_SECONDS)
    for kind, writer, payload in messages:
        if kind == "error":
            outcome.errors.append(f"writer {writer}: {payload.strip().splitlines()[-1]}")
        elif kind == "done":
            outcome.latencies_ms += payload[0]
            outcome.errors += payload[1]
            outcome.retries += payload[2]
        elif kind == "lost":
            outcome.errors.append("a writer did not answer in time")
    outcome.kept = count_kept(url, ids)
    return outcome


def next_message(results):
    try:
        return results.get(timeout=WAIT_SECONDS)
    except queue.Empty:
        return ("lost", -1, None)


def lock_in_the_middle(url: str, ids: dict, progress, expected: int, seconds: float) -> str:
    """When half the writes are done, hold the lock for `seconds` while the app saves."""
    holder = LockHolder(url, seconds)

    async def hold_lock() -> None:
        while progress.value < expected // 2:
            await asyncio.sleep(0.05)
        holder.start()
        while not holder.locked.is_set():
            await asyncio.sleep(0.01)

    try:
        said = asyncio.run(save_a_client_while_locked(url, ids, hold_lock))
    except Exception as exc:  # noqa: BLE001 - shown in the table, the run goes on
        said = f"the headless app failed: {type(exc).__name__}: {str(exc)[:80]}"
        if not holder.is_alive() and not holder.locked.is_set():
            holder.start()
    holder.join()
    return said


def team_runs(writers: int = WRITERS, each: int = EACH, lock_seconds: float = LOCK_SECONDS,
              quick: bool = False) -> list[TeamRun]:
    runs = []
    folder = Path(tempfile.mkdtemp(prefix="crm-team-"))
    try:
        for locked in (False, True):
            path = folder / f"team-{'locked' if locked else 'free'}.db"
            runs.append(run_team(str(path), "SQLite", locked, writers, each, lock_seconds))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    server = postgres_server(quick)
    if server is None:
        return runs
    for locked in (False, True):
        try:
            runs.append(run_team(create_postgres_database(server), "PostgreSQL", locked, writers, each,
                                 lock_seconds))
        finally:
            drop_postgres_database(server)
    return runs


# --- as a measure of benchmarks/run.py -----------------------------------------------------------


def describe(run: TeamRun, writers: int, each: int, lock_seconds: float) -> str:
    what = f"{writers} processes x {each} writes at once (add activity / modify order) on {run.backend}"
    if run.locked:
        what += f", one session holding the write lock {lock_seconds:.0f} s midway"
    first_error = f"; first error: {run.errors[0][:80]}" if run.errors else ""
    return (f"{what}: {len(run.errors)} errors, {run.retries} writes run again after a deadlock, "
            f"p50 {run.percentile(0.5):.1f} ms, p99 {run.percentile(0.99):.0f} ms, "
            f"{run.seconds:.1f} s in all{first_error}")


def rows_of(runs: list[TeamRun], writers: int, each: int, lock_seconds: float) -> list:
    from run import Row  # here, not at the top: run.py imports this module

    rows = []
    for run in runs:
        kept_all = run.kept == run.expected and not run.errors
        fast = run.locked or run.backend != "SQLite" or run.percentile(0.99) <= P99_TARGET_MS
        target = "all kept, 0 errors" + ("" if run.locked or run.backend != "SQLite" else ", p99 <= 250 ms")
        rows.append(Row(describe(run, writers, each, lock_seconds), f"{run.kept:,} of {run.expected:,} kept",
                        f"p99 {run.percentile(0.99):.0f} ms", "", target, "yes" if kept_all and fast else "NO"))
        if run.locked:
            rows.append(Row(f"the app on {run.backend} saving a client while the lock is held: what the form says",
                            run.screen, target="says it waits, then saves",
                            ok="yes" if WAITING_TEXT in run.screen and "(saved" in run.screen else "NO"))
    return rows


def measure_team_writes(bench) -> list:
    """8 processes x 500 writes at once, undisturbed and around a 10 s write lock."""
    from run import Row

    writers, each, lock_seconds = (QUICK_WRITERS, QUICK_EACH, QUICK_LOCK_SECONDS) if bench.quick else \
        (WRITERS, EACH, LOCK_SECONDS)
    close_database()
    try:
        runs = team_runs(writers, each, lock_seconds, bench.quick)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        return [Row("team writes", f"error: {type(exc).__name__}: {str(exc)[:80]}", target="all kept", ok="NO")]
    finally:
        open_database(str(bench.path))
    return rows_of(runs, writers, each, lock_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--each", type=int, default=EACH, help="writes of each process")
    parser.add_argument("--lock-seconds", type=float, default=LOCK_SECONDS)
    args = parser.parse_args(argv)
    runs = team_runs(args.writers, args.each, args.lock_seconds)
    for run in runs:
        print(describe(run, args.writers, args.each, args.lock_seconds))
        print(f"  kept {run.kept} of {run.expected}" + (f"; the form said {run.screen}" if run.locked else ""))
    return 0 if all(run.kept == run.expected and not run.errors for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
