"""The order screens at 80x24 in Spanish, on a fixed day (baseline SVGs in tests/__snapshots__).

Regenerate after a deliberate change with: pytest tests/test_app_order_snapshots.py --snapshot-update
"""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import i18n
from crm_tui.services import catalogs, orders
from crm_tui.services.clock import frozen
from test_app_support import HOSTILE, SIZE, burst, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401

DAY = dt.datetime(2026, 11, 27, 9, 30)


@pytest.fixture
def order_day(ui_admin):
    """One order with a finishing entry and a not-closed verification, on a fixed day."""
    with frozen(DAY):
        client = catalogs.add_client(ui_admin, name="Ferretería Centro")
        contact = catalogs.add_contact(ui_admin, client_id=client.id, name="Rosa [b]Díaz")
        category = catalogs.add_category(ui_admin, name="Instalación")
        order = orders.add_order(ui_admin, orders.OrderInput(
            contact_id=contact.id, category_id=category.id, detail="La impresora no toma papel " + HOSTILE,
            appointment_at=DAY + dt.timedelta(days=1), equipment="Impresora HP"))
        orders.register_service(ui_admin, order.id, order.version, when=DAY, work_done="Cambio de rodillo", minutes=30,
                                service_finished=True)
        finished = orders.get_order(order.id).order
        orders.verify_order(ui_admin, order.id, finished.version, closed=False, customer_comments="Sigue fallando")
    i18n.set_language("es")
    with frozen(DAY):
        yield order


def test_add_order_in_spanish(order_day, ui_admin, snap_compare):
    async def ready(pilot):
        await open_item(pilot, "add_order")

    assert snap_compare(make_app(ui_admin), terminal_size=SIZE, run_before=ready)


def test_register_service_in_spanish(order_day, ui_admin, snap_compare):
    async def ready(pilot):
        await open_item(pilot, "add_service")
        await burst(pilot, str(order_day.number), "<tab>")

    assert snap_compare(make_app(ui_admin), terminal_size=SIZE, run_before=ready)


def test_single_order_inquiry_history_in_spanish(order_day, ui_admin, snap_compare):
    async def ready(pilot):
        await open_item(pilot, "order_inquiry")
        await burst(pilot, str(order_day.number), "<enter>", "<f7>", "<f7>")

    assert snap_compare(make_app(ui_admin), terminal_size=SIZE, run_before=ready)
