"""The one list screen: `/`, sort by a column, `y`, `?`, j/k/g/G, actions enabled per row,
and a filter bar built from a service's filter dataclass."""
from __future__ import annotations

import base64
import datetime as dt

from textual.widgets import Button, Input, Select

from crm_tui.screens.catalog import EditScreen
from crm_tui.screens.help import HelpScreen
from crm_tui.screens.list_screen import ListAction, ListScreen
from crm_tui.services import catalogs, orders
from crm_tui.services.orders import OrderFilter, OrderInput
from crm_tui.widgets.record_table import ColumnSpec, RecordTable
from test_app_support import HOSTILE, SIZE, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401


def table_of(app) -> RecordTable:
    return app.screen.query_one(RecordTable)


def names_listed(app) -> list[str]:
    return [record.name for record in table_of(app).records]


def headers(app) -> list[str]:
    return [header.plain for header in table_of(app).headers]


def add_clients(actor, *names: str) -> list:
    return [catalogs.add_client(actor, catalogs.ClientInput(
        name=name, phone="55 1234", email="a@b.mx")) for name in names]


async def test_slash_goes_to_the_search_box_and_filters_in_place(ui_admin):
    add_clients(ui_admin, "Ferretería Centro", "Papelería Sol", "Farmacia Luna")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        assert app.focused is table_of(app)
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#search", Input)
        await type_text(pilot, "papel")
        await settle(pilot)
        assert names_listed(app) == ["Papelería Sol"]
        assert app.screen.query_one("#search", Input).value == "papel"  # "/" was not typed into it


async def test_s_sorts_by_the_chosen_column_and_again_reverses_it(ui_admin):
    add_clients(ui_admin, "Bravo", "Charlie", "Alfa")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        assert names_listed(app) == ["Bravo", "Charlie", "Alfa"]  # by key
        assert headers(app)[:2] == ["Key ▲", "Name"]
        await pilot.press("down")  # the cursor on Charlie
        await pilot.press("right", "s")  # the Name column
        await settle(pilot)
        assert names_listed(app) == ["Alfa", "Bravo", "Charlie"]
        assert headers(app)[:2] == ["Key", "Name ▲"]
        assert table_of(app).current_record.name == "Charlie"  # the same record stays selected
        await pilot.press("s")
        await settle(pilot)
        assert names_listed(app) == ["Charlie", "Bravo", "Alfa"]
        assert headers(app)[:2] == ["Key", "Name ▼"]
        assert table_of(app).current_record.name == "Charlie"

        await pilot.press("right", "s")  # Phone: no index sorts it
        await settle(pilot)
        assert names_listed(app) == ["Charlie", "Bravo", "Alfa"]
        assert "The list does not sort by this column." in [n.message for n in app._notifications]


async def test_a_click_on_a_header_sorts_by_it(ui_admin):
    add_clients(ui_admin, "Bravo", "Alfa")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        table = table_of(app)
        name_header = table.column_region(1)
        # Past the table's border (one column, one line): the middle of the header's cell.
        await pilot.click(table, offset=(1 + name_header.x + 3, 1))
        await settle(pilot)
        assert names_listed(app) == ["Alfa", "Bravo"]
        assert headers(app)[1] == "Name ▲"


async def test_y_copies_the_selected_row_through_the_terminal(ui_admin):
    client, = add_clients(ui_admin, HOSTILE)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        written: list[str] = []
        real_write = app._driver.write
        app._driver.write = lambda data: (written.append(data), real_write(data))
        await open_item(pilot, "clients")
        await pilot.press("y")
        await settle(pilot)
        expected = "\t".join([str(client.key), HOSTILE, "55 1234", "a@b.mx", "Yes"])
        assert app.clipboard == expected
        osc52 = [data for data in written if data.startswith("\x1b]52;c;")]
        assert [base64.b64decode(data[len("\x1b]52;c;"):-1]).decode() for data in osc52] == [expected]
        assert "The row was copied to the clipboard." in [n.message for n in app._notifications]


async def test_question_mark_opens_the_help_with_the_list_keys(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen.rows)
        assert keys["←, →, s"] == "Sort: ← → a column, s sorts or reverses"
        assert keys["y"] == "Copy the selected row to the clipboard"
        assert keys["/, Ctrl+F"] == "Go to the filter (search) box"
        assert keys["F2"] == "Add"
        assert keys["Home, End, g, G"] == "First / last rows of the list"
        assert keys["j, k"] == "Next / previous row (as the arrows)"
        assert {"?", "F1"} <= set(next(key for key, what in keys.items() if what == "Help").split(", "))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_j_k_g_G_move_like_the_arrows_home_and_end_but_not_while_typing(ui_admin):
    for number in range(120):  # more than the pages the table holds
        catalogs.add_category(ui_admin, catalogs.CategoryInput(name=f"Categoría {number:03d}"))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        table = table_of(app)
        await pilot.press("j", "j")
        assert table.current_record.name == "Categoría 002"
        await pilot.press("k")
        assert table.current_record.name == "Categoría 001"
        await pilot.press("G")
        await settle(pilot)
        assert table.current_record.name == "Categoría 119"
        await pilot.press("g")
        await settle(pilot)
        assert table.current_record.name == "Categoría 000"

        await pilot.press("slash")
        await type_text(pilot, "jkgG")
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == "jkgG"
        assert names_listed(app) == []


