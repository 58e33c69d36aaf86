"""The forms as a user meets them: how they look in every colour mode, leaving them,
records others changed or deleted meanwhile, saves that wait for the database."""
from __future__ import annotations

import sqlite3

import pytest
from rich.color import ColorSystem
from textual.color import Color
from textual.widgets import Static

from crm_tui.screens.catalog import EditScreen
from crm_tui.services import catalogs, users
from crm_tui.widgets.dialogs import ConfirmDialog, MessageDialog
from crm_tui.widgets.form import Form
from crm_tui.widgets.record_table import RecordTable
from test_app_refresh import as_another_user
from test_app_support import SIZE, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401

COLOUR_MODES = {"truecolor": None, "256 colours": ColorSystem.EIGHT_BIT, "16 colours": ColorSystem.STANDARD}


def as_terminal_shows(color: Color, system: ColorSystem | None) -> Color:
    """The colour a terminal of that colour system shows for `color`."""
    if system is None:
        return color
    return Color(*color.rich_color.downgrade(system).get_truecolor())


def luminance(color: Color) -> float:
    """WCAG relative luminance."""
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b)


def contrast(one: Color, other: Color) -> float:
    """WCAG contrast ratio (1 to 21)."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def shown_colors(widget) -> tuple[Color, Color]:
    """(background, text colour) the widget is drawn with."""
    _base_background, _base_color, background, color = widget.colors
    return background, color


async def open_new_contact_with_errors(pilot) -> EditScreen:
    catalogs.add_client(pilot.app.actor, catalogs.ClientInput(name="Hotel Las Palmas"))
    await open_item(pilot, "contacts")
    await pilot.press("f2")
    await settle(pilot)
    await pilot.press("f8")
    await settle(pilot)
    return pilot.app.screen


@pytest.mark.parametrize("mode", COLOUR_MODES)
async def test_form_errors_and_fields_read_clearly_in_every_colour_mode(ui_admin, mode):
    system = COLOUR_MODES[mode]
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_new_contact_with_errors(pilot)
        form = screen.form
        error_line = form.query_one("#error-name", Static)
        assert str(error_line.render()) == "✗ Name is required."
        background, color = (as_terminal_shows(c, system) for c in shown_colors(error_line))
        assert contrast(color, background) >= 4.5, (mode, color, background)

        form_background = as_terminal_shows(shown_colors(form)[0], system)
        for name in ("name", "job_title", "phone", "mobile", "email"):
            field = form.widget_for(name)
            field_background, text = (as_terminal_shows(c, system) for c in shown_colors(field))
            assert field_background != form_background, (mode, name)
            assert contrast(field_background, form_background) >= 1.5, (mode, name)
            # 16 colours: bright white on bright black, 4:1 with xterm's palette.
            assert contrast(text, field_background) >= (3.5 if mode == "16 colours" else 4.5), (mode, name)
            assert "underline" in str(field.rich_style)  # adjacent fields stay apart


async def test_without_colour_errors_are_reversed_and_the_field_typed_in_is_marked(ui_admin, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_new_contact_with_errors(pilot)
        form = screen.form
        for error_line in (form.query_one("#error-name", Static), form.query_one("#form-error", Static)):
            assert str(error_line.render()).startswith("✗ ")
            assert error_line.rich_style.reverse and error_line.rich_style.bold
        await pilot.press("tab")  # from the client (the first field in error) to the name
        await settle(pilot)
        labels = {label.id: bool(label.rich_style.reverse) for label in form.query(".field-label")}
        assert labels["label-name"] and not labels["label-client_id"] and not labels["label-phone"]


# --- leaving a form with unsaved changes ------------------------------------------------


async def start_a_new_client(pilot, name: str = "Ferretería a medias") -> EditScreen:
    await open_item(pilot, "clients")
    await pilot.press("f2")
    await settle(pilot)
    await type_text(pilot, name)
    return pilot.app.screen


async def test_ctrl_q_on_a_changed_form_asks_before_leaving_the_crm(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        form_screen = await start_a_new_client(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == ("«New client» has changes that are not saved. "
                                       "Discard them and leave the CRM?")
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and app.screen is form_screen
        assert form_screen.form.values()["name"] == "Ferretería a medias"
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not app.is_running
    assert catalogs.list_clients().rows == []


async def test_ctrl_q_on_an_unchanged_form_leaves_at_once(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running


async def test_quit_from_the_command_palette_asks_too(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await start_a_new_client(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Quit")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.is_running


@pytest.mark.parametrize("key, item_id", [("ctrl+d", "add_activity"), ("ctrl+s", "add_order"),
                                          ("ctrl+r", "add_service")])
async def test_a_crm_key_on_a_changed_form_asks_and_the_form_waits_underneath(ui_admin, key, item_id):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        form_screen = await start_a_new_client(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "«New client» has changes that are not saved" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form_screen
        await pilot.press(key)
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.menu_item_id == item_id
        await pilot.press("ctrl+q")  # the form below still has its changes
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n", "escape")
        await settle(pilot)
        assert app.screen is form_screen
        assert form_screen.form.values()["name"] == "Ferretería a medias"


async def test_opening_a_menu_item_by_name_from_a_changed_form_asks(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        form_screen = await start_a_new_client(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Contact catalog")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form_screen


# --- records another user changed or deleted meanwhile ------------------------------------


def contact_whose_id_is_not_its_key(actor):
    """Contact 3 stored with id 2, as SQLite gives out the id of a deleted last row again."""
    client = catalogs.add_client(actor, catalogs.ClientInput(name="Hotel Las Palmas"))
    catalogs.add_contact(actor, catalogs.ContactInput(client_id=client.id, name="Primera"))
    second = catalogs.add_contact(actor, catalogs.ContactInput(client_id=client.id, name="Segunda"))
    catalogs.delete_contact(actor, second.id, second.version)
    third = catalogs.add_contact(actor, catalogs.ContactInput(client_id=client.id, name="Rosa Díaz"))
    assert (third.key, third.id) == (3, 2)
    return third


async def open_record(pilot, item_id: str, row: int) -> EditScreen:
    await open_item(pilot, item_id)
    pilot.app.screen.query_one(RecordTable).move_cursor(row=row)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen


async def test_saving_a_contact_another_user_deleted_names_it_by_its_key(ui_admin):
    contact = contact_whose_id_is_not_its_key(ui_admin)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        form_screen = await open_record(pilot, "contacts", row=1)
        assert form_screen.record.key == 3
        await pilot.press("tab", "end")  # from the client to the name
        await type_text(pilot, " López")
        as_another_user(lambda: catalogs.delete_contact(ui_admin, contact.id, contact.version))
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is form_screen
        message = str(form_screen.query_one("#form-error", Static).render())
        assert message == ("✗ Contact 3 «Rosa Díaz» no longer exists: another user deleted it "
                           "while you were editing. Nothing was saved.")
        notified = [notification.message for notification in app._notifications]
        assert not any("2" in text for text in notified)


async def test_deleting_a_contact_another_user_deleted_names_it_by_its_key(ui_admin):
    contact = contact_whose_id_is_not_its_key(ui_admin)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        app.screen.query_one(RecordTable).move_cursor(row=1)
        as_another_user(lambda: catalogs.delete_contact(ui_admin, contact.id, contact.version))
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert app.screen.message == "Contact 3 «Rosa Díaz» no longer exists: another user deleted it."


async def test_a_conflict_offers_to_reload_and_keeps_what_was_typed_in_view(ui_admin):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Taller Ruiz", phone="55 1111 1111"))
    beto = users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        form_screen = await open_record(pilot, "clients", row=0)
        await pilot.press("end")
        await type_text(pilot, " e Hijos")
        as_another_user(lambda: catalogs.modify_client(users.identify("beto"), client.id, client.version,
                                                       catalogs.ClientInput(name="Taller Ruiz SA",
                                                                            phone="55 2222 2222")))
        await pilot.press("f8")
        await settle(pilot)
        from crm_tui.widgets.conflict_dialog import ConflictDialog

        assert isinstance(app.screen, ConflictDialog) and "beto" in app.screen.stored_by
        assert {conflict.name for conflict in app.screen.conflicts} == {"name", "phone"}
        await pilot.press("escape")  # cancel: nothing saved, what was typed stays
        await settle(pilot)
        assert app.screen is form_screen
        message = str(form_screen.query_one("#form-error", Static).render())
        assert "Nothing was saved" in message and "F9" in message
        assert form_screen.form.values()["name"] == "Taller Ruiz e Hijos"

        await pilot.press("f9")
        await settle(pilot)
        values = form_screen.form.values()
        assert (values["name"], values["phone"]) == ("Taller Ruiz SA", "55 2222 2222")
        typed = form_screen.query_one("#typed-name", Static)
        assert typed.display and str(typed.render()) == "You typed: Taller Ruiz e Hijos"
        assert not form_screen.query_one("#typed-phone", Static).display  # phone was not changed here

        await pilot.press("end")
        await type_text(pilot, " e Hijos")
        await pilot.press("f8")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
    stored = catalogs.get_client(client.id)
    assert (stored.name, stored.phone) == ("Taller Ruiz SA e Hijos", "55 2222 2222")
    del beto


# Each catalog: (menu item, add a record, change it as another user would, read it back)
CATALOGS = {
    "categories": (lambda a: catalogs.add_category(a, catalogs.CategoryInput(name="Antenas")),
                   lambda a, r: catalogs.modify_category(a, r.id, r.version, catalogs.CategoryInput(name="Antenas 5G")),
                   catalogs.get_category),
    "opportunity_types": (lambda a: catalogs.add_opportunity_type(a, catalogs.OpportunityTypeInput(name="Referido")),
                          lambda a, r: catalogs.modify_opportunity_type(
                              a, r.id, r.version, catalogs.OpportunityTypeInput(name="Referido web")),
                          catalogs.get_opportunity_type),
    "clients": (lambda a: catalogs.add_client(a, catalogs.ClientInput(name="Taller Ruiz")),
                lambda a, r: catalogs.modify_client(a, r.id, r.version, catalogs.ClientInput(phone="55 2222 2222")),
                catalogs.get_client),
    "contacts": (lambda a: catalogs.add_contact(a, catalogs.ContactInput(
        client_id=catalogs.add_client(a, catalogs.ClientInput(name="Hotel")).id, name="Rosa Díaz")),
                 lambda a, r: catalogs.modify_contact(a, r.id, r.version, catalogs.ContactInput(phone="55 2222 2222")),
                 catalogs.get_contact),
    "projects": (lambda a: catalogs.add_project(a, catalogs.ProjectInput(
        client_id=catalogs.add_client(a, catalogs.ClientInput(name="Hotel")).id, name="Cableado")),
                 lambda a, r: catalogs.modify_project(a, r.id, r.version, catalogs.ProjectInput(
                     description="Dos pisos")),
                 catalogs.get_project),
}


@pytest.mark.parametrize("item_id", CATALOGS)
async def test_delete_carries_the_version_the_user_saw_in_every_catalog(ui_admin, item_id):
    add, change, read = CATALOGS[item_id]
    record = add(ui_admin)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, item_id)
        as_another_user(lambda: change(ui_admin, record))
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        from crm_tui.widgets.dialogs import ConfirmDialog

        assert isinstance(app.screen, ConfirmDialog)  # asked again, showing what moved
        assert "since you read it" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
    assert read(record.id).version == record.version + 1  # still there, with the other user's change


@pytest.mark.parametrize("item_id", [item for item in CATALOGS if item != "projects"] + ["users"])
async def test_deactivate_carries_the_version_the_user_saw_in_every_catalog(ui_admin, item_id):
    if item_id == "users":
        record = users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto"))
        change = lambda a, r: users.modify_user(a, r.id, r.version, users.UserInput(
            full_name="Beto Gómez"))  # noqa: E731
        read = users.get_user
    else:
        add, change, read = CATALOGS[item_id]
        record = add(ui_admin)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, item_id)
        table = app.screen.query_one(RecordTable)
        table.move_cursor(row=next(i for i, r in enumerate(table.records) if r.id == record.id))
        as_another_user(lambda: change(ui_admin, record))
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "was changed by another user since the list showed it; nothing was done" in app.screen.message
    assert read(record.id).active is True


# --- a save that waits for another user's write ------------------------------------------


async def test_a_save_waiting_for_a_locked_database_says_so_on_screen_while_it_waits(ui_admin, ui_db, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setattr(Form, "SLOW_SAVE_SECONDS", 0.01)
    app = make_app(ui_admin)
    blocker = sqlite3.connect(str(tmp_path / "ui.db"), timeout=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            form_screen = await start_a_new_client(pilot, "Bloqueo SA")
            ui_db.execute_sql("PRAGMA busy_timeout = 20000")
            blocker.execute("BEGIN IMMEDIATE")  # another session in the middle of a long write
            await pilot.press("f8")
            status = form_screen.query_one("#form-status", Static)
            for _ in range(100):
                await pilot.pause(0.05)
                if status.display and "-shown" in status.classes:
                    break
            assert form_screen.form.saving
            assert str(status.render()) == "Saving… waiting for another user's change to finish."
            assert status.region.height >= 1 and app.screen.region.contains_region(status.region)
            blocker.rollback()  # the other user's write ends: the save goes through
            await settle(pilot)
            assert not isinstance(app.screen, EditScreen)
            assert "-shown" not in status.classes
    finally:
        blocker.close()
    assert [client.name for client in catalogs.list_clients().rows] == ["Bloqueo SA"]


async def test_text_typed_while_a_save_waits_stays_in_the_form_and_f8_saves_it_too(ui_admin, ui_db, tmp_path):
    app = make_app(ui_admin)
    blocker = sqlite3.connect(str(tmp_path / "ui.db"), timeout=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            form_screen = await start_a_new_client(pilot, "Bloqueo SA")
            ui_db.execute_sql("PRAGMA busy_timeout = 20000")
            blocker.execute("BEGIN IMMEDIATE")  # another session in the middle of a long write
            await pilot.press("f8")
            await pilot.pause(0.05)
            assert form_screen.form.saving
            await type_text(pilot, " y Cía")
            blocker.rollback()
            await settle(pilot)
            assert app.screen is form_screen  # not closed under the user's fingers
            assert form_screen.form.values()["name"] == "Bloqueo SA y Cía"
            assert [client.name for client in catalogs.list_clients().rows] == ["Bloqueo SA"]
            await pilot.press("f8")
            await settle(pilot)
            assert not isinstance(app.screen, EditScreen)
    finally:
        blocker.close()
    assert [client.name for client in catalogs.list_clients().rows] == ["Bloqueo SA y Cía"]


# --- what fits at 80x24 ----------------------------------------------------------------------


async def test_at_80x24_a_toast_leaves_the_footer_and_the_keys_above_it_in_view(ui_admin):
    from crm_tui.widgets.chrome import CrmFooter

    catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Antenas"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_item(pilot, "categories")
        await pilot.press("f6")  # "«Antenas» was deactivated."
        await settle(pilot)
        toast = app.screen.query_one("Toast")
        footer = app.screen.query_one(CrmFooter)
        buttons = app.screen.query_one(".buttons")
        assert not toast.region.overlaps(footer.region)
        assert not toast.region.overlaps(buttons.region)


async def test_at_80x24_the_help_shows_every_key_of_a_list(ui_admin):
    from textual.widgets import DataTable

    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f1")
        await settle(pilot)
        table = app.screen.query_one("#keys", DataTable)
        assert table.row_count >= 15
        assert table.max_scroll_y == 0  # nothing to scroll to: every row is on screen
        assert app.screen.region.contains_region(table.region)


async def test_without_colour_warnings_and_errors_in_toasts_stand_out(ui_admin, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify("plain", markup=False)
        app.notify("careful", severity="warning", markup=False)
        app.notify("wrong", severity="error", markup=False)
        await settle(pilot)
        styles = {str(toast.render()): toast.rich_style for toast in app.screen.query("Toast")}
        assert not styles["plain"].bold
        assert styles["careful"].bold
        assert styles["wrong"].bold and styles["wrong"].reverse
