"""The catalog screens driven from the keyboard, checked through the services."""
from __future__ import annotations

import openpyxl
import pytest

from crm_tui.screens.catalog import CatalogScreen, EditScreen
from crm_tui.services import catalogs, users
from crm_tui.widgets.dialogs import AskTextDialog, ConfirmDialog, MessageDialog
from crm_tui.widgets.record_table import RecordTable
from test_app_support import HOSTILE, SIZE, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401


async def clear_and_type(pilot, text: str) -> None:
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


def names_in_table(app) -> list[str]:
    return [record.name for record in app.screen.query_one(RecordTable).records]


async def test_categories_add_modify_delete_from_the_keyboard(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2", "enter")  # the menu; its first item: Configure categories
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        await pilot.press("f2")
        await type_text(pilot, "Instalación")
        await pilot.press("f8")
        await settle(pilot)
        assert [c.name for c in catalogs.list_categories().rows] == ["Instalación"]
        assert names_in_table(app) == ["Instalación"]

        await pilot.press("enter")  # open the selected record
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await clear_and_type(pilot, "Instalación de cámaras")
        await pilot.press("f8")
        await settle(pilot)
        assert [c.name for c in catalogs.list_categories().rows] == ["Instalación de cámaras"]

        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == "Delete the category «Instalación de cámaras»?"
        await pilot.press("y")
        await settle(pilot)
        assert catalogs.list_categories().rows == []
        assert names_in_table(app) == []


async def test_a_duplicate_category_shows_the_service_error_next_to_the_name(ui_admin):
    catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Soporte"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        await pilot.press("f2")
        await type_text(pilot, "soporte")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert "name" in app.screen.form.errors()
        assert len(catalogs.list_categories().rows) == 1


async def test_escape_on_a_changed_form_asks_before_discarding(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        await pilot.press("f2")
        await type_text(pilot, "Redes")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == "Discard the changes?"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        assert catalogs.list_categories().rows == []


async def test_clients_add_shows_the_proposed_key_and_saves_hostile_text_as_typed(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f2")
        await settle(pilot)
        info = app.screen.query_one("#info").render()
        assert "Proposed key: 1" in str(info)
        await type_text(pilot, HOSTILE)  # name
        await pilot.press("tab")
        await type_text(pilot, "=1+1")  # tax id
        await pilot.press("tab")
        await type_text(pilot, "[/]")  # phone
        await pilot.press("f8")
        await settle(pilot)
        assert app.is_running
        client = catalogs.list_clients().rows[0]
        assert (client.key, client.name, client.tax_id, client.phone) == (1, HOSTILE, "=1+1", "[/]")
        cells = app.screen.query_one(RecordTable).get_row_at(0)
        assert cells[1].plain == HOSTILE
        assert not cells[1].spans
        # Clicking the name does nothing but select the row.
        await pilot.click(RecordTable, offset=(12, 2))
        await settle(pilot)
        assert app.is_running


async def test_a_new_record_gets_the_cursor_however_long_the_list(ui_admin):
    for n in range(1, 131):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=f"Cliente {n:03d}"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        table = app.screen.query_one(RecordTable)
        assert table.current_record.key == 1  # the list opens on its first rows
        await pilot.press("f2")
        await type_text(pilot, "Refaccionaria Nueva")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        assert (table.current_record.key, table.current_record.name) == (131, "Refaccionaria Nueva")
        assert table.border_subtitle == "last 100 rows"
        # Down past the rows read stays at the end; Up reads the rows before them.
        await pilot.press("down")
        await settle(pilot)
        assert table.current_record.key == 131
        for _ in range(101):
            await pilot.press("up")
        await settle(pilot)
        assert table.current_record.key == 30


async def test_a_renamed_category_keeps_the_cursor_where_the_name_moves_it(ui_admin):
    names = [f"Categoría {n:03d}" for n in range(1, 201)]
    for name in names:
        catalogs.add_category(ui_admin, catalogs.CategoryInput(name=name))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        table = app.screen.query_one(RecordTable)
        await pilot.press("enter")  # modify the first one
        await settle(pilot)
        await clear_and_type(pilot, "Categoría 150b")
        await pilot.press("f8")
        await settle(pilot)
        # It now sorts after 150: 149 rows before it, half a page of them read.
        assert table.current_record.name == "Categoría 150b"
        assert table.border_subtitle == "rows 100–199"
        assert table.records[table.cursor_row - 1].name == "Categoría 150"


async def test_clients_search_modify_and_export(ui_admin, tmp_path):
    for name in ("Abarrotes Lupita", "Café Colibrí", "Cámaras del Norte"):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=name))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        assert names_in_table(app) == ["Abarrotes Lupita", "Café Colibrí", "Cámaras del Norte"]
        await pilot.press("ctrl+f")
        await type_text(pilot, "camaras")
        await settle(pilot)
        assert names_in_table(app) == ["Cámaras del Norte"]

        await pilot.press("enter")  # from the search box to the list
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("tab", "tab")  # name -> tax id -> phone
        await type_text(pilot, "55 1234 5678")
        await pilot.press("f8")
        await settle(pilot)
        assert catalogs.find_client_by_key(3).phone == "55 1234 5678"

        target = tmp_path / "clientes.xlsx"
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, AskTextDialog)
        assert app.screen.query_one("#answer").value == "~/clients.xlsx"
        await clear_and_type(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert target.exists()
        sheet = openpyxl.load_workbook(target).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values[1][:2] == [3, "Cámaras del Norte"]  # only what the search shows
        assert len(values) == 2


async def test_a_client_in_use_cannot_be_deleted_and_may_be_deactivated(ui_admin):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Díaz"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Rosa Díaz"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "cannot be deleted" in app.screen.question
        assert app.screen.question.endswith("Deactivate it now?")
        await pilot.press("y")
        await settle(pilot)
        assert catalogs.get_client(client.id).active is False
        assert len(catalogs.list_clients().rows) == 1


async def test_deleting_what_another_user_already_deleted_says_so_and_refreshes(ui_admin):
    catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Cableado"))
    gone = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Antenas"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        assert names_in_table(app) == ["Antenas", "Cableado"]
        catalogs.delete_category(ui_admin, gone.id, gone.version)  # from another terminal
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert app.screen.message == "Category «Antenas» no longer exists: another user deleted it."
        await pilot.press("enter")
        await settle(pilot)
        assert names_in_table(app) == ["Cableado"]


async def test_contacts_choose_the_client_with_the_lookup(ui_admin):
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Hotel Las Palmas"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        await pilot.press("f2")
        await settle(pilot)
        assert "Proposed key: 1" in str(app.screen.query_one("#info").render())
        await type_text(pilot, "palmas")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await pilot.press("tab")
        await type_text(pilot, "Óscar [b]Ruiz")
        await pilot.press("f8")
        await settle(pilot)
        contact = catalogs.list_contacts().rows[0]
        assert (contact.name, contact.client_name) == ("Óscar [b]Ruiz", "Hotel Las Palmas")

        await pilot.press("f4", "y")
        await settle(pilot)
        assert catalogs.list_contacts().rows == []


async def test_a_contact_needs_a_client_chosen_from_the_matches(ui_admin):
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Hotel Las Palmas"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        await pilot.press("f2")
        await type_text(pilot, "nadie")
        await settle(pilot)
        await pilot.press("tab")
        await type_text(pilot, "Luis")
        await pilot.press("f8")
        await settle(pilot)
        assert "client_id" in app.screen.form.errors()
        assert catalogs.list_contacts().rows == []


async def test_projects_add_with_dates_and_see_its_orders_tabs(ui_admin):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Clínica Santa Fe"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Dra. Pérez"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "projects")
        await pilot.press("f2")
        await type_text(pilot, "santa")
        await settle(pilot)
        await pilot.press("enter")  # the first match
        await settle(pilot)
        await pilot.press("tab")
        await type_text(pilot, "Cableado [red]")
        await pilot.press("tab")
        await type_text(pilot, "2026-12-01")
        await pilot.press("tab")
        await type_text(pilot, "2026-11-01")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen.form.errors()["goal_date"]  # the service refuses a goal before the start
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "2027-01-15")
        await pilot.press("tab", "tab")  # user in charge -> contact in charge
        await type_text(pilot, "perez")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        project = catalogs.list_projects().rows[0]
        assert (project.name, str(project.goal_date), project.contact_in_charge_name) == (
            "Cableado [red]", "2027-01-15", "Dra. Pérez")

        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#pending-orders", RecordTable).records == []
        assert app.screen.query_one("#completed-orders", RecordTable).records == []


