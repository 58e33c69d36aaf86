"""The application shell: sign-in, the home screen and the menu one key away, global keys,
command palette, help, theme."""
from __future__ import annotations

import pytest

from crm_tui import i18n
from crm_tui.app import CrmApp, run_app
from crm_tui.screens.first_run import FirstRunScreen
from crm_tui.screens.help import HelpScreen
from crm_tui.screens.activity_followup import FollowupScreen
from crm_tui.screens.home import MenuScreen
from crm_tui.screens.menu import MENU, menu_for
from crm_tui.services import catalogs, users
from crm_tui.widgets.chrome import StatusLine
from textual.widgets import Input, OptionList
from test_app_support import TODAY, MemoryConfig, SIZE, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401

SPANISH_MENU = [
    "Configurar Categorías", "Catálogo de Clientes", "Catálogo de Contactos", "Catálogo de Proyectos",
    "Agregar Actividad", "Consultar Actividad", "Agregar Orden de Servicio", "Agregar Servicio",
    "Seguimiento de Actividades", "Consulta Individual de Órdenes", "Consulta General de Órdenes",
    "Reportes", "Reportes de Órdenes", "Agregar Oportunidad", "Consultar Oportunidades",
    "Usuarios", "Tipos de Oportunidad",
]


async def open_the_menu(pilot) -> None:
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, MenuScreen)


def menu_lines(app) -> list[str]:
    options = app.screen.query_one("#menu", OptionList)
    return [str(options.get_option_at_index(i).prompt).split(". ", 1)[1] for i in range(options.option_count)]


async def test_the_menu_has_every_item_in_spanish_in_order(ui_admin):
    i18n.set_language("es")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
        await open_the_menu(pilot)
        assert menu_lines(app) == SPANISH_MENU
        status = str(app.screen.query_one(StatusLine).render())
        assert "Ana Admin (ana)" in status and "crm-test.db" in status and "27/11/2026" in status


async def test_agents_do_not_see_the_admin_items(ui_admin):
    users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto"))
    app = make_app(users.identify("beto"))
    async with app.run_test(size=SIZE) as pilot:
        await open_the_menu(pilot)
        assert menu_lines(app) == [item for item in
                                   ["Configure categories", "Client catalog", "Contact catalog", "Project catalog",
                                    "Add activity", "Look up activities", "Add service order", "Register service",
                                    "Activity follow-up", "Single order inquiry", "General order inquiry",
                                    "Reports", "Order reports", "Add opportunity", "Look up opportunities"]]


class StoppedClock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_typing_an_items_number_moves_to_it_and_enter_opens_it(ui_admin):
    clock = StoppedClock()
    app = make_app(ui_admin, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_the_menu(pilot)
        menu = app.screen.query_one("#menu", OptionList)
        await pilot.press("1")
        clock.now += 5  # a pause: the next digit starts a new number (5, not 15)
        await pilot.press("5")
        assert menu.highlighted == 4
        clock.now += 5
        await pilot.press("1")
        assert menu.highlighted == 0
        clock.now += 0.3
        await pilot.press("7")  # within a moment of the 1: item 17
        assert menu.highlighted == 16
        await pilot.press("9")  # 179 is no item: 9 starts a new number
        assert menu.highlighted == 8
        clock.now += 0.3
        await pilot.press("3", "enter")  # 93 neither: item 3
        await settle(pilot)
        assert app.screen.query_one(StatusLine).title_text == "Contact catalog"
        await pilot.press("escape")  # the menu closed as the item opened: back home
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)


async def test_the_menu_is_one_key_away_and_esc_or_f2_closes_it(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("escape", "f2"):
            await open_the_menu(pilot)
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, FollowupScreen)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MenuScreen)


