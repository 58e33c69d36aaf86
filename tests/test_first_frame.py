"""The start-up benchmark's clock stops at the first frame on the terminal: the app writes
one mark right behind that frame, and only when asked (CRM_EXIT_AFTER_FIRST_FRAME)."""
from __future__ import annotations

import sys
from pathlib import Path

import pyte
import pytest

from crm_tui.db import close_database, migrations, open_database
from crm_tui.services import users
from crm_tui.widgets.first_frame import EXIT_AFTER_FIRST_FRAME, FIRST_FRAME_MARK, WRITTEN_MARK
from terminal_support import Terminal, crm_command, terminal_environment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

LOGIN = users.system_login()
MARK = FIRST_FRAME_MARK.encode()

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")


@pytest.fixture
def crm_database(tmp_path):
    path = tmp_path / "crm.db"
    database = open_database(str(path), create=True)
    migrations.upgrade(database)
    users.bootstrap_first_admin(LOGIN, "Tess Tester")
    close_database()
    return path


def seen(written: bytes, columns: int = 80, rows: int = 24) -> str:
    screen = pyte.Screen(columns, rows)
    pyte.ByteStream(screen).feed(written)
    return "\n".join(screen.display)


def test_the_crm_marks_its_first_frame_once_right_after_painting_it_and_leaves(crm_database, tmp_path):
    env = terminal_environment(tmp_path, LOGIN, **{EXIT_AFTER_FIRST_FRAME: "1"})
    terminal = Terminal([*crm_command(), "--db", str(crm_database), "--lang", "en"], env, columns=80, rows=24)
    code = terminal.process.wait(timeout=90)  # it leaves by itself
    terminal.close()
    written = terminal.bytes_written()
    assert code == 0
    assert written.count(MARK) == 1
    mark = WRITTEN_MARK.search(written)
    assert float(mark.group(1)) > 0  # the CPU time it took
    first_frame = seen(written[:mark.start()])
    # The whole first screen is there when the mark arrives, its status line included.
    assert "CRM │ Tess Tester" in first_frame.splitlines()[0]
    assert "f1 Help" in first_frame


def test_without_the_variable_the_crm_writes_no_mark(crm_database, tmp_path):
    env = terminal_environment(tmp_path, LOGIN)
    terminal = Terminal([*crm_command(), "--db", str(crm_database), "--lang", "en"], env, columns=80, rows=24)
    try:
        terminal.wait_for("Tess Tester")
        terminal.wait_for("f1 Help")
    finally:
        terminal.close()
    assert MARK not in terminal.bytes_written()


def test_the_benchmark_times_both_apps_to_the_frame_they_drew(crm_database, tmp_path, monkeypatch):
    import run

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    crm = run.crm_command() + ["--db", str(crm_database), "--lang", "en"]
    for command, shown in ((crm, "CRM │ Tess Tester"), ([sys.executable, "-c", run.ONE_WIDGET_APP], "CRM menu")):
        frame = run.run_to_first_frame(command)
        assert frame.seconds > 0 and frame.cpu_seconds > 0 and frame.peak_kib > 0
        assert MARK not in frame.drawn
        assert shown in seen(frame.drawn)


# What `crm` must not load before its first frame: what only commands or later screens use.
NOT_BEFORE_THE_FIRST_FRAME = ("crm_tui.cli.export", "crm_tui.cli.importing", "crm_tui.cli.check",
                              "crm_tui.services.admin", "crm_tui.services.importing", "crm_tui.db.search",
                              "textual.widgets._text_area", "openpyxl", "psycopg",
                              # what writes and manages records: sign-in and the home screen's
                              # first rows read only services/login.py and activity_records.py
                              "crm_tui.services.activities", "crm_tui.services.orders",
                              "crm_tui.services.users", "crm_tui.services.fields",
                              # imported by peewee, used only in a few of its functions
                              "hashlib", "json", "calendar")
