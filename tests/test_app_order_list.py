"""Consulta General de Órdenes, step by step as the manual tells it: filter the orders and
[Consultar] (F7), find them by the words of their detail or work done and [Buscar] (F2),
then [Modificar] (F3), [Verificar] (F5), [Reabrir] (F6) and [Hoja] (F4) on the result."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from textual.widgets import Input, ProgressBar, Static

from crm_tui.screens.order_inquiry import OrderInquiryScreen, ReviewDialog
from crm_tui.screens.order_list import OrderListScreen
from crm_tui.services import catalogs, clock, order_query, orders
from crm_tui.services.base import PageRequest
from crm_tui.widgets.dialogs import AskTextDialog
from crm_tui.widgets.record_table import RecordTable
from crm_tui.widgets.safe import HIGHLIGHT_STYLE
from test_app_refresh import as_another_user
from test_app_support import HOSTILE, SIZE, burst, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401


@pytest.fixture
def office(ui_admin):
    """Two clients, each with a contact; a category; orders for both."""
    centro = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro"))
    lupita = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Abarrotes Lupita"))
    ana = catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=centro.id, name="Ana Ruiz"))
    rosa = catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=lupita.id, name="Rosa Díaz"))
    category = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Instalación"))
    return {"actor": ui_admin, "centro": centro, "lupita": lupita, "ana": ana, "rosa": rosa,
            "category": category}


def new_order(office, contact: str, detail: str) -> orders.OrderRecord:
    return orders.add_order(office["actor"], orders.OrderInput(
        contact_id=office[contact].id, category_id=office["category"].id, detail=detail))


def finish(office, order: orders.OrderRecord, work: str = "Listo") -> orders.OrderRecord:
    orders.register_service(office["actor"], order.id, orders.get_order(order.id).order.version,
                            when=clock.now(), work_done=work, service_finished=True)
    return orders.get_order(order.id).order


def listed_numbers(screen: OrderListScreen) -> list[int]:
    return [record.order.number for record in screen.table.records]


def cell_text(table: RecordTable, row: int, column: int):
    return table.get_row_at(row)[column]


async def open_list(pilot) -> OrderListScreen:
    await open_item(pilot, "order_list")
    screen = pilot.app.screen
    assert isinstance(screen, OrderListScreen)
    return screen


async def test_every_order_is_listed_newest_first_and_a_client_filter_narrows_it_with_query(office):
    first = new_order(office, "ana", "La impresora no toma papel")
    second = new_order(office, "rosa", "Revisar la cámara de la entrada")
    third = new_order(office, "ana", "Instalar el DVR")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        assert listed_numbers(screen) == [third.number, second.number, first.number]
        await pilot.press("slash")  # the filter bar: status first, then user, then client
        screen.query_one("#filter-client_id-text", Input).focus()
        await burst(pilot, "Ferret")
        await burst(pilot, "<tab>")
        await pilot.press("f7")
        await settle(pilot)
        assert listed_numbers(screen) == [third.number, first.number]


async def test_a_wrong_date_or_an_unknown_client_is_told_at_the_filter_and_the_list_stays(office):
    order = new_order(office, "ana", "La impresora no toma papel")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#filter-created-start", Input).focus()
        await burst(pilot, "31/02/2026")
        await pilot.press("f7")
        await settle(pilot)
        error = str(screen.query_one("#filter-error", Static).render())
        assert error.startswith("✗ ") and "not a valid date" in error
        assert listed_numbers(screen) == [order.number]

        screen.query_one("#filter-created-start", Input).value = ""
        screen.query_one("#filter-client_id-text", Input).focus()
        await burst(pilot, "Nadie se llama así")
        await pilot.press("f7")
        await settle(pilot)
        error = str(screen.query_one("#filter-error", Static).render())
        assert error == "✗ Client: choose a record from the list."
        assert listed_numbers(screen) == [order.number]


async def test_search_finds_words_of_the_detail_and_the_work_without_accents_and_highlights_them(office):
    camera = new_order(office, "ana", "Revisar la cámara de la entrada")
    printer = new_order(office, "rosa", "La impresora no toma papel")
    new_order(office, "rosa", "Instalar el DVR")
    finish(office, printer, work="Se cambió la cámara del pasillo")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#concept", Input).focus()
        await burst(pilot, "camara")
        await pilot.press("f2")
        await settle(pilot)
        assert sorted(listed_numbers(screen)) == [camera.number, printer.number]
        table = screen.table
        detail = cell_text(table, listed_numbers(screen).index(camera.number), 4)
        highlighted = [detail.plain[span.start:span.end] for span in detail.spans if span.style == HIGHLIGHT_STYLE]
        assert highlighted == ["cámara"]

        await burst(pilot, "<slash>")
        screen.query_one("#concept", Input).value = ""
        await pilot.click("#concept-search")  # an empty box lists by the filters alone
        await settle(pilot)
        assert len(listed_numbers(screen)) == 3


async def test_search_keeps_to_the_filters_and_pages_through_every_match(office):
    for index in range(60):
        new_order(office, "ana" if index % 2 else "rosa", f"Cámara {index} sin imagen")
    page = order_query.list_page(orders.OrderFilter(client_id=office["centro"].id), "camara",
                                 PageRequest(limit=20))
    seen = []
    while True:
        seen.extend(record.order.number for record in page.rows)
        assert all(record.order.client_id == office["centro"].id for record in page.rows)
        if not page.has_after:
            break
        page = order_query.list_page(orders.OrderFilter(client_id=office["centro"].id), "camara",
                                     PageRequest(after=page.last_cursor, limit=20))
    assert len(seen) == 30 and len(set(seen)) == 30
    assert seen == sorted(seen, reverse=True)


async def test_enter_and_modify_open_the_order_in_the_single_order_inquiry(office):
    order = new_order(office, "ana", "La impresora no toma papel")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderInquiryScreen) and app.screen.record.number == order.number
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.click("#modify")
        await settle(pilot)
        assert isinstance(app.screen, OrderInquiryScreen) and app.screen.record.number == order.number


async def test_verify_and_reopen_follow_the_row_and_carry_the_listed_version(office):
    open_one = new_order(office, "ana", "Sigue abierta")
    done = finish(office, new_order(office, "rosa", "Ya terminada"))
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        assert listed_numbers(screen) == [done.number, open_one.number]
        assert not screen.query_one("#verify").disabled and not screen.query_one("#reopen").disabled
        await pilot.press("down")
        await settle(pilot)
        assert screen.query_one("#verify").disabled and screen.query_one("#reopen").disabled
        await pilot.press("f5")  # not for an open order: nothing opens
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("up", "f5")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReviewDialog)
        await burst(pilot, "Todo bien", "<tab>", " ", "<tab>", "5")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen
        assert orders.get_order(done.id).order.status == orders.CLOSED
        assert orders.status_label(screen.table.records[0].order.status) == "Closed"

        # Another user reopens it; this list still shows it closed, at the older version.
        seen = orders.get_order(done.id).order
        as_another_user(lambda: orders.reopen_order(office["actor"], done.id, seen.version,
                                                    customer_comments="Desde otra terminal"))
        await pilot.press("f6")
        await settle(pilot)
        dialog = app.screen
        await burst(pilot, "Volvió a fallar")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is dialog  # a conflict: said, nothing overwritten, the text kept
        assert "was changed by" in str(dialog.form.query_one("#form-error", Static).render())
        assert dialog.form.raw_value("customer_comments") == "Volvió a fallar"
    assert orders.get_order(done.id).order.times_reopened == 1


async def test_sheet_writes_the_listed_result_in_the_background_formula_safe(office, tmp_path):
    new_order(office, "ana", "=1+1 " + HOSTILE)
    new_order(office, "rosa", "Revisar la cámara")
    new_order(office, "ana", "Otra cámara más")
    target = tmp_path / "ordenes.xlsx"
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#concept", Input).value = "camara"
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, AskTextDialog)
        app.screen.query_one("#answer", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and not screen.writing_sheet
        assert not screen.query_one("#export-row").display
    sheet = openpyxl.load_workbook(target).active
    details = sorted(row[10] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert details == ["Otra cámara más", "Revisar la cámara"]


async def test_a_formula_looking_detail_stays_text_in_the_sheet(office, tmp_path):
    new_order(office, "ana", "=1+1 " + HOSTILE)
    target = tmp_path / "ordenes.xlsx"
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen._start_sheet(str(target), screen.filters, "")
        await settle(pilot)
    cell = openpyxl.load_workbook(target).active.cell(row=2, column=11)
    assert cell.value == "=1+1 " + HOSTILE and cell.data_type == "s"


async def test_a_cancelled_sheet_leaves_no_file_and_the_list_stays_usable(office, tmp_path, monkeypatch):
    for index in range(5):
        new_order(office, "ana", f"Orden {index}")
    target = tmp_path / "ordenes.xlsx"
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        real_rows = order_query.iter_listed_rows

        def rows_then_cancel(filters, text):
            for row in real_rows(filters, text):
                screen._export_cancel.set()  # the user pressed F10 while it was writing
                yield row

        monkeypatch.setattr(order_query, "iter_listed_rows", rows_then_cancel)
        assert screen.query_one("#cancel_sheet").disabled  # nothing to cancel yet
        screen._start_sheet(str(target), screen.filters, "")
        assert not screen.query_one("#cancel_sheet").disabled
        assert screen.query_one("#export-row").display
        assert isinstance(screen.query_one("#export-progress"), ProgressBar)
        await settle(pilot)
        assert not target.exists()
        assert not screen.writing_sheet and not screen.query_one("#export-row").display
        assert screen.query_one("#cancel_sheet").disabled
        await pilot.press("down")
        assert screen.table.cursor_row == 1


def test_a_match_far_into_its_snippet_is_shown_from_a_little_before_it_highlighted():
    order = orders.OrderRecord(**{name: None for name in orders.OrderRecord.__dataclass_fields__})
    snippet = "…Se cambió la fuente de alimentación y se limpió el lente de la cámara del pasillo"
    start = snippet.index("cámara")
    listed = order_query.ListedOrder(order, snippet, ((start, start + 6),))
    shown = listed.detail_line
    (begin, end), = listed.detail_highlights
    assert shown[begin:end] == "cámara" and begin <= order_query.LEAD_BEFORE_MATCH + 1
    assert shown.startswith("…") and shown.endswith("cámara del pasillo")


async def test_a_click_selects_a_row_a_second_click_opens_it_and_verify_is_clickable(office):
    older = finish(office, new_order(office, "ana", "La impresora no toma papel"))
    new_order(office, "rosa", "Revisar la cámara")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.click(RecordTable, offset=(12, 3))  # the second row: selects it
        await settle(pilot)
        assert app.screen is screen and screen.table.current_record.order.number == older.number
        await pilot.click("#verify")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDialog)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click(RecordTable, offset=(12, 3), times=2)  # a double click opens it
        await settle(pilot)
        assert isinstance(app.screen, OrderInquiryScreen) and app.screen.record.number == older.number
