#!/usr/bin/env python3
"""Hostile input at scale: the values of the property tests (tests/hostile.py) through every
service's add and modify, then each distinct text shown by a headless app, counting crashes.

    python benchmarks/hostile_measures.py [--count 5000] [--db PATH_OR_URL]

A crash is a value neither refused with a clear message nor stored as typed, an exception
that is not a service's refusal, or a frame whose bytes hold a raw control character or an
operating-system command from the value. Also the measure `hostile` of
benchmarks/run.py.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from crm_tui.db import close_database, migrations, open_database  # noqa: E402
from crm_tui.services import users  # noqa: E402
from hostile import Crash, ShownValues, hostile_writes, leaks, make_world, terminal_output, try_write  # noqa: E402

COUNT = 5_000
QUICK_COUNT = 500
SMOKE_COUNT = 50
SCREEN = (80, 24)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def _through_services(count: int, progress: bool = False) -> tuple[int, list[str], list[str]]:
    """(writes tried, crashes, the distinct texts tried) on the open, empty database."""
    admin = users.bootstrap_first_admin("ana", "Ana Admin")
    users.add_user(admin, users.UserInput(username="beto", full_name="Beto Agente"))
    world = make_world(admin, users.identify("beto"))
    tried, crashes, texts = 0, [], {}

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(write=hostile_writes())
    def one(write):
        nonlocal tried
        tried += 1
        if tried % 500 == 0:
            _say(progress, f"{tried:,} writes tried, {len(crashes)} crashes")
        try:
            try_write(world, *write)
        except Crash as crash:
            crashes.append(str(crash))
        value = write[3]
        if isinstance(value, str):
            texts.setdefault(value, None)

    one()
    return tried, crashes, list(texts)


async def _on_screen(texts: list[str], progress: bool = False) -> list[str]:
    """Crashes of a headless app showing each text in a label, a cell, a field and a
    notification, a frame of several texts at a time."""
    crashes = []
    app = ShownValues()
    async with app.run_test(size=SCREEN, notifications=True) as pilot:
        for start in range(0, len(texts), ShownValues.SLOTS):
            frame = texts[start:start + ShownValues.SLOTS]
            try:
                for slot, text in enumerate(frame):
                    app.show(text, slot)
                await pilot.pause()
                found = leaks(terminal_output(app))
            except Exception as error:  # noqa: BLE001 - that is the crash being counted
                found = [f"{type(error).__name__}: {error}"]
            if found:
                crashes.append(f"shown {[text[:30] for text in frame]!r}: {found}")
            app.clear_notifications()
            if start % 700 == 0:
                _say(progress, f"{start:,} texts shown, {len(crashes)} crashes")
    return crashes


def hostile_inputs(count: int = COUNT, target: str | None = None,
                   progress: bool = False) -> tuple[int, int, list[str]]:
    """(inputs tried, crashes, what each crash was): `count` hostile writes through the
    services on a new SQLite file (or the empty database `target`), then every distinct
    text among them on a headless screen."""
    folder = Path(tempfile.mkdtemp(prefix="crm-hostile-"))
    try:
        database = open_database(target or str(folder / "hostile.db"), create=True)
        migrations.upgrade(database)
        try:
            tried, crashes, texts = _through_services(count, progress)
        finally:
            close_database()
        _say(progress, f"showing {len(texts):,} distinct texts on a headless screen")
        crashes += asyncio.run(_on_screen(texts, progress))
        return tried, len(crashes), crashes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=COUNT, help="hostile writes to try")
    parser.add_argument("--db", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args(argv)
    tried, crashes, what = hostile_inputs(args.count, args.db, progress=True)
    for line in what[:20]:
        print(line)
    print(f"hostile inputs: {tried:,} tried, {crashes} crashes")
    return 0 if crashes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