async def test_users_and_opportunity_types_are_for_admins(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "users")
        await pilot.press("f2")
        await type_text(pilot, "beto")
        await pilot.press("tab")
        await type_text(pilot, "Beto [i]Gómez")
        await pilot.press("f8")
        await settle(pilot)
        beto = users.find_user("beto")
        assert (beto.full_name, beto.role, beto.active) == ("Beto [i]Gómez", "agent", True)
        await pilot.press("escape")
        await open_item(pilot, "opportunity_types")
        await pilot.press("f2")
        await type_text(pilot, "Referido")
        await pilot.press("f8")
        await settle(pilot)
        assert [t.name for t in catalogs.list_opportunity_types().rows] == ["Referido"]
        await pilot.press("f6")
        await settle(pilot)
        assert catalogs.list_opportunity_types().rows[0].active is False

    agent = users.identify("beto")
    app = make_app(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_menu("users")
        await settle(pilot)
        assert not isinstance(app.screen, CatalogScreen)


@pytest.mark.parametrize("item_id", ["categories", "clients", "contacts", "projects", "users",
                                     "opportunity_types"])
async def test_hostile_text_in_every_field_of_each_form_is_saved_as_typed(ui_admin, item_id):
    catalogs.add_client(ui_admin, catalogs.ClientInput(name="Hotel Las Palmas"))
    app = make_app(ui_admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_item(pilot, item_id)
        await pilot.press("f2")
        await settle(pilot)
        form = app.screen.form
        typed = {}
        for name, spec in form.specs.items():
            widget = form.widget_for(name)
            if spec.kind in ("text", "multiline") and not widget.disabled:
                text = "user1" if name == "username" else HOSTILE
                widget.focus()
                await type_text(pilot, text)
                typed[name] = text
        if "email" in typed:
            form.widget_for("email").value = ""
            del typed["email"]
        assert typed
        assert {name: form.values()[name] for name in typed} == typed
        assert app.is_running


async def test_enter_in_the_search_box_opens_the_only_match(ui_admin):
    for name in ("Abarrotes Lupita", "Café Colibrí", "Cámaras del Norte"):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=name))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("ctrl+f")
        await type_text(pilot, "lupita")
        await pilot.press("enter")  # at once, while the list may still be reading
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.record.name == "Abarrotes Lupita"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+f", "ctrl+u")
        await type_text(pilot, "ca")  # two matches: Enter goes to the list to choose
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        assert app.focused is app.screen.query_one(RecordTable)


