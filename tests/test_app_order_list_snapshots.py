"""The general order inquiry at 80x24 in Spanish, on a fixed day, after a concept search
(the words found highlighted). Baseline SVG in tests/__snapshots__.

Regenerate after a deliberate change with: pytest tests/test_app_order_list_snapshots.py --snapshot-update
"""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import i18n
from crm_tui.services import catalogs, orders
from crm_tui.services.clock import frozen
from test_app_support import HOSTILE, SIZE, burst, make_app, open_item, ui_admin, ui_db  # noqa: F401

DAY = dt.datetime(2026, 11, 27, 9, 30)


@pytest.fixture
def orders_of_the_week(ui_admin):
    """Orders of several days and statuses; two speak of a camera, one only in its work."""
    with frozen(DAY):
        client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro"))
        contact = catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Rosa [b]Díaz"))
        category = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Instalación"))
    details = ["La impresora no toma papel " + HOSTILE, "Revisar la cámara de la entrada",
               "Instalar el DVR de la bodega", "No enciende el conmutador"]
    for days, detail in enumerate(details):
        with frozen(DAY - dt.timedelta(days=len(details) - days)):
            order = orders.add_order(ui_admin, orders.OrderInput(
                contact_id=contact.id, category_id=category.id, detail=detail))
            if days == 2:
                orders.register_service(ui_admin, order.id, order.version, when=DAY - dt.timedelta(days=1),
                                        work_done="Se limpió el lente de la cámara del pasillo",
                                        service_finished=True)
    i18n.set_language("es")
    with frozen(DAY):
        yield


def test_general_order_inquiry_search_in_spanish(orders_of_the_week, ui_admin, snap_compare):
    async def ready(pilot):
        await open_item(pilot, "order_list")
        await burst(pilot, "<f2>", "camara", "<enter>")

    assert snap_compare(make_app(ui_admin), terminal_size=SIZE, run_before=ready)
