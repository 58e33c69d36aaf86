"""Lists show what other users change: F9, coming back to the list, and the quiet
periodic refresh; the cursor stays on the record the user was on. Two writers at once
end in a message, never a traceback."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from crm_tui.db import database
from crm_tui.screens.catalog import CatalogScreen, EditScreen
from crm_tui.services import Actor, catalogs, users
from crm_tui.widgets.record_table import RecordTable
from test_app_support import SIZE, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401


def as_another_user(action) -> None:
    """Run `action` in another thread: its own connection to the file, as another session's."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            errors.append(exc)
        finally:
            database.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def names_in_table(app) -> list[str]:
    return [record.name for record in app.screen.query_one(RecordTable).records]


def agent(name: str) -> Actor:
    users.add_user(users_admin(), users.UserInput(username=name, full_name=name.title(), role="agent"))
    return users.identify(name)


def users_admin() -> Actor:
    return users.identify("ana")


async def test_f9_shows_a_client_that_another_user_just_added(ui_admin, monkeypatch):
    monkeypatch.setattr(CatalogScreen, "CHANGE_CHECK_SECONDS", 3600.0)  # the live check, out of the way
    beto = agent("beto")
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Primero"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        assert names_in_table(app) == ["Primero"]
        as_another_user(lambda: catalogs.add_client(beto, catalogs.ClientInput(name="Agregado por Beto")))
        await settle(pilot)
        assert names_in_table(app) == ["Primero"]  # the live check is not due yet
        await pilot.press("f9")
        await settle(pilot)
        assert names_in_table(app) == ["Primero", "Agregado por Beto"]
        assert app.screen.query_one(RecordTable).current_record.name == "Primero"
    written = catalogs.list_clients(text="Beto").rows[0]
    assert written.created_by == "beto"


async def test_a_second_app_sees_what_the_first_added_after_its_refresh(ui_admin):
    beto = agent("beto")
    first, second = make_app(ui_admin), make_app(beto)
    async with first.run_test(size=SIZE) as pilot_one, second.run_test(size=SIZE) as pilot_two:
        await open_item(pilot_two, "clients")
        assert names_in_table(second) == []
        await open_item(pilot_one, "clients")
        await pilot_one.press("f2")
        await type_text(pilot_one, "Taller Ruiz")
        await pilot_one.press("f8")
        await settle(pilot_one)
        assert names_in_table(first) == ["Taller Ruiz"]
        await pilot_two.press("f9")
        await settle(pilot_two)
        assert names_in_table(second) == ["Taller Ruiz"]
    assert catalogs.list_clients().rows[0].created_by == "ana"


async def test_the_periodic_refresh_keeps_the_cursor_on_the_same_record(ui_admin, monkeypatch):
    monkeypatch.setattr(CatalogScreen, "CHANGE_CHECK_SECONDS", 0.2)
    monkeypatch.setattr(CatalogScreen, "IDLE_SECONDS", 0.0)
    beto = agent("beto")
    clients = [catalogs.add_client(ui_admin, catalogs.ClientInput(name=f"Cliente {n:03}")) for n in range(1, 31)]
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        table = app.screen.query_one(RecordTable)
        table.move_cursor(row=19)
        await settle(pilot)
        assert table.current_record.name == "Cliente 020"

        def change() -> None:
            first = catalogs.get_client(clients[0].id)
            catalogs.delete_client(beto, first.id, first.version)
            catalogs.add_client(beto, catalogs.ClientInput(name="Nuevo de Beto"))

        as_another_user(change)
        for _ in range(20):
            await pilot.pause(0.1)
            await settle(pilot)
            if "Nuevo de Beto" in names_in_table(app):
                break
        names = names_in_table(app)
        assert "Nuevo de Beto" in names and "Cliente 001" not in names
        assert table.current_record.name == "Cliente 020"  # its row moved up; the cursor with it
        assert table.cursor_row == 18


async def test_the_periodic_refresh_waits_while_an_editor_is_open(ui_admin, monkeypatch):
    monkeypatch.setattr(CatalogScreen, "CHANGE_CHECK_SECONDS", 0.1)
    monkeypatch.setattr(CatalogScreen, "IDLE_SECONDS", 0.0)
    beto = agent("beto")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        list_screen = app.screen
        await pilot.press("f2")
        await type_text(pilot, "A medias")
        as_another_user(lambda: catalogs.add_client(beto, catalogs.ClientInput(name="Mientras tanto")))
        await pilot.pause(0.4)
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.form.values()["name"] == "A medias"
        assert [r.name for r in list_screen.query_one(RecordTable).records] == []
        await pilot.press("escape")  # asks: discard?
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is list_screen
        assert names_in_table(app) == ["Mientras tanto"]  # read again when back in front