async def test_escape_in_the_search_box_clears_it_and_a_second_escape_leaves(ui_admin):
    for name in ("Abarrotes Lupita", "Café Colibrí"):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=name))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        list_screen = app.screen
        await pilot.press("ctrl+f")
        await type_text(pilot, "lupita")
        await settle(pilot)
        assert names_in_table(app) == ["Abarrotes Lupita"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is list_screen
        assert list_screen.query_one("#search").value == ""
        assert names_in_table(app) == ["Abarrotes Lupita", "Café Colibrí"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not list_screen


async def test_the_tabs_of_a_project_have_a_key_shown_in_the_footer(ui_admin):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Clínica Santa Fe"))
    catalogs.add_project(ui_admin, catalogs.ProjectInput(client_id=client.id, name="Cableado"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "projects")
        await pilot.press("enter")
        await settle(pilot)
        footer_keys = {key: active.binding for key, active in app.screen.active_bindings.items()
                       if active.binding.show}
        assert footer_keys["f7"].description == "Next tab"
        tabs = app.screen.query_one("#project-tabs")
        await pilot.press("f7")
        await settle(pilot)
        assert tabs.active == "tab-pending"
        assert app.focused is app.screen.query_one("#pending-orders", RecordTable)
        await pilot.press("f7")
        await settle(pilot)
        assert tabs.active == "tab-completed"
        await pilot.press("f7")
        await settle(pilot)
        assert tabs.active == "tab-data"
        assert app.focused is app.screen.form.widget_for("client_id").input


@pytest.mark.parametrize("language", ["es", "en"])
async def test_every_key_of_the_footer_fits_at_80_columns(ui_admin, language):
    from crm_tui import i18n
    from crm_tui.widgets.chrome import CrmFooter

    i18n.set_language(language)
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Clínica Santa Fe"))
    catalogs.add_project(ui_admin, catalogs.ProjectInput(client_id=client.id, name="Cableado"))
    app = make_app(ui_admin)

    def footer_fits() -> bool:
        footer = app.screen.query_one(CrmFooter)
        return footer.line_width <= footer.size.width

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert footer_fits()
        for item_id in ("clients", "projects"):
            await open_item(pilot, item_id)
            assert footer_fits(), item_id
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, EditScreen)
            assert footer_fits(), item_id
            await pilot.press("escape", "escape")
            await settle(pilot)


async def test_a_new_contact_without_any_client_offers_to_add_the_client_first(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "contacts")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == ("There are no clients yet, and every contact belongs to one. "
                                       "Add the client first?")
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen) and app.screen.title_text == "New client"
        await type_text(pilot, "Hotel Las Palmas")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen) and app.screen.title_text == "New contact"
        assert app.screen.form.widget_for("client_id").text == "1 Hotel Las Palmas"
        await pilot.press("tab")
        await type_text(pilot, "Óscar Ruiz")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
    contact = catalogs.list_contacts().rows[0]
    assert (contact.name, contact.client_name) == ("Óscar Ruiz", "Hotel Las Palmas")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_six_digit_keys_are_shown_whole(ui_admin, size):
    catalogs.import_client_row(ui_admin, {"key": "199999", "name": "Casi doscientos mil"})
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Doscientos mil"))
    assert client.key == 200000
    catalogs.import_contact_row(ui_admin, {"key": "200001", "name": "Rosa Díaz", "client_key": "200000"})
    app = make_app(ui_admin)
    async with app.run_test(size=size) as pilot:
        for item_id, key in (("clients", "200000"), ("contacts", "200001")):
            await open_item(pilot, item_id)
            table = app.screen.query_one(RecordTable)
            await pilot.press("end")
            await settle(pilot)
            assert table.column_widths[0] >= len(key), item_id
            assert key in app.export_screenshot(), item_id
            assert f"{key[:4]}…" not in app.export_screenshot(), item_id
            await pilot.press("escape")
            await settle(pilot)


