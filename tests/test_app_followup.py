"""The home screen (Seguimiento de Actividades), step by step as the manual tells it."""
from __future__ import annotations

import base64
import datetime as dt
import subprocess
import sys
import time

import pytest
from textual.widgets import OptionList, Select, Static

from crm_tui import i18n
from crm_tui.screens.activity_followup import FollowupScreen
from crm_tui.screens.followup_dialogs import LoadActivitiesDialog, NoteDialog
from crm_tui.services import clock, followup, users
from crm_tui.services.activities import ActivityInput, add_activity, get_activity, modify_activity
from crm_tui.services.catalogs import CategoryInput, ClientInput, ContactInput, add_category, add_client, add_contact
from crm_tui.services.orders import OrderInput, add_order
from crm_tui.widgets.button_bar import ButtonBar
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import SafeTextArea
from test_app_support import HOSTILE, SIZE, TODAY, burst, make_app, settle, type_text, ui_admin, ui_db  # noqa: F401

MORNING = dt.datetime.combine(TODAY, dt.time(8, 0))


@pytest.fixture(autouse=True)
def frozen_day():
    with clock.frozen(MORNING):
        yield


@pytest.fixture
def day(ui_admin):
    """Ana's day: two pending activities (one with hostile text), one done, Beto's one."""
    admin = ui_admin
    beto = users.add_user(admin, users.UserInput(username="beto", full_name="Beto Paz"))
    # Another administrator: an agent may not change Ana's activities (services/permissions.py).
    users.add_user(admin, users.UserInput(username="carla", full_name="Carla Ríos", role="admin"))
    client = add_client(admin, ClientInput(name="Ferretería Centro"))
    hostile_client = add_client(admin, ClientInput(name=HOSTILE))
    ana = add_contact(admin, ContactInput(
        client_id=client.id, name="Ana Ruiz", phone="55 1234 5678", mobile="55 8765 4321", email="ana@ferreteria.mx"))
    rosa = add_contact(admin, ContactInput(client_id=hostile_client.id, name="Rosa [b]Díaz", phone="55 1111 2222"))
    category = add_category(admin, CategoryInput(name="Llamada"))

    def log(when, contact, detail, actor=admin, **extra):
        return add_activity(actor, ActivityInput(
            when=when, contact_id=contact.id, category_id=category.id, detail=detail, **extra))

    older = log("2026-11-26 16:00", ana, "Llamó porque la impresora no toma papel")
    hostile = log("2026-11-27 09:30", rosa, HOSTILE + "\nsegunda línea")
    done = log("2026-11-25 10:00", ana, "Cotización enviada")
    done = followup.mark_done_with_notes(admin, done.id, done.version, "Aceptada")
    log("2026-11-27 10:00", ana, "De Beto", actor=users.identify("beto"))
    order = add_order(admin, OrderInput(contact_id=ana.id, category_id=category.id, detail="Revisar impresora",
                                        assigned_user_id=admin.id, appointment_at="2026-11-27 11:00"))
    return {"admin": admin, "beto": beto, "ana": ana, "rosa": rosa, "client": client, "category": category,
            "older": older, "hostile": hostile, "done": done, "order": order}


def screen_text(app) -> str:
    """The texts of the screen, and the list's title (what it holds)."""
    texts = [str(widget.render()) for widget in app.screen.query(Static)]
    return "\n".join([app.screen.list_title, *texts])


async def click_button(pilot, name: str) -> None:
    """A click on one button of the row over the list."""
    bar = pilot.app.screen.query_one("#followup-bar", ButtonBar)
    await pilot.click("#followup-bar", offset=(bar.column_of(name), 0))


def listed(app) -> list[str]:
    return [record.detail for record in app.screen.table.records]


async def test_it_opens_on_the_users_pending_activities_with_the_selected_ones_contact(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
        assert listed(app) == [HOSTILE + "\nsegunda línea", "Llamó porque la impresora no toma papel"]
        text = screen_text(app)
        # The hostile text is shown as it is, and did nothing (the app is still running).
        assert "Rosa [b]Díaz · 55 1111 2222" in text and HOSTILE in text
        assert "Pending of Ana Admin" in text
        await pilot.press("down")
        await settle(pilot)
        text = screen_text(app)
        assert "Ana Ruiz · 55 1234 5678 · 55 8765 4321 · ana@ferreteria.mx" in text
        assert "Llamó porque la impresora no toma papel" in text and "Follow-up: …" in text
        appointments = app.screen.query_one("#appointments", OptionList)
        assert str(appointments.get_option_at_index(0).prompt) == (
            f"today 11:00 #{day['order'].number} Ferretería Centro")


async def test_ok_marks_it_done_with_the_follow_up_note(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "o")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        await type_text(pilot, "Se envió [bold]la foto[/]")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
        stored = get_activity(day["older"].id)
        assert (stored.status, stored.followup_notes) == ("done", "Se envió [bold]la foto[/]")
        assert listed(app) == [HOSTILE + "\nsegunda línea"]


async def test_ok_on_a_copy_another_user_changed_meanwhile_is_refused(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "o")
        await settle(pilot)
        older = day["older"]
        modify_activity(users.identify("carla"), older.id, older.version, ActivityInput(detail="Cambió Carla"))
        await type_text(pilot, "Listo")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)  # still open, the note still typed
        assert "was changed by carla" in str(app.screen.query_one("#note-error", Static).render())
        assert app.screen.query_one(SafeTextArea).text == "Listo"
        assert get_activity(older.id).status == "pending"
        await pilot.press("escape")
        await settle(pilot)
        assert "Cambió Carla" in listed(app)  # the list shows what is stored now


