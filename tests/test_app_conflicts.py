"""Two writers on one record, through the screens: a save that meets the other's newer
version asks, field by field; nothing is overwritten silently and nothing typed is lost."""
from __future__ import annotations

import pytest
from textual.widgets import Checkbox

from crm_tui.screens.catalog import EditScreen
from crm_tui.services import NotFound, catalogs, users
from crm_tui.widgets.conflict_dialog import ConflictDialog
from test_app_support import SIZE, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401


async def test_two_writers_on_one_client_choose_field_by_field(ui_admin):
    beto = users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto Paz"))
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro", phone="55 1234",
                                                                 email="ventas@centro.mx"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("enter")
        await settle(pilot)
        form_screen = app.screen
        assert isinstance(form_screen, EditScreen)
        # Beto stores his change while the form is open here.
        catalogs.modify_client(users.identify("beto"), client.id, client.version,
                               catalogs.ClientInput(phone="55 9999", email="compras@centro.mx"))
        form_screen.form.widget_for("phone").value = "55 0000"
        await pilot.press("f8")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConflictDialog)
        assert "Beto" in dialog.stored_by or "beto" in dialog.stored_by
        listed = {conflict.name: (conflict.yours, conflict.stored) for conflict in dialog.conflicts}
        assert listed == {"phone": ("55 0000", "55 9999"), "email": ("ventas@centro.mx", "compras@centro.mx")}
        assert dialog.choices() == {"phone": True, "email": False}  # mine where I typed, his elsewhere

        await pilot.press("escape")  # cancel: nothing saved, nothing typed lost
        await settle(pilot)
        assert app.screen is form_screen
        assert form_screen.form.widget_for("phone").value == "55 0000"
        assert catalogs.get_client(client.id).phone == "55 9999"

        await pilot.press("f8")  # asks again
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("f8")  # apply: keep my phone, take his email
        await settle(pilot)
        stored = catalogs.get_client(client.id)
        assert (stored.phone, stored.email) == ("55 0000", "compras@centro.mx")
        assert stored.updated_by == ui_admin.username
        assert app.screen is not form_screen  # saved: the catalog's form went back to the list

        # Now the other way: take everything stored, nothing of mine is saved.
        await pilot.press("enter")
        await settle(pilot)
        form_screen = app.screen
        catalogs.modify_client(users.identify("beto"), client.id, stored.version,
                               catalogs.ClientInput(notes="Cliente desde 2019"))
        form_screen.form.widget_for("phone").value = "55 7777"
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        app.screen.query_one("#keep-phone", Checkbox).value = True
        await pilot.press("f3")  # all stored
        await settle(pilot)
        assert app.screen is form_screen
        assert form_screen.form.widget_for("phone").value == "55 0000"
        assert form_screen.form.widget_for("notes").text == "Cliente desde 2019"
        assert catalogs.get_client(client.id).phone == "55 0000"
    assert beto.username == "beto"


async def test_deleting_a_client_changed_since_it_was_listed_asks_again_showing_the_change(ui_admin):
    from crm_tui.widgets.dialogs import ConfirmDialog

    users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto Paz"))
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro", phone="55 1234"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        catalogs.modify_client(users.identify("beto"), client.id, client.version,
                               catalogs.ClientInput(phone="55 9999"))
        await pilot.press("f4", "y")  # delete, as listed
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "beto" in dialog.question and "55 1234 → 55 9999" in dialog.question
        assert catalogs.get_client(client.id).phone == "55 9999"  # nothing deleted yet
        await pilot.press("y")
        await settle(pilot)
    with pytest.raises(NotFound):
        catalogs.get_client(client.id)


async def test_ok_on_an_activity_changed_meanwhile_says_who_and_applies_only_when_asked_again(ui_admin):
    import datetime as dt

    from crm_tui.screens.followup_dialogs import NoteDialog
    from crm_tui.services import activities, clock
    from crm_tui.widgets.safe import SafeTextArea
    from test_app_support import TODAY

    # Another administrator: an agent may not change the admin's activity.
    users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto Paz", role="admin"))
    with clock.frozen(dt.datetime.combine(TODAY, dt.time(8, 0))):
        client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro"))
        contact = catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
        category = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Llamada"))
        activity = activities.add_activity(ui_admin, activities.ActivityInput(
            when="2026-11-27 07:00", contact_id=contact.id, category_id=category.id, detail="Llamar"))
        app = make_app(ui_admin)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("o")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, NoteDialog)
            activities.modify_activity(users.identify("beto"), activity.id, activity.version,
                                       activities.ActivityInput(detail="Llamar antes de las 10"))
            dialog.query_one("#note", SafeTextArea).load_text("Resuelto por teléfono")
            await pilot.press("f8")
            await settle(pilot)
            assert app.screen is dialog  # not applied: the dialog says who changed it
            said = str(dialog.query_one("#note-error").render())
            assert "beto" in said and "pending" in said
            assert activities.get_activity(activity.id).status == activities.PENDING
            assert dialog.query_one("#note", SafeTextArea).text == "Resuelto por teléfono"
            await pilot.press("f8")  # asked again, knowingly: over the version stored now
            await settle(pilot)
            assert not isinstance(app.screen, NoteDialog)
    stored = activities.get_activity(activity.id)
    assert (stored.status, stored.detail, stored.followup_notes) == (
        activities.DONE, "Llamar antes de las 10", "Resuelto por teléfono")