def watch_table_draws(monkeypatch) -> list[tuple[int, int, int, int]]:
    """Every time a list's table is drawn: its rows, the cursor's row, the first row in view
    and how many rows are in view."""
    draws: list[tuple[int, int, int, int]] = []
    draw = RecordTable.render_lines

    def drawing(table, crop):
        in_view = table.scrollable_content_region.height - (1 if table.show_header else 0)
        draws.append((table.row_count, table.cursor_row, int(table.scroll_y), in_view))
        return draw(table, crop)

    monkeypatch.setattr(RecordTable, "render_lines", drawing)
    return draws


async def test_a_catalog_is_drawn_with_its_rows_from_its_first_frame(ui_admin, monkeypatch):
    for n in range(1, 4):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=f"Cliente {n}"))
    draws = watch_table_draws(monkeypatch)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        draws.clear()  # the home screen's list
        await open_item(pilot, "clients")
        assert draws and draws[0][0] == 3  # never drawn empty first
        assert app.screen.focused is app.screen.query_one(RecordTable)


async def test_end_draws_the_last_rows_at_once(ui_admin, monkeypatch):
    for n in range(1, 131):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=f"Cliente {n:03d}"))
    draws = watch_table_draws(monkeypatch)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        draws.clear()
        await pilot.press("end")
        await settle(pilot)
        assert app.screen.query_one(RecordTable).current_record.key == 130
        # Every frame shows the cursor's row: none shows the first rows of the last page first.
        assert draws
        for _rows, cursor, first_in_view, in_view in draws:
            assert first_in_view <= cursor < first_in_view + in_view
