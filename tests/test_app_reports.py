"""The report screens (Reports, Order reports): choose a report, restrict it, [Print] to the
page view and from there to a stand-in `lp` or a file, [Sheet] read back with openpyxl;
the page view at 80x24 in Spanish; the filter bar each report's restrictions give."""
from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook
from textual.widgets import Select

import report_data
from crm_tui import i18n
from crm_tui.export.report import render_text
from crm_tui.screens.report_parts import ReportPageScreen, ReportScreen
from crm_tui.services import users
from crm_tui.services.base import DateRange
from crm_tui.services.clock import frozen
from crm_tui.services.errors import ValidationError
from crm_tui.services.filters import CHOICE, DATE, DATE_RANGE, LOOKUP, TEXT, filter_fields
from crm_tui.services.reports import ReportFilter, describe, get_report
from crm_tui.services.reports.restrictions import read_bar, restriction_filter
from crm_tui.widgets.filter_bar import FilterBar
from test_app_support import SIZE, burst, make_app, open_item, settle, ui_db  # noqa: F401

SNAPSHOTS = Path(__file__).resolve().parent / "reports_snapshots"


@pytest.fixture
def report_world(ui_db):
    """The reports' small data set (tests/report_data.py) and an admin to use the screens."""
    actor = users.bootstrap_first_admin("jefa", "Jefa de Área")
    with frozen(report_data.NOW):
        data = report_data.fill()
    with frozen(report_data.NOW):
        yield actor, data