async def test_the_refresh_is_in_the_footer_and_the_help(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        bindings = {key: active.binding for key, active in app.screen.active_bindings.items()}
        assert bindings["f9"].id == "catalog_refresh" and bindings["f9"].show
        await pilot.press("f1")
        await settle(pilot)
        keys = [app.screen.query_one("#keys").get_row_at(i) for i in range(app.screen.query_one("#keys").row_count)]
        assert any(str(key) == "F9" and "Read the list again" in str(what) for key, what in keys)


async def test_a_save_while_another_user_holds_the_database_is_a_message(ui_admin, ui_db, tmp_path):
    app = make_app(ui_admin)
    blocker = sqlite3.connect(str(tmp_path / "ui.db"), timeout=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_item(pilot, "clients")
            await pilot.press("f2")
            await type_text(pilot, "Bloqueado")
            # Every session's wait, instead of 30 s: the save runs in a worker thread, on a
            # connection of its own, opened with the database's pragmas.
            ui_db.pragma("busy_timeout", 200, permanent=True)
            blocker.execute("BEGIN IMMEDIATE")  # another session in the middle of a write
            await pilot.press("f8")
            await settle(pilot)
            blocker.rollback()
            assert isinstance(app.screen, EditScreen)
            assert "busy with another user's change" in str(app.screen.query_one(".form-error").render())
            await pilot.press("f8")  # the other session finished: saving again works
            await settle(pilot)
            assert names_in_table(app) == ["Bloqueado"]
    finally:
        blocker.close()


async def test_the_periodic_refresh_waits_while_the_user_is_moving_in_the_list(ui_admin, monkeypatch):
    monkeypatch.setattr(CatalogScreen, "CHANGE_CHECK_SECONDS", 0.1)
    monkeypatch.setattr(CatalogScreen, "IDLE_SECONDS", 3600.0)
    beto = agent("beto")
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Primero"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("down")
        as_another_user(lambda: catalogs.add_client(beto, catalogs.ClientInput(name="Mientras tanto")))
        await pilot.pause(0.4)
        await settle(pilot)
        assert names_in_table(app) == ["Primero"]
        await pilot.press("f9")  # asking for it is never held back
        await settle(pilot)
        assert names_in_table(app) == ["Primero", "Mientras tanto"]


async def test_at_the_end_of_a_long_list_the_refresh_brings_new_rows_into_view(ui_admin):
    beto = agent("beto")
    for n in range(1, 41):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=f"Cliente {n:03}"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("end")
        await settle(pilot)
        table = app.screen.query_one(RecordTable)
        assert table.current_record.name == "Cliente 040"
        as_another_user(lambda: catalogs.add_client(beto, catalogs.ClientInput(name="Nuevo de Beto")))
        await pilot.press("f9")
        await settle(pilot)
        assert table.current_record.name == "Cliente 040"
        bottom_row = int(table.scroll_y) + table.scrollable_content_region.height - 2  # minus the header
        assert table.records[-1].name == "Nuevo de Beto"
        assert bottom_row >= len(table.records) - 1  # the new last row is on screen


async def test_what_another_connection_adds_or_renames_shows_within_two_seconds_keeping_the_selection(ui_admin):
    beto = agent("beto")
    first = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Cliente A"))
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Cliente B"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("down")
        await settle(pilot)
        table = app.screen.query_one(RecordTable)
        assert table.current_record.name == "Cliente B"

        def change() -> None:
            catalogs.add_client(beto, catalogs.ClientInput(name="Cliente C"))
            renamed = catalogs.get_client(first.id)
            catalogs.modify_client(beto, renamed.id, renamed.version, catalogs.ClientInput(name="Cliente A2"))

        as_another_user(change)
        deadline = time.monotonic() + 2.0
        while names_in_table(app) != ["Cliente A2", "Cliente B", "Cliente C"] and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert names_in_table(app) == ["Cliente A2", "Cliente B", "Cliente C"]
        assert table.current_record.name == "Cliente B"  # the user's selection kept


async def test_a_change_heard_while_a_list_leaves_is_dropped(ui_admin):
    # Seen in CI: the check's answer came while the app was closing, and the list looked
    # for its table that was no longer there (NoMatches from the watch's worker).
    from crm_tui.widgets.record_table import RecordTable

    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await settle(pilot)
        screen = app.screen
        await screen.query_one(RecordTable).remove()  # what closing the app does first
        screen._others_changed, screen._last_input = True, 0.0
        screen._refresh_when_idle()
        assert screen._others_changed  # nothing read, nothing raised


@pytest.mark.parametrize("item", ["query_activity", "query_opportunities", "clients"])
async def test_a_list_sets_itself_up_once(ui_admin, monkeypatch, item):
    # Seen in review: a list whose on_mount called super().on_mount() ran the list's own
    # twice (Textual calls every class's handler itself): two first reads, two change
    # checks asked for.
    from crm_tui.screens.list_screen import ListScreen

    mounted = []
    real_on_mount = ListScreen.on_mount

    def counting_on_mount(self):
        mounted.append(type(self).__name__)
        real_on_mount(self)

    monkeypatch.setattr(ListScreen, "on_mount", counting_on_mount)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, item)
        await settle(pilot)
        assert len(mounted) == 1


@pytest.mark.parametrize("item", ["query_activity", "query_opportunities"])
async def test_a_click_on_sheet_asks_once(ui_admin, item):
    # Seen in review: the screen's button handler called the list's, and Textual called
    # the list's too: one click on [Sheet] asked twice where to write it.
    from crm_tui.widgets.dialogs import AskTextDialog

    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, item)
        await settle(pilot)
        await pilot.click("#sheet")
        await settle(pilot)
        asking = [screen for screen in app.screen_stack if isinstance(screen, AskTextDialog)]
        assert len(asking) == 1