async def test_every_menu_item_opens_from_the_command_palette(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for item in menu_for(True):
            await pilot.press("ctrl+p")
            await settle(pilot)
            await type_text(pilot, i18n._(item.label))
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert getattr(app.screen, "menu_item_id", None) == item.id, item.id
            if item.id != "activity_followup":  # that one is the home screen itself
                await pilot.press("escape")
                await settle(pilot)
            assert isinstance(app.screen, FollowupScreen)


@pytest.mark.parametrize("key, item_id", [("ctrl+d", "add_activity"), ("ctrl+s", "add_order"),
                                          ("ctrl+r", "add_service")])
async def test_global_keys_work_while_typing_in_an_input(ui_admin, key, item_id):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("ctrl+f")
        await type_text(pilot, "abc")
        assert isinstance(app.focused, Input)
        await pilot.press("home", key)
        await settle(pilot)
        assert app.screen.menu_item_id == item_id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == "abc"


async def test_f1_lists_the_keys_of_the_screen_in_front(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "categories")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.rows)
        assert rows["F2"] == "Add" and rows["F4"] == "Delete" and rows["F5"] == "Export to Excel"
        assert rows["Ctrl+D"] == "Add activity" and rows["Esc"] == "Back"
        await pilot.press("escape", "f2")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert dict(app.screen.rows)["F8"] == "Save"


async def test_the_theme_chosen_is_saved_and_restored(ui_admin):
    config = MemoryConfig({"database": "x.db"})
    app = make_app(ui_admin, config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await settle(pilot)
    assert config.values == {"database": "x.db", "theme": "nord"}
    again = make_app(ui_admin, config)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


async def test_a_new_database_offers_sample_data_to_its_first_admin(ui_db):
    assert not users.database_has_users()
    from crm_tui.app import sign_in

    actor, first_run = sign_in("root")
    assert first_run and actor.is_admin

    def load_sample(progress):
        progress("Categories", 1, 1)
        catalogs.add_category(actor, catalogs.CategoryInput(name="Demostración"))

    app = make_app(actor, first_run=True, load_sample=load_sample)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("enter")  # "Load sample data" has the focus
        await settle(pilot)
        assert isinstance(app.screen, FollowupScreen)
    assert [c.name for c in catalogs.list_categories().rows] == ["Demostración"]


def test_an_unknown_login_is_refused_before_the_app_opens(ui_admin, tmp_path, capsys):
    url = str(tmp_path / "ui.db")
    assert run_app(url, "intruso", "en") == 1
    message = capsys.readouterr().err.strip()
    assert message.count("\n") == 0
    assert "crm user add intruso" in message


def test_a_deactivated_user_cannot_open_the_crm(ui_admin, tmp_path, capsys):
    beto = users.add_user(ui_admin, users.UserInput(username="beto", full_name="Beto"))
    users.set_user_active(ui_admin, beto.id, beto.version, False)
    assert run_app(str(tmp_path / "ui.db"), "beto", "es") == 1
    message = capsys.readouterr().err
    assert "beto" in message and "desactivad" in message


async def test_every_menu_item_opens_a_screen_that_names_it_and_esc_comes_back(ui_admin):
    i18n.set_language("es")
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        for item in MENU:
            if item.id == "activity_followup":
                continue  # the home screen: below
            await open_item(pilot, item.id)
            screen = app.screen
            assert screen is not home and screen.menu_item_id == item.id
            shown = " ".join(str(widget.render()) for widget in screen.query("StatusLine, .screen-title"))
            assert i18n._(item.label) in shown, item.id
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is home, item.id


async def test_the_follow_up_menu_item_goes_back_to_the_home_screen(ui_admin):
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert home.menu_item_id == "activity_followup"
        await open_item(pilot, "clients")
        await open_item(pilot, "categories")
        await open_item(pilot, "activity_followup")
        assert app.screen is home and app.screen_stack == [home]  # home is the first screen: all above closed


async def test_a_long_database_path_leaves_the_screen_title_on_the_status_line(ui_admin):
    long_path = "/srv/empresa/departamento-de-soporte-tecnico/bases-de-datos/2026/crm-principal.db"
    app = CrmApp(ui_admin, long_path, today=TODAY, config=(MemoryConfig().load, MemoryConfig().save))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_item(pilot, "contacts")
        await settle(pilot)
        shown = str(app.screen.query_one(StatusLine).render())
        assert shown.endswith("Contact catalog")
        assert "crm-principal.db" in shown
        assert len(shown) <= 80


async def test_a_long_name_gives_way_to_the_screen_title_at_80_columns(ui_admin):
    users.add_user(ui_admin, users.UserInput(username="iorozco", full_name="Itzel Orozco Morales"))
    app = make_app(users.identify("iorozco"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_item(pilot, "order_inquiry")
        await settle(pilot)
        shown = str(app.screen.query_one(StatusLine).render())
        assert shown.endswith("Single order inquiry"), shown
        assert "iorozco" in shown