async def test_actions_that_need_a_row_are_disabled_on_an_empty_list(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        screen = app.screen
        assert [button.id for button in screen.query(".buttons Button") if button.disabled] == \
            ["modify", "delete", "toggle_active"]
        await pilot.press("f2")
        await type_text(pilot, "Soporte")
        await pilot.press("f8")
        await settle(pilot)
        assert [button.id for button in screen.query(".buttons Button") if button.disabled] == []


# --- a list of orders: a filter bar from OrderFilter, an action for some rows only ------


class OrderListProbe(ListScreen):
    """A list as the order query will be made: the filter bar from the service's filter."""

    TITLE_LABEL = "Orders"
    FILTER = OrderFilter
    COLUMNS = [ColumnSpec("Number", lambda o: o.number, 7), ColumnSpec("Status", lambda o: o.status, 10)]

    def __init__(self) -> None:
        super().__init__()
        self.reopened: list[int] = []

    def declared_actions(self) -> list[ListAction]:
        return [ListAction("reopen", "f10", "Reopen", enabled=lambda order: order.status != "open")]

    def fetch(self, request, filters, sort):
        return orders.list_orders(filters, request)

    def action_reopen(self) -> None:
        self.reopened.append(self.table.current_record.number)


def open_and_finished_orders(actor) -> tuple:
    client = catalogs.add_client(actor, catalogs.ClientInput(name="Ferretería Centro"))
    contact = catalogs.add_contact(actor, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
    category = catalogs.add_category(actor, catalogs.CategoryInput(name="Soporte"))
    opened = orders.add_order(actor, OrderInput(contact.id, category.id, "No enciende"))
    finished = orders.add_order(actor, OrderInput(contact.id, category.id, "No imprime"))
    orders.register_service(actor, finished.id, finished.version, when=dt.datetime(2026, 11, 27, 10, 0),
                            work_done="Listo", service_finished=True)
    return opened, finished


async def test_an_action_is_enabled_only_for_the_rows_it_applies_to(ui_admin):
    opened, finished = open_and_finished_orders(ui_admin)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        screen = OrderListProbe()
        app.push_screen(screen)
        await settle(pilot)
        table = table_of(app)
        assert table.current_record.number == finished.number  # newest first
        assert not screen.query_one("#reopen", Button).disabled
        await pilot.press("f10")
        assert screen.reopened == [finished.number]

        await pilot.press("down")
        assert table.current_record.number == opened.number
        assert screen.query_one("#reopen", Button).disabled
        await pilot.press("f10")
        await pilot.click("#reopen")
        assert screen.reopened == [finished.number]


async def test_the_filter_bar_is_built_from_the_filter_dataclass_and_applies_with_f7(ui_admin):
    opened, finished = open_and_finished_orders(ui_admin)
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        screen = OrderListProbe()
        app.push_screen(screen)
        await settle(pilot)
        bar = screen.filter_bar
        assert [spec.name for spec in bar.specs] == ["status", "user_id", "client_id", "contact_id",
                                                     "project_id", "category_id", "created", "finished"]
        assert screen.query_one("#filter-status", Select)
        assert screen.query_one("#filter-created-start") and screen.query_one("#filter-finished-end")
        assert screen.query_one("#filter-client_id-text", Input)
        assert bar.region.height == 5  # two filters to a line, and [Query]: room for the rows at 80x24
        assert table_of(app).region.height >= 10

        screen.query_one("#filter-status", Select).value = "finished"
        await pilot.press("f7")
        await settle(pilot)
        assert [order.number for order in table_of(app).records] == [finished.number]

        await pilot.press("slash")  # the first filter of the bar
        assert app.focused is screen.query_one("#filter-status", Select)
        screen.query_one("#filter-status", Select).clear()
        screen.query_one("#filter-created-start", Input).focus()
        await type_text(pilot, "31/02/2026")
        await pilot.press("enter")
        await settle(pilot)
        assert [order.number for order in table_of(app).records] == [finished.number]  # as it was
        assert "not a valid date" in str(screen.query_one("#filter-error").render())

        await pilot.press("ctrl+u")
        screen.query_one("#filter-client_id-text", Input).focus()
        await type_text(pilot, "Nadie")
        await pilot.press("f7")
        await settle(pilot)
        assert "choose a record from the list" in str(screen.query_one("#filter-error").render())


async def test_a_double_click_on_a_row_opens_it_and_the_buttons_are_clickable(ui_admin):
    add_clients(ui_admin, "Alfa", "Bravo")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.click(RecordTable, offset=(12, 3))  # the second row: selects it
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        await pilot.click(RecordTable, offset=(12, 3))  # again: opens it
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.record.name == "Bravo"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#add")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen) and app.screen.record is None


async def test_the_order_chosen_stays_when_the_list_is_read_again(ui_admin):
    add_clients(ui_admin, "Bravo", "Alfa")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("right", "s", "s")
        await settle(pilot)
        assert names_listed(app) == ["Bravo", "Alfa"]
        add_clients(ui_admin, "Charlie")
        await pilot.press("f9")
        await settle(pilot)
        assert names_listed(app) == ["Charlie", "Bravo", "Alfa"]
        assert headers(app)[1] == "Name ▼"