@pytest.fixture
def printing(tmp_path, monkeypatch):
    """Stand-in lpstat (two printers, bodega the default) and lp (records its arguments and input)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    scripts = {
        "lpstat": 'case "$1" in -e) echo oficina; echo bodega;; -d) echo "system default destination: bodega";; esac',
        "lp": f'echo "$@" > {tmp_path}/lp-args\ncat > {tmp_path}/lp-input\necho "request id is x-1"',
    }
    for name, script in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + script + "\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return tmp_path


def messages(app) -> str:
    return " | ".join(str(notification.message) for notification in app._notifications)


def filter_error(app) -> str:
    return str(app.screen.query_one("#filter-error").render())


def page_text(app) -> str:
    assert isinstance(app.screen, ReportPageScreen), messages(app)
    return "\n".join(app.screen.page.lines) + "\n"


async def choose(pilot, name: str) -> None:
    """Highlight the report in the list with the arrows and take it with Enter."""
    screen = pilot.app.screen
    screen.query_one("#report-list").focus()
    await burst(pilot, "<home>", *["<down>"] * [report.name for report in screen.reports].index(name), "<enter>")
    assert screen.report.name == name
    for _turn in range(50):  # the report's restrictions replace the other's as the arrows go by
        if screen.query_one(FilterBar).filter_class is restriction_filter(screen.report):
            break
        await pilot.pause(0.02)


async def answer(pilot, text: str) -> None:
    """Replace the suggested answer of the dialog in front and press Enter."""
    pilot.app.screen.query_one("#answer").value = text
    await burst(pilot, "<enter>")


def sheet_rows(path: Path) -> list[tuple]:
    return list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))


async def test_reports_screen_shows_prints_saves_and_sheets_the_funnel(report_world, printing):
    actor, _data = report_world
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "reports")
        assert isinstance(app.screen, ReportScreen)
        await choose(pilot, "funnel")
        assert app.focused.id == "filter-dates-start"
        await burst(pilot, "2026-02-31", "<enter>")
        assert "not a valid date" in filter_error(app) and app.focused.id == "filter-dates-start"
        assert isinstance(app.screen, ReportScreen)

        app.focused.value = ""
        await burst(pilot, "<f5>")
        assert page_text(app) == (SNAPSHOTS / "funnel.txt").read_text(encoding="utf-8")
        assert "Opportunities by status" in page_text(app) and "█" in page_text(app)

        await burst(pilot, "<f5>")
        await burst(pilot, "<enter>")  # the system's default printer is highlighted
        assert "Sent to the printer bodega." in messages(app)
        assert (printing / "lp-args").read_text().split()[:2] == ["-d", "bodega"]
        assert (printing / "lp-input").read_text(encoding="utf-8") == page_text(app)

        await burst(pilot, "<f2>")
        await answer(pilot, str(printing / "funnel.html"))
        assert "<h1>Opportunities by status and agent</h1>" in (printing / "funnel.html").read_text(encoding="utf-8")
        await burst(pilot, "<f2>")
        await answer(pilot, str(printing / "funnel.pdf"))
        assert "not funnel.pdf" in messages(app)

        await burst(pilot, "<escape>", "<f6>")
        await answer(pilot, str(printing / "funnel.xlsx"))
        assert "rows exported" in messages(app)
        rows = sheet_rows(printing / "funnel.xlsx")
        assert rows[0][0] == "Agent" and [row[0] for row in rows[1:]] == ["Ana Ruiz", "Beto Luna", "Total"]
        assert rows[-1][-1] == 5  # five opportunities in all


async def test_order_reports_screen_refuses_at_the_field_then_prints_and_sheets(report_world, printing):
    actor, _data = report_world
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "order_reports")
        await choose(pilot, "work-sheet")
        await burst(pilot, "<f5>")
        assert "needs order number" in filter_error(app) and app.focused.id == "filter-order_number"
        await burst(pilot, "99", "<enter>")
        assert isinstance(app.screen, ReportScreen) and "99" in filter_error(app)
        assert app.focused.id == "filter-order_number"

        app.focused.value = "5"
        await burst(pilot, "<enter>")
        report = get_report("work-sheet")
        filters = report.prepared(ReportFilter(order_number=5))
        expected = render_text(report, describe(report, filters), report.rows(filters))
        assert page_text(app) == expected and "Customer's name and signature:" in expected
        await burst(pilot, "<f2>")
        await answer(pilot, str(printing / "order-5.txt"))
        assert (printing / "order-5.txt").read_text(encoding="utf-8") == expected
        await burst(pilot, "<f5>")
        await burst(pilot, "<down>", "<enter>")
        assert (printing / "lp-args").read_text().split()[:2] == ["-d", "oficina"]

        await burst(pilot, "<escape>")
        await choose(pilot, "reopened-orders")
        app.screen.query_one("#filter-status", Select).value = "finished"
        await burst(pilot, "<f5>")
        assert "Nothing to show" in page_text(app)

        await burst(pilot, "<escape>")
        await choose(pilot, "work-by-technician")
        await burst(pilot, "2026-03-01", "<tab>", "2026-03-31", "<enter>")
        assert page_text(app) == (SNAPSHOTS / "work-by-technician.txt").read_text(encoding="utf-8")
        await burst(pilot, "<escape>", "<f6>")
        await answer(pilot, str(printing / "work.xlsx"))
        rows = sheet_rows(printing / "work.xlsx")
        assert rows[1] == ("Ana Ruiz", dt.datetime(2026, 3, 3), 2, 90)
        assert rows[-1] == ("Total", None, 5, 155)


async def test_printing_without_a_printer_says_so(report_world, tmp_path, monkeypatch):
    actor, _data = report_world
    monkeypatch.setenv("PATH", str(tmp_path))  # no lp, no lpstat
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "reports")
        await choose(pilot, "found-us")
        await burst(pilot, "<f5>", "<f5>")
        assert "the lp command is missing" in messages(app)
        assert isinstance(app.screen, ReportPageScreen)


def test_each_restriction_is_a_filter_of_its_kind(report_world):
    kinds = {spec.name: spec.kind for spec in filter_fields(restriction_filter(get_report("orders-by-status")))}
    assert kinds == {"dates": DATE_RANGE, "user_id": LOOKUP, "client_id": LOOKUP, "project_id": LOOKUP,
                     "status": CHOICE}
    agenda = {spec.name: spec.kind for spec in filter_fields(restriction_filter(get_report("agenda")))}
    assert agenda == {"user_id": LOOKUP, "day": DATE}
    sheet = filter_fields(restriction_filter(get_report("work-sheet")))
    assert [(spec.name, spec.kind) for spec in sheet] == [("order_number", TEXT)]


def test_the_bar_reads_into_the_reports_filter_with_its_defaults(report_world):
    _actor, data = report_world
    agenda = get_report("agenda")
    bar = restriction_filter(agenda)
    assert read_bar(agenda, bar(user_id=data["ana"].id)) == ReportFilter(user_id=data["ana"].id,
                                                                         day=report_data.NOW.date())
    with pytest.raises(ValidationError) as refused:
        read_bar(agenda, bar())
    assert refused.value.field == "user_id"
    work = get_report("work-by-technician")
    assert read_bar(work, restriction_filter(work)()).dates == DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    sheet = get_report("work-sheet")
    with pytest.raises(ValidationError) as refused:
        read_bar(sheet, restriction_filter(sheet)(order_number="12x"))
    assert refused.value.field == "order_number"


def test_work_by_technician_page_in_spanish(report_world, snap_compare):
    actor, _data = report_world
    i18n.set_language("es")

    async def ready(pilot):
        await open_item(pilot, "order_reports")
        await choose(pilot, "work-by-technician")
        await burst(pilot, "<f5>")

    assert snap_compare(make_app(actor), terminal_size=SIZE, run_before=ready)
