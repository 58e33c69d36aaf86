"""[Sheet] is one piece (widgets/sheet_writer.py) on every screen that offers it: the
activities query, the general order inquiry and the report screen each write a sheet that
reads back with openpyxl, and a sheet stopped while it is written leaves no file at all."""
from __future__ import annotations

import dataclasses

import pytest
from openpyxl import load_workbook

from crm_tui.widgets.sheet_writer import SheetWriter
from test_app_reports import choose, messages, report_world  # noqa: F401
from test_app_support import SIZE, burst, make_app, open_item, settle, ui_db  # noqa: F401

# menu item, the key of [Sheet], the report chosen first (report screen only), the sheet's first header
SCREENS = {
    "activities": ("query_activity", "<f5>", None, "Folio"),
    "orders": ("order_list", "<f4>", None, "Number"),
    "report": ("reports", "<f6>", "funnel", "Agent"),
}


async def ask_for_sheet(pilot, screen_name: str, target) -> None:
    item, key, report, _header = SCREENS[screen_name]
    await open_item(pilot, item)
    if report:
        await choose(pilot, report)
    await burst(pilot, key)
    pilot.app.screen.query_one("#answer").value = str(target)
    await burst(pilot, "<enter>")


@pytest.mark.parametrize("screen_name", list(SCREENS))
async def test_each_screen_writes_its_sheet_through_the_one_writer(report_world, tmp_path, screen_name):
    actor, _data = report_world
    target = tmp_path / "sheet.xlsx"
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await ask_for_sheet(pilot, screen_name, target)
        await settle(pilot)
        writer = app.screen.query_one(SheetWriter)
        assert not writer.writing and not writer.display
        assert str(target) in messages(app)
    rows = list(load_workbook(target, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == SCREENS[screen_name][3]
    assert len(rows) > 1


@pytest.mark.parametrize("screen_name", list(SCREENS))
async def test_a_sheet_stopped_on_any_screen_leaves_no_file(report_world, tmp_path, monkeypatch, screen_name):
    actor, _data = report_world
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "sheet.xlsx"
    started = SheetWriter.start

    def stopped_once_counted(writer, path, job):
        def count():
            total = job.count()
            writer.stop()  # the user stops it as the rows start to be written
            return total

        started(writer, path, dataclasses.replace(job, count=count))

    monkeypatch.setattr(SheetWriter, "start", stopped_once_counted)
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await ask_for_sheet(pilot, screen_name, target)
        await settle(pilot)
        writer = app.screen.query_one(SheetWriter)
        assert not writer.writing and not writer.display
        assert "no file was written" in messages(app)
    assert list(folder.iterdir()) == []