async def test_load_done_ones_and_pend_puts_one_back_to_pending(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await click_button(pilot, "load")
        await settle(pilot)
        assert isinstance(app.screen, LoadActivitiesDialog)
        app.screen.query_one("#load-status", Select).value = "done"
        await pilot.press("f8")
        await settle(pilot)
        assert listed(app) == ["Cotización enviada"]
        assert "Done of Ana Admin" in screen_text(app)
        await pilot.press("p")
        await settle(pilot)
        note = app.screen.query_one(SafeTextArea)
        assert note.text == "Aceptada"  # the notes so far, to change
        note.text = "El cliente pidió otra cotización"
        await pilot.press("f8")
        await settle(pilot)
        stored = get_activity(day["done"].id)
        assert (stored.status, stored.followup_notes) == ("pending", "El cliente pidió otra cotización")
        assert listed(app) == []


async def test_a_task_says_when_it_is_due_and_who_has_it(day):
    add_activity(day["admin"], ActivityInput(
        when="2026-11-27 12:00", contact_id=day["ana"].id, category_id=day["category"].id, detail="Llevar la refacción",
        kind="task", due_date="2026-11-30", assignee_id=day["beto"].id))
    app = make_app(users.identify("beto"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert listed(app)[0] == "Llevar la refacción"
        assert "Task due 2026-11-30 for Beto Paz · Follow-up: …" in screen_text(app)


async def test_load_another_users_activities(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        person = app.screen.query_one("#load-person", LookupField)
        assert person.text == "Ana Admin"  # the list's user, to change
        person.input.value = ""
        await type_text(pilot, "beto")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert person.value == day["beto"].id
        await pilot.press("f8")
        await settle(pilot)
        assert listed(app) == ["De Beto"]
        assert "Pending of Beto Paz" in screen_text(app)


async def test_load_goes_on_past_a_person_with_several_matches_and_asks_to_choose_one(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        person = dialog.query_one("#load-person", LookupField)
        person.input.value = ""
        await burst(pilot, "a", "<tab>", "ferre", "<f8>")
        assert isinstance(app.screen, LoadActivitiesDialog)
        client = dialog.query_one("#load-client", LookupField)
        assert client.text == "ferre"  # typed behind the Tab, where it was meant
        assert person.value is None and person.text == "a"
        assert str(dialog.query_one("#load-error", Static).render()) == "✗ 3 matches: choose one with ↓"
        assert app.focused is person.input


async def test_a_wrong_date_in_load_is_told_at_the_dialog(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        app.screen.query_one("#load-from").value = "31/02/2026"
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, LoadActivitiesDialog)
        assert "not a valid date" in str(app.screen.query_one("#load-error", Static).render())


async def test_c_copies_the_activity_to_the_terminals_clipboard(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        written: list[str] = []
        real_write = app._driver.write
        app._driver.write = lambda data: (written.append(data), real_write(data))
        await pilot.press("down")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        expected = followup.clipboard_text(get_activity(day["older"].id), followup.contact_card(day["ana"].id))
        assert app.clipboard == expected
        sequence = next(data for data in written if data.startswith("\x1b]52;c;"))
        assert base64.b64decode(sequence[len("\x1b]52;c;"):-1]).decode() == expected
        assert sequence.endswith("\a")


async def test_enter_on_an_appointment_opens_the_order(day, monkeypatch):
    opened = []
    app = make_app(day["admin"])
    monkeypatch.setattr(app, "open_order", opened.append)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#appointments", OptionList).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert opened == [day["order"].number]


async def test_enter_opens_the_activity_and_new_activity_opens_the_form(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        from crm_tui.screens.activity_followup import FollowupScreen
        from crm_tui.screens.query_activity import ChangeActivityScreen
        assert isinstance(app.screen, ChangeActivityScreen)  # the activity's own form
        for _ in range(3):  # back to the home screen, through the query it opened on
            if isinstance(app.screen, FollowupScreen):
                break
            await pilot.press("escape")
            await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
        await click_button(pilot, "new")
        await settle(pilot)
        assert app.screen.menu_item_id == "add_activity"
        await pilot.press("escape", "ctrl+d")
        await settle(pilot)
        assert app.screen.menu_item_id == "add_activity"


ANOTHER_PROCESS = """
import sys
from crm_tui.db import open_database
from crm_tui.services import users
from crm_tui.services.activities import ActivityInput, add_activity
open_database(sys.argv[1])
add_activity(users.identify("carla"), ActivityInput(when="2026-11-27 12:00", contact_id=int(sys.argv[2]),
             category_id=int(sys.argv[3]), detail="Nueva desde otra terminal", user_id=int(sys.argv[4])))
"""


async def test_an_activity_another_process_adds_shows_within_two_seconds_keeping_the_place(day, ui_db):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert app.screen.table.current_record.id == day["older"].id
        subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, ui_db.database, str(day["ana"].id),
                        str(day["category"].id), str(day["admin"].id)], check=True, timeout=60)
        deadline = time.monotonic() + 2.0
        while "Nueva desde otra terminal" not in listed(app) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert listed(app)[0] == "Nueva desde otra terminal"
        assert app.screen.table.current_record.id == day["older"].id  # the user's place kept


def another_process_logs_an_activity(db_url: str, actor_login: str, contact_id: int, category_id: int,
                                     user_id: int) -> None:
    subprocess.run([sys.executable, "-c", ANOTHER_PROCESS.replace('"carla"', repr(actor_login)), db_url,
                    str(contact_id), str(category_id), str(user_id)], check=True, timeout=60)


async def wait_until_listed(pilot, detail: str, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while detail not in listed(pilot.app) and time.monotonic() < deadline:
        await pilot.pause(0.1)


async def test_on_either_database_another_process_s_activity_shows_within_two_seconds(db_url, db, admin):
    client = add_client(admin, ClientInput(name="Ferretería Centro"))
    contact = add_contact(admin, ContactInput(client_id=client.id, name="Ana Ruiz"))
    category = add_category(admin, CategoryInput(name="Llamada"))
    app = make_app(admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert listed(app) == []
        another_process_logs_an_activity(db_url, "admin", contact.id, category.id, admin.id)
        await wait_until_listed(pilot, "Nueva desde otra terminal")
        assert listed(app) == ["Nueva desde otra terminal"]


async def test_a_change_made_while_the_menu_is_open_shows_when_the_user_comes_back(day, ui_db):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        another_process_logs_an_activity(ui_db.database, "carla", day["ana"].id, day["category"].id,
                                         day["admin"].id)
        await pilot.pause(1.5)  # the check notices it meanwhile, under the menu
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
        await wait_until_listed(pilot, "Nueva desde otra terminal")
        assert listed(app)[0] == "Nueva desde otra terminal"


async def test_esc_asks_before_leaving_the_crm(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)


async def test_the_home_screen_in_spanish(day):
    i18n.set_language("es")
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Pendientes de Ana Admin" in text
        appointments = app.screen.query_one("#appointments", OptionList)
        assert str(appointments.get_option_at_index(0).prompt).startswith("hoy 11:00")


async def test_every_button_of_the_row_shows_its_key_and_answers_a_click(day):
    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = str(app.screen.query_one("#followup-bar", ButtonBar).render())
        for label, key in (("Load activities", "l"), ("New activity", "^d"), ("Ok", "o"), ("Pend", "p"),
                           ("Menu", "f2")):
            assert f" {label}  {key}" in row, row
        await click_button(pilot, "ok")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        await pilot.press("escape")
        await settle(pilot)
        await click_button(pilot, "pend")  # the selected one is pending: it says so, nothing opens
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
        await click_button(pilot, "menu")
        await settle(pilot)
        assert not isinstance(app.screen, FollowupScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#followup-bar", offset=(79, 0))  # beyond the last button: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)


async def test_a_click_on_a_key_of_the_footer_presses_it(day):
    from crm_tui.widgets.chrome import CrmFooter

    app = make_app(day["admin"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(CrmFooter)
        line = str(footer.render())
        assert "o Ok" in line and "p Pend" in line and "f1 Help" in line
        row, column = next((row, start) for row, start, _end, key in footer.spans if key.key == "f1")
        await pilot.click(CrmFooter, offset=(column, row))
        await settle(pilot)
        assert not isinstance(app.screen, FollowupScreen)  # the help of the home screen's keys


def test_appointments_arriving_after_the_screen_left_are_dropped():
    # Seen under load: the app closed while the appointments were being read, and the
    # answer crashed the app looking for a list that was no longer there.
    screen = FollowupScreen()
    screen._show_appointments([])
    assert screen.appointment_orders == []


def test_a_task_without_an_assignee_says_so_instead_of_an_empty_name():
    # Seen on the home screen: "Tarea para el 11/12/2026, de  · Seguimiento: …".
    import types

    from crm_tui.screens.activity_followup import followup_line

    task = types.SimpleNamespace(is_task=True, due_date=dt.date(2026, 12, 11), assignee_name="",
                                 followup_notes="Se agendó visita")
    i18n.set_language("es")
    assert followup_line(task) == "Tarea para el 11/12/2026, sin asignar · Seguimiento: Se agendó visita"
    assigned = types.SimpleNamespace(**{**vars(task), "assignee_name": "Ana Ruiz"})
    assert followup_line(assigned).startswith("Tarea para el 11/12/2026, de Ana Ruiz · ")
