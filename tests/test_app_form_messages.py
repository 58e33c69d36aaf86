"""What a form says at its top and at its fields after F8: the summary goes with the last
field error, and a lookup saved with a text that names several records says so."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Static

from crm_tui.db.models import Activity
from crm_tui.screens.add_activity import AddActivityScreen
from crm_tui.screens.catalog import EditScreen
from crm_tui.services import catalogs
from crm_tui.services.clock import frozen
from test_app_support import SIZE, burst, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401

NOW = dt.datetime(2026, 11, 27, 10, 30)
SUMMARY = "✗ Some fields need attention (see below)."


def form_message(form) -> str:
    return str(form.query_one("#form-error", Static).render())


@pytest.fixture
def office(ui_admin):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Hotel Las Palmas"))
    category = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Llamada"))
    for name in ("Marta Ruiz", "Mario Ruiz"):
        catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name=name))
    return {"actor": ui_admin, "client": client, "category": category}


async def test_the_summary_at_the_top_goes_once_the_last_field_in_error_is_put_right(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditScreen)
        form = screen.form
        assert set(form.errors()) == {"client_id", "name"}
        assert form_message(form) == SUMMARY

        form.widget_for("name").focus()
        await type_text(pilot, "Rosa Ruiz")
        await settle(pilot)
        assert set(form.errors()) == {"client_id"}
        assert form_message(form) == SUMMARY  # the client still needs attention

        form.widget_for("client_id").focus()
        await type_text(pilot, "Hotel")
        await pilot.press("tab")
        await settle(pilot)
        assert form.errors() == {}
        assert form_message(form) == ""
        assert not form.query_one("#form-error", Static).has_class("-shown")


async def test_a_refusal_of_the_save_that_is_no_fields_stays_at_the_top(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f2")
        await settle(pilot)
        form = app.screen.form
        form.show_form_error("Stored by another user while you were editing: nothing was saved yet.")
        await type_text(pilot, "Ferretería")
        await settle(pilot)
        assert form.errors() == {}
        assert form_message(form) == "✗ Stored by another user while you were editing: nothing was saved yet."


async def test_f8_right_behind_a_text_that_names_several_contacts_says_how_many_at_the_field(office):
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "<tab>", "llam", "<tab>", "<tab>", "Cambio de disco")
            screen = app.screen
            assert isinstance(screen, AddActivityScreen)
            form = screen.form
            lookup = form.widget_for("contact_id")
            lookup.focus()
            await burst(pilot, "Mar", "<f8>")  # no Tab: the look-up of "Mar" was not back yet
            assert app.screen is screen
            assert form.errors()["contact_id"] == "Contact: 2 matches: choose one with ↓"
            assert str(form.query_one("#error-contact_id", Static).render()) == \
                "✗ Contact: 2 matches: choose one with ↓"
            assert lookup.options.option_count == 2 and lookup.options.display
            assert app.focused is lookup.input
            assert form.shown_text("contact_id") == "Mar"
            assert form.raw_value("category_id") == office["category"].id
            assert form.raw_value("detail") == "Cambio de disco"
            assert Activity.select().count() == 0

            await burst(pilot, "<down>", "<down>", "<enter>")
            assert "contact_id" not in form.errors()
            assert form_message(form) == ""