MODULES_AT_FIRST_FRAME = """
import os, sys
catalogs = []
sys.addaudithook(lambda event, args: event == "open" and str(args[0]).endswith(".mo") and catalogs.append(str(args[0])))
import crm_tui.widgets.first_frame as first_frame
marked = first_frame.FirstFrameMark._display
def display(self, screen, renderable):
    import gc
    before = self._first_frame_marked
    marked(self, screen, renderable)
    if self._first_frame_marked and not before:
        with open(os.environ["MODULES_FILE"], "w") as out:
            out.write("\\n".join(sorted(sys.modules)))
        with open(os.environ["MODULES_FILE"] + ".gc", "w") as out:
            out.write(str(gc.isenabled()))
        with open(os.environ["MODULES_FILE"] + ".catalogs", "w") as out:
            out.write("\\n".join(catalogs))
first_frame.FirstFrameMark._display = display
sys.argv = ["crm", *sys.argv[1:]]
from crm_tui.__main__ import main  # what the `crm` script runs
sys.exit(main())
"""


@pytest.mark.parametrize("who", [[], ["--user", LOGIN]], ids=["own login", "--user"])
def test_the_crm_loads_only_what_its_first_screen_needs_before_the_first_frame(crm_database, tmp_path, who):
    listing = tmp_path / "modules.txt"
    env = terminal_environment(tmp_path, LOGIN, **{EXIT_AFTER_FIRST_FRAME: "1", "MODULES_FILE": str(listing)})
    terminal = Terminal([sys.executable, "-c", MODULES_AT_FIRST_FRAME, "--db", str(crm_database), "--lang", "en",
                         *who], env, columns=80, rows=24)
    code = terminal.process.wait(timeout=90)
    terminal.close()
    assert code == 0
    loaded = set(listing.read_text().split())
    assert "crm_tui.app" in loaded  # the listing is from the app
    assert [name for name in NOT_BEFORE_THE_FIRST_FRAME if name in loaded] == []
    # Nothing loaded before it is garbage: the collector waits (crm_tui.__main__).
    assert Path(f"{listing}.gc").read_text() == "False"
    # Only the catalog of the language shown (--lang en), not the locale's as well.
    catalogs = Path(f"{listing}.catalogs").read_text().split()
    assert catalogs and all("/en/" in path for path in catalogs)


def test_the_app_goes_on_with_the_database_crm_opened_and_checked(crm_database):
    from crm_tui.app import _open

    url = str(crm_database)
    opened = open_database(url)
    try:
        assert _open(url) is opened  # not closed (checkpoint, WAL removed) and opened again
    finally:
        close_database()
    reopened = _open(url)  # closed meanwhile: opened anew
    try:
        assert reopened is not opened and not reopened.is_closed()
    finally:
        close_database()


def test_the_crm_script_runs_the_entry_that_holds_the_collector_while_loading():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["crm"] == "crm_tui.__main__:main"


async def test_the_app_turns_the_garbage_collector_on_after_its_first_frame(crm_database):
    import gc

    DEFAULT_THRESHOLDS = gc.get_threshold()

    from crm_tui.app import CrmApp, _open
    from crm_tui.services.login import identify

    _open(str(crm_database))
    gc.disable()  # as crm_tui.__main__ leaves it
    try:
        app = CrmApp(identify(LOGIN), str(crm_database), config=(dict, lambda values: None))
        async with app.run_test() as pilot:
            await pilot.pause()
            assert gc.isenabled()
            # What start-up left alive is kept out of every later full collection, and
            # full collections wait for the user to be idle.
            assert gc.get_freeze_count() > 10_000
            assert gc.get_threshold()[2] > 1_000_000
            full_collections = gc.get_stats()[2]["collections"]
            for _ in range(12):  # what makes a full collection due
                gc.collect(1)
            await pilot.press("down")
            assert not app.collect_if_idle()  # a key was just pressed
            app._last_input -= 2.0
            assert app.collect_if_idle()
            assert gc.get_stats()[2]["collections"] == full_collections + 1
            assert not app.collect_if_idle()  # nothing due any more
    finally:
        gc.unfreeze()
        gc.set_threshold(*DEFAULT_THRESHOLDS)
        gc.enable()
        close_database()


def test_a_command_runs_with_the_garbage_collector_on(tmp_path, monkeypatch):
    import gc

    from crm_tui.cli import main

    monkeypatch.setenv("HOME", str(tmp_path))
    gc.disable()  # as crm_tui.__main__ leaves it
    try:
        code = main(["check", "--db", str(tmp_path / "none.db")])
        assert code != 0  # no such database: the command ran and said so
        assert gc.isenabled()
    finally:
        gc.enable()
