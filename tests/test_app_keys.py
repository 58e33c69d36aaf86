"""Keys typed in a burst (laggy SSH, a paste, a password manager) land where they belong:
each key goes to the widget focused when the key is handled, not when it arrived."""
from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

from crm_tui.screens.catalog import CatalogScreen, EditScreen
from crm_tui.services import catalogs
from crm_tui.widgets.key_order import KeysInOrder
from test_app_support import SIZE, burst, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401


class ThreeInputs(KeysInOrder, App):
    def compose(self) -> ComposeResult:
        yield Input(id="one")
        yield Input(id="two")
        yield Input(id="three")


async def test_a_burst_fills_three_inputs_of_any_app_with_the_mixin():
    app = ThreeInputs()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#one").focus()
        await settle(pilot)
        await burst(pilot, "Rapido SA", "<tab>", "RAP010101AB1", "<tab>", "55 1234 5678")
        assert [field.value for field in app.query(Input)] == ["Rapido SA", "RAP010101AB1", "55 1234 5678"]


async def test_a_burst_fills_every_field_of_the_client_form(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await burst(pilot, "<f2>", "Rapido SA", "<tab>", "RAP010101AB1", "<tab>", "55 1234 5678", "<tab>",
                    "rapido@x.mx", "<tab>", "Av. Uno 1", "<tab>", "Paga a 30 días")
        assert isinstance(app.screen, EditScreen)
        values = app.screen.form.values()
        assert {name: values[name] for name in ("name", "tax_id", "phone", "email", "address", "notes")} == {
            "name": "Rapido SA", "tax_id": "RAP010101AB1", "phone": "55 1234 5678", "email": "rapido@x.mx",
            "address": "Av. Uno 1", "notes": "Paga a 30 días"}
        await burst(pilot, "<f8>")
        assert isinstance(app.screen, CatalogScreen)
    client = catalogs.list_clients().rows[0]
    assert (client.name, client.tax_id, client.email) == ("Rapido SA", "RAP010101AB1", "rapido@x.mx")


async def test_a_burst_fills_the_contact_form_through_its_client_lookup(ui_admin):
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Hotel Las Palmas"))
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Rapido SA"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        await burst(pilot, "<f2>", "palmas", "<tab>", "Óscar Ruiz", "<tab>", "Gerente", "<tab>", "55 1234 5678",
                    "<tab>", "55 8765 4321", "<tab>", "oscar@palmas.mx", "<f8>")
        assert isinstance(app.screen, CatalogScreen), app.screen.form.errors()
    contact = catalogs.list_contacts().rows[0]
    assert (contact.client_name, contact.name, contact.job_title, contact.phone, contact.mobile, contact.email) == (
        "Hotel Las Palmas", "Óscar Ruiz", "Gerente", "55 1234 5678", "55 8765 4321", "oscar@palmas.mx")


async def test_a_burst_fills_the_project_form_with_its_dates_and_lookups(ui_admin):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Clínica Santa Fe"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Dra. Pérez"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "projects")
        await burst(pilot, "<f2>", "santa", "<tab>", "Cableado", "<tab>", "2026-12-01", "<tab>", "2027-01-15",
                    "<tab>", "ana", "<tab>", "perez", "<tab>", "Dos pisos", "<f8>")
        assert isinstance(app.screen, CatalogScreen), app.screen.form.errors()
    project = catalogs.list_projects().rows[0]
    assert (project.client_name, project.name, str(project.start_date), str(project.goal_date),
            project.user_in_charge_name, project.contact_in_charge_name, project.description) == (
        "Clínica Santa Fe", "Cableado", "2026-12-01", "2027-01-15", "Ana Admin", "Dra. Pérez", "Dos pisos")
