"""[Excel] on the catalogs and [Sheet] on an opportunity's history go through the one
sheet writer: a progress row, F10 stops it and leaves no file, cells are values; the
catalog's sheet lists its rows in the order chosen on screen."""
from __future__ import annotations

import threading

import openpyxl
import pytest

from crm_tui.screens import clients as clients_screen
from crm_tui.screens import opportunity_history
from crm_tui.screens.opportunity_history import OpportunityHistoryScreen
from crm_tui.services import catalogs, opportunities
from crm_tui.services.opportunities import OpportunityFilter
from crm_tui.widgets.sheet_writer import SheetWriter
from test_app_opportunities import sales  # noqa: F401
from test_app_support import SIZE, burst, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401


def sheet_rows(path) -> list[list]:
    return [list(row) for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def messages(app) -> str:
    return " | ".join(str(notification.message) for notification in app._notifications)


async def write_sheet(pilot, target) -> None:
    await burst(pilot, "<f5>")
    pilot.app.screen.query_one("#answer").value = str(target)
    await burst(pilot, "<enter>")


def held(rows_of, release: threading.Event):
    """`rows_of` whose every row waits for `release`: the sheet stays being written."""
    def rows(*args, **kwargs):
        for row in rows_of(*args, **kwargs):
            release.wait(10)
            yield row
    return rows


async def stop_with_f10(pilot, target, release: threading.Event, total: int) -> None:
    """Start the sheet to `target`, see it being written (0 of `total` rows), stop it with
    F10 and let the held rows go: the writer is gone and says no file was written."""
    await burst(pilot, "<f5>")
    pilot.app.screen.query_one("#answer").value = str(target)
    await pilot.press("enter")  # not settled: the sheet is still being written
    await pilot.pause()
    writer = pilot.app.screen.query_one(SheetWriter)
    assert writer.writing and writer.display
    assert f"0/{total} rows" in str(writer.query_one("#export-rows").render())
    await pilot.press("f10")
    release.set()
    await settle(pilot)
    assert not writer.writing and not writer.display
    assert "no file was written" in messages(pilot.app)


@pytest.fixture
def three_clients(ui_admin):
    for name in ("Bravo", "=HYPERLINK(\"http://x\")", "Alfa"):
        catalogs.add_client(ui_admin, catalogs.ClientInput(name=name, phone="55 1234"))
    return ui_admin


async def test_the_clients_sheet_follows_the_order_chosen_on_screen(three_clients, tmp_path):
    app = make_app(three_clients)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("right", "s", "s")  # by name, then reversed
        await settle(pilot)
        listed = [record.name for record in app.screen.table.records]
        assert listed == ["Bravo", "Alfa", "=HYPERLINK(\"http://x\")"]
        target = tmp_path / "clientes.xlsx"
        await write_sheet(pilot, target)
        await settle(pilot)
        assert f"3 rows exported to {target}" in messages(app)
    rows = sheet_rows(target)
    assert rows[0][:2] == ["Key", "Name"]
    assert [row[1] for row in rows[1:]] == listed
    cell = openpyxl.load_workbook(target).active["B4"]
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"  # text, not a formula


@pytest.mark.parametrize("item, header", [("contacts", "Key"), ("projects", "Key"), ("categories", "Name"),
                                          ("opportunity_types", "Name"), ("users", "Username")])
async def test_every_catalog_writes_its_sheet_through_the_one_writer(ui_admin, tmp_path, item, header):
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Hotel Las Palmas"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Marta Ruiz"))
    catalogs.add_project(ui_admin, catalogs.ProjectInput(client_id=client.id, name="Red nueva"))
    catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Llamada"))
    catalogs.add_opportunity_type(ui_admin, catalogs.OpportunityTypeInput(name="Venta"))
    started = []
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, item)
        writer = app.screen.query_one(SheetWriter)
        original = writer.start
        writer.start = lambda target, job: (started.append(target), original(target, job))
        target = tmp_path / "sheet.xlsx"
        await write_sheet(pilot, target)
        await settle(pilot)
        assert started == [target]
        assert not writer.writing and not writer.display
    rows = sheet_rows(target)
    assert rows[0][0] == header and len(rows) >= 2


async def test_f10_stops_a_catalog_sheet_and_leaves_no_file(three_clients, tmp_path, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(clients_screen.catalogs, "iter_client_rows",
                        held(clients_screen.catalogs.iter_client_rows, release))
    folder = tmp_path / "out"
    folder.mkdir()
    app = make_app(three_clients)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await stop_with_f10(pilot, folder / "clientes.xlsx", release, total=3)
    assert list(folder.iterdir()) == []


async def open_history(pilot) -> OpportunityHistoryScreen:
    await open_item(pilot, "query_opportunities")
    pilot.app.screen.show_filtered(OpportunityFilter(status="working"))
    await settle(pilot)
    await burst(pilot, "<f4>")
    assert isinstance(pilot.app.screen, OpportunityHistoryScreen)
    return pilot.app.screen


async def test_the_history_sheet_is_written_by_the_one_writer_and_its_cells_are_values(sales, tmp_path):
    first = sales["first"]
    opportunities.change_status(sales["actor"], first.id, first.version, "working", comment="=1+1 piezas")
    target = tmp_path / "historial.xlsx"
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        history = await open_history(pilot)
        await write_sheet(pilot, target)
        await settle(pilot)
        writer = history.query_one(SheetWriter)
        assert not writer.writing and not writer.display
        assert f"2 movements written to {target}" in messages(app)
    cell = openpyxl.load_workbook(target).active["E3"]
    assert cell.value == "=1+1 piezas" and cell.data_type == "s"


async def test_f10_stops_the_history_sheet_and_leaves_no_file(sales, tmp_path, monkeypatch):
    first = sales["first"]
    opportunities.change_status(sales["actor"], first.id, first.version, "working", comment="Cotizar")
    release = threading.Event()
    monkeypatch.setattr(opportunity_history.opportunities, "history_rows",
                        held(opportunity_history.opportunities.history_rows, release))
    folder = tmp_path / "out"
    folder.mkdir()
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await stop_with_f10(pilot, folder / "historial.xlsx", release, total=2)
    assert list(folder.iterdir()) == []
