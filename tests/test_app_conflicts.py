"""Two writers on one record, through the screens: a save that meets the other's newer
version asks, field by field; nothing is overwritten silently and nothing typed is lost."""
from __future__ import annotations

from textual.widgets import Checkbox

from crm_tui.screens.catalog import EditScreen
from crm_tui.services import catalogs, users
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
