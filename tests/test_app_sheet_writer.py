"""[Sheet] is one piece (widgets/sheet_writer.py) on every screen that offers it: the
activities query, the general order inquiry and the report screen each write a sheet that
reads back with openpyxl; a sheet stopped while it is written, or whose screen is left,
leaves no file at all; a name in a folder that does not exist is refused before writing."""
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


async def sheet_said(actor, screen_name: str, target) -> str:
    """Ask for the sheet on the screen and wait for it to end; what the user was told."""
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await ask_for_sheet(pilot, screen_name, target)
        await settle(pilot)
        writer = app.screen.query_one(SheetWriter)
        assert not writer.writing and not writer.display
        return messages(app)


@pytest.mark.parametrize("screen_name", list(SCREENS))
async def test_each_screen_writes_its_sheet_through_the_one_writer(report_world, tmp_path, screen_name):
    target = tmp_path / "sheet.xlsx"
    assert str(target) in await sheet_said(report_world[0], screen_name, target)
    rows = list(load_workbook(target, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == SCREENS[screen_name][3]
    assert len(rows) > 1


@pytest.mark.parametrize("screen_name", list(SCREENS))
async def test_a_sheet_stopped_on_any_screen_leaves_no_file(report_world, tmp_path, monkeypatch, screen_name):
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
    assert "no file was written" in await sheet_said(report_world[0], screen_name, target)
    assert list(folder.iterdir()) == []


async def test_leaving_the_screen_stops_its_sheet_and_the_app_goes_on(report_world, tmp_path, monkeypatch):
    import threading

    from crm_tui.screens import query_activity

    actor, _data = report_world
    folder = tmp_path / "out"
    folder.mkdir()
    release = threading.Event()
    listed = query_activity.activities.iter_activity_rows

    def slow_rows(*args, **kwargs):
        for row in listed(*args, **kwargs):
            release.wait(10)
            yield row

    monkeypatch.setattr(query_activity.activities, "iter_activity_rows", slow_rows)
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        await burst(pilot, "<f5>")
        app.screen.query_one("#answer").value = str(folder / "sheet.xlsx")
        await pilot.press("enter")
        await pilot.pause()
        sheet_screen = app.screen
        assert sheet_screen.query_one(SheetWriter).writing
        await pilot.press("escape")
        release.set()
        await settle(pilot)
        for _turn in range(100):  # the screen's worker is no longer the app's to wait for
            if messages(app):
                break
            await pilot.pause(0.05)
        assert app.screen is not sheet_screen and app.is_running
        assert "no file was written" in messages(app)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("screen_name", list(SCREENS))
async def test_each_screen_refuses_a_sheet_in_a_folder_that_does_not_exist(report_world, tmp_path, screen_name):
    said = await sheet_said(report_world[0], screen_name, tmp_path / "missing" / "sheet.xlsx")
    assert f"The folder {tmp_path / 'missing'} does not exist." in said
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("language, list_words, report_words", [
    ("en", "The sheet is written as .xlsx, not sheet.csv.", "This report is written as .xlsx, not sheet.csv."),
    ("es", "La hoja se escribe como .xlsx, no como sheet.csv.", "Este reporte se escribe como .xlsx, no como sheet.csv."),
])
@pytest.mark.parametrize("screen_name", list(SCREENS))
async def test_a_sheet_name_of_another_kind_is_refused_in_the_words_of_the_screen(report_world, tmp_path, screen_name,
                                                                                 language, list_words, report_words):
    from crm_tui import i18n

    i18n.set_language(language)
    said = await sheet_said(report_world[0], screen_name, tmp_path / "sheet.csv")
    expected = report_words if screen_name == "report" else list_words
    assert expected in said
    assert "report" not in said.casefold() or screen_name == "report"
    assert not (tmp_path / "sheet.csv").exists()
