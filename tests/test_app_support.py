"""Shared pieces of the Textual (Pilot) tests: a SQLite database and an app on it (no tests here)."""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import unicodedata

import pytest
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.worker import WorkerCancelled

from crm_tui.app import CrmApp
from crm_tui.db import close_database, open_database
from crm_tui.services import Actor, users

TODAY = dt.date(2026, 11, 27)
DB_LABEL = "crm-test.db"
SIZE = (80, 24)
HOSTILE = "[bold]x[/] [@click=app.quit] =1+1 😀"


class MemoryConfig:
    """Stands in for the config file."""

    def __init__(self, values: dict | None = None) -> None:
        self.values = dict(values or {})
        self.saved: list[dict] = []

    def load(self) -> dict:
        return dict(self.values)

    def save(self, values: dict) -> None:
        self.values = dict(values)
        self.saved.append(dict(values))


def make_app(actor: Actor, config: MemoryConfig | None = None, **kwargs) -> CrmApp:
    store = config or MemoryConfig()
    return CrmApp(actor, DB_LABEL, today=TODAY, config=(store.load, store.save), **kwargs)


WORKERS_TIMEOUT = 60.0


async def _workers_done(app) -> None:
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:  # a newer read replaced it (exclusive workers): wait for that one
            await asyncio.sleep(0)


QUIET_ROUNDS = 50


async def _handle_queued(pilot) -> None:
    """Let the app and every widget of the screen handle their messages, and those these
    post in turn, until none waits; then refresh the screen. What pilot.pause() does,
    without sleeping until the process looks idle (20 ms at least, a whole second while
    any thread works)."""
    app = pilot.app
    for _ in range(QUIET_ROUNDS):
        await pilot._wait_for_screen()
        if not any(node.message_queue_size for node in (app, *app.screen.walk_children(with_self=True))):
            break
    app.screen._on_timer_update()


async def settle(pilot) -> None:
    """Let pending workers (page loads, look-ups, exports) finish and the screen update.

    A worker that never ends fails the test, naming it, instead of hanging the suite."""
    for _ in range(3):
        await _handle_queued(pilot)
        try:
            await asyncio.wait_for(_workers_done(pilot.app), WORKERS_TIMEOUT)
        except asyncio.TimeoutError:
            stuck = [f"{worker.name} ({worker.state.name}, node {worker.node!r})" for worker in pilot.app.workers]
            raise AssertionError(f"workers still running after {WORKERS_TIMEOUT:.0f} s: {stuck}") from None
    await pilot.pause()


def pressed_key(character: str) -> events.Key:
    """The Key event pilot.press(character) sends."""
    key = _character_to_key(character) if not character.isalnum() else character
    try:
        shown = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        shown = key if len(key) == 1 else None
    return events.Key(key, shown)


async def type_text(pilot, text: str) -> None:
    """Type `text` as keys, the way a person would (emoji arrive as a paste, as from a
    terminal): each key, and all it set off, is handled before the next is sent."""
    for character in text:
        if ord(character) > 0xFFFF:
            pilot.app.post_message(events.Paste(character))
        else:
            pilot.app.post_message(pressed_key(character))
        await _handle_queued(pilot)
        await pilot.app.animator.wait_until_complete()
    await pilot.pause()


async def open_item(pilot, item_id: str) -> None:
    pilot.app.open_menu(item_id)
    await settle(pilot)


@pytest.fixture
def ui_db(tmp_path, sqlite_template):
    """A SQLite database for the Textual tests (the screens do not depend on the backend)."""
    shutil.copyfile(sqlite_template, tmp_path / "ui.db")
    database = open_database(str(tmp_path / "ui.db"))
    yield database
    close_database()


@pytest.fixture
def ui_admin(ui_db) -> Actor:
    return users.bootstrap_first_admin("ana", "Ana Admin")


KEY_NAMES = {" ": "space", "\t": "tab", "\n": "enter"}


def key_event(name_or_character: str) -> events.Key:
    """The Key event a terminal sends for a character, or for a key name such as "tab"."""
    if len(name_or_character) == 1:
        character = name_or_character
        return events.Key(KEY_NAMES.get(character, character), character if character != "\t" else None)
    return events.Key(name_or_character, None)


async def burst(pilot, *parts: str) -> None:
    """Send keys all at once, as they arrive over a laggy SSH link or from a paste: texts
    are typed character by character, names in <angle brackets> are keys ("<tab>", "<f2>").
    Nothing waits between the keys; the test settles once they are all sent."""
    for part in parts:
        if part.startswith("<") and part.endswith(">") and len(part) > 2:
            pilot.app.post_message(key_event(part[1:-1]))
            continue
        for character in part:
            pilot.app.post_message(key_event(character))
    await settle(pilot)
