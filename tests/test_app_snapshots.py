"""What the screens look like at 80x24 (baseline SVGs in tests/__snapshots__).

Regenerate after a deliberate change with: pytest tests/test_app_snapshots.py --snapshot-update
"""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import i18n
from crm_tui.services import catalogs, clock
from crm_tui.services.activities import ActivityInput, add_activity
from crm_tui.services.orders import OrderInput, add_order
from test_app_support import HOSTILE, SIZE, TODAY, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401


@pytest.fixture
def filled(ui_admin):
    for name in ("Abarrotes Lupita", "Café Colibrí", HOSTILE):
        client = catalogs.add_client(ui_admin, catalogs.ClientInput(
            name=name, phone="55 0000 0000", email="hola@example.com"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(
        client_id=client.id, name="Rosa [b]Díaz", phone="55 1111 2222"))
    catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Instalación"))
    return ui_admin


@pytest.fixture
def frozen_day():
    with clock.frozen(dt.datetime.combine(TODAY, dt.time(8, 0))):
        yield


@pytest.fixture
def day(filled, frozen_day):
    """The admin's pending activities (one with hostile text) and an appointment today."""
    contact = catalogs.list_contacts().rows[0]
    category = catalogs.list_categories().rows[0]
    for when, detail in (("2026-11-26 16:00", "Llamó porque la impresora no toma papel; quedó de enviar "
                                              "la foto del error."),
                         ("2026-11-27 09:30", HOSTILE + " 31/02/2026")):
        add_activity(filled, ActivityInput(when=when, contact_id=contact.id, category_id=category.id, detail=detail))
    add_order(filled, OrderInput(contact_id=contact.id, category_id=category.id, detail="Revisar",
                                 assigned_user_id=filled.id, appointment_at="2026-11-28 09:00"))
    return filled


def test_home_in_spanish(day, snap_compare):
    i18n.set_language("es")

    async def ready(pilot):
        await settle(pilot)

    assert snap_compare(make_app(day), terminal_size=SIZE, run_before=ready)


def test_menu_in_spanish(filled, snap_compare):
    i18n.set_language("es")

    async def ready(pilot):
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=ready)


def test_client_list(filled, snap_compare):
    async def ready(pilot):
        await open_item(pilot, "clients")

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=ready)


def test_new_contact_form_in_spanish(filled, snap_compare):
    i18n.set_language("es")

    async def ready(pilot):
        await open_item(pilot, "contacts")
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=ready)


def test_help_of_the_category_list(filled, snap_compare):
    async def ready(pilot):
        await open_item(pilot, "categories")
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=ready)


def test_add_activity_with_a_service_order_in_spanish(filled, snap_compare):
    import datetime as dt

    from crm_tui.services.clock import frozen

    i18n.set_language("es")

    async def ready(pilot):
        await pilot.press("ctrl+d")
        await settle(pilot)
        chosen = pilot.app.screen.form.widget_for("pending")
        chosen.focus()  # as after choosing it (and no blinking cursor in the picture)
        chosen.value = "order"
        await settle(pilot)

    with frozen(dt.datetime(2026, 11, 27, 10, 30)):
        assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=ready)


def test_query_activity_in_spanish(filled, snap_compare):
    import datetime as dt

    from crm_tui.services import activities

    i18n.set_language("es")
    contact = catalogs.lookup_contacts("", 1)[0]
    category = catalogs.lookup_categories("", 1)[0]
    for day in range(1, 4):
        activities.record_activity(filled, when=dt.datetime(2026, 11, day, 9, 30), contact_id=contact.id,
                                   category_id=category.id, detail=HOSTILE)

    async def ready(pilot):
        await open_item(pilot, "query_activity")

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=ready)
