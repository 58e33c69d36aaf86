"""Every action a screen offers has its key in the footer, at 80x24, in both languages."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from textual.widgets import Button

from crm_tui import i18n
from crm_tui.screens.menu import menu_for
from crm_tui.services import clock
from crm_tui.services.activities import ActivityInput, add_activity
from crm_tui.services.catalogs import CategoryInput, ClientInput, ContactInput, add_category, add_client, add_contact
from crm_tui.services.orders import OrderInput, add_order
from crm_tui.widgets.button_bar import ButtonBar
from crm_tui.widgets.chrome import CrmFooter
from test_app_support import SIZE, TODAY, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401

# A key as a button writes it: "F8 Save", "Save F8", "^R Service", "Esc Back", "Ctrl+O Number".
BUTTON_KEY = re.compile(r"^(F\d+|Esc|\^[A-Za-z]|Ctrl\+\w)$")


@pytest.fixture
def records(ui_admin):
    with clock.frozen(dt.datetime.combine(TODAY, dt.time(8, 0))):
        client = add_client(ui_admin, ClientInput(name="Ferretería Centro"))
        contact = add_contact(ui_admin, ContactInput(client_id=client.id, name="Ana Ruiz"))
        category = add_category(ui_admin, CategoryInput(name="Llamada"))
        add_activity(ui_admin, ActivityInput(when="2026-11-27 07:00", contact_id=contact.id,
                                             category_id=category.id, detail="Llamar"))
        order = add_order(ui_admin, OrderInput(contact_id=contact.id, category_id=category.id, detail="Revisar",
                                               assigned_user_id=ui_admin.id))
    return {"admin": ui_admin, "order": order}


def footer_key_display(key: str) -> str:
    """A button's key as the footer shows it: F8 -> f8, Esc -> esc, ^R / Ctrl+O -> ^r / ^o."""
    key = key.lower()
    return "^" + key.split("+", 1)[1] if key.startswith("ctrl+") else key


def keys_of_buttons(screen) -> set[str]:
    """The key each button of the screen names, as the footer shows it."""
    keys: set[str] = set()
    for action in getattr(screen, "list_actions", ()):
        keys.add(screen.app.get_key_display(screen._bindings.key_to_bindings[action.key.split(",")[0]][0]))
    for bar in screen.query(ButtonBar):
        keys.update(bar._key_text(button.key) for button in bar.buttons if button.key)
    for button in screen.query(Button):
        if not button.region.area:  # not in view (a stop button while nothing runs)
            continue
        words = str(button.label).split()
        keys.update(footer_key_display(word) for word in words[:1] + words[-1:] if BUTTON_KEY.match(word))
    return keys


def missing_from_footer(screen) -> set[str]:
    footer = screen.query_one(CrmFooter)
    text = footer.text
    assert footer.size.height == len(text.splitlines()), "every row of the footer is in view"
    assert footer.line_width <= SIZE[0]
    return {key for key in keys_of_buttons(screen) if not re.search(rf"(^|\s){re.escape(key)} ", text)}


@pytest.mark.parametrize("language", ["es", "en"])
async def test_every_key_a_button_names_is_in_the_footer_of_every_screen(records, language):
    i18n.set_language(language)
    app = make_app(records["admin"])
    missing: dict[str, set[str]] = {}
    seen = 0

    def check(name: str) -> None:
        nonlocal seen
        seen += 1
        if gaps := missing_from_footer(app.screen):
            missing[name] = gaps

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        check("home")
        for step, name in (("o", "ok note"), ("escape", None), ("l", "load"), ("escape", None)):
            await pilot.press(step)
            await settle(pilot)
            if name:
                check(name)
        for item in menu_for(is_admin=True):
            await open_item(pilot, item.id)
            check(item.id)
            if item.id in ("clients", "contacts", "categories", "projects", "users", "opportunity_types"):
                await pilot.press("f2")
                await settle(pilot)
                check(f"{item.id}: add")
                await pilot.press("escape")
                await settle(pilot)
            app.pop_screen() if len(app.screen_stack) > 1 else None
            await settle(pilot)
        app.open_order(records["order"].number)
        await settle(pilot)
        check("order inquiry with an order")
        for step, name in (("f5", "verify"), ("escape", None), ("f6", "reopen")):
            await pilot.press(step)
            await settle(pilot)
            if name:
                check(name)
    assert seen > 20
    assert missing == {}
