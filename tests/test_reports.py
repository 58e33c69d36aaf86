"""Reports: each report's figures on a small known data set, its text at 80 columns (a
snapshot in tests/reports_snapshots), the workbook read back, the calendar file, and
`crm report` to the screen, to files and to a stand-in `lp`."""
from __future__ import annotations

import datetime as dt
import itertools
import os
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

import report_data
from crm_tui import i18n
from crm_tui.cli import main
from crm_tui.db import close_database
from crm_tui.export.ics import CalendarEvent, escape_text, fold, render_ics
from crm_tui.export.report import PAGE_WIDTH, render_html, render_text, write_report_xlsx
from crm_tui.export.text import display_width
from crm_tui.services import login, users
from crm_tui.services.base import DateRange
from crm_tui.services.clock import frozen
from crm_tui.services.reports import ReportFilter, all_reports, describe, get_report
from crm_tui.services.reports.restrictions import TypedRestrictions, read_restrictions
from crm_tui.services.errors import ValidationError

SNAPSHOTS = Path(__file__).resolve().parent / "reports_snapshots"
MARCH = DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def data(db):
    with frozen(report_data.NOW):
        yield report_data.fill()


def rows(name: str, **filters) -> list[tuple]:
    """The report's rows on the data set's day (reports without dates show its month)."""
    report = get_report(name)
    with frozen(report_data.NOW):
        return list(report.rows(report.prepared(ReportFilter(**filters))))


def typed(name: str, **values) -> ReportFilter:
    return read_restrictions(get_report(name), TypedRestrictions(**values))


# --- figures -------------------------------------------------------------------------


def test_activities_by_user_and_category(data):
    assert rows("activities-by-user") == [
        ("Ana Ruiz", "Llamada", 2, 0, 1), ("Ana Ruiz", "Visita", 0, 1, 1),
        ("Beto Luna", "Llamada", 0, 1, 1), ("Beto Luna", "Visita", 1, 0, 0)]
    assert rows("activities-by-user", user_id=data["beto"].id, status="done") == [("Beto Luna", "Visita", 1, 0, 0)]


def test_activities_of_a_client_oldest_first(data):
    found = rows("client-activities", client_id=data["centro"].id)
    assert [(row[0], row[2], row[3], row[4]) for row in found] == [
        (1, "Ana Díaz", "Ana Ruiz", "Done"), (2, "Ana Díaz", "Ana Ruiz", "Pending"),
        (4, "Ana Díaz", "Beto Luna", "Pending")]
    assert found[0][1] == dt.datetime(2026, 3, 2, 9, 0)


def test_activities_of_a_client_need_a_client_or_contact(data):
    with pytest.raises(ValidationError, match="needs a client or a contact"):
        rows("client-activities")


def test_pending_tasks_mark_the_overdue_ones(data):
    assert [(row[0], row[1], row[2], row[3]) for row in rows("pending-tasks")] == [
        ("Ana Ruiz", dt.date(2026, 3, 5), "OVERDUE", 3), ("Beto Luna", dt.date(2026, 3, 12), "", 4)]


def test_orders_by_status_open_first_with_their_age_in_days(data):
    assert [(row[0], row[1], row[3]) for row in rows("orders-by-status")] == [
        ("Open", 6, 0), ("Open", 4, 2), ("Finished", 5, 1), ("Closed", 3, 2), ("Closed", 2, 4), ("Closed", 1, 3)]
    assert [row[1] for row in rows("orders-by-status", status="closed", user_id=data["ana"].id)] == [2, 1]


def test_work_by_technician_per_day_defaults_to_this_month(data):
    expected = [("Ana Ruiz", dt.date(2026, 3, 3), 2, 90), ("Ana Ruiz", dt.date(2026, 3, 4), 1, 45),
                ("Ana Ruiz", dt.date(2026, 3, 9), 1, 20), ("Beto Luna", dt.date(2026, 3, 4), 1, 0)]
    assert rows("work-by-technician", dates=MARCH) == expected
    with frozen(report_data.NOW):
        assert rows("work-by-technician") == expected
        chart = page("work-by-technician", typed("work-by-technician")).split("Minutes by technician\n")[1]
    assert [(line.split("  ")[0], line.split()[-1]) for line in chart.splitlines()[1:]] == [
        ("Ana Ruiz", "155"), ("Beto Luna", "0")]


def test_orders_by_client_and_by_project(data):
    assert rows("orders-by-client") == [("Ferretería Centro", 1, 1, 2, 4), ("Hotel Sol", 1, 0, 1, 2)]
    assert rows("orders-by-project") == [("Ferretería Centro", "Cámaras", 1, 0, 2, 3)]


def test_satisfaction_by_technician_and_the_comments(data):
    assert rows("satisfaction") == [("Ana Ruiz", 2, 4.0, 0, 0, 1, 0, 1), ("Beto Luna", 1, 4.0, 0, 0, 0, 1, 0)]
    assert [(row[0], row[1], row[3], row[4]) for row in rows("satisfaction-comments")] == [
        ("Ana Ruiz", 1, 5, "Muy bien"), ("Beto Luna", 3, 4, "=1+1 rápido")]


def test_reopened_orders(data):
    assert [(row[0], row[5]) for row in rows("reopened-orders")] == [(4, 2), (2, 1)]


def test_agenda_of_one_technician_for_one_day(data):
    assert [row[:2] for row in rows("agenda", user_id=data["ana"].id, day=dt.date(2026, 3, 10))] == [("09:30", 5)]
    with frozen(report_data.NOW):
        agenda = typed("agenda", user="Beto Luna")
    assert agenda.day == dt.date(2026, 3, 10)
    assert [row[:3] for row in get_report("agenda").rows(agenda)] == [("11:00", 4, "Hotel Sol")]


def test_work_sheet_of_one_order(data):
    sheet = dict(rows("work-sheet", order_number=5))
    assert sheet["Client"] == "Ferretería Centro"
    assert sheet["Phone"] == "55 1234 5678"
    assert sheet["Technician"] == "Ana Ruiz"


def test_funnel_lost_reasons_and_how_they_found_us(data):
    assert rows("funnel") == [("Ana Ruiz", 1, 0, 0, 1, 1, 3), ("Beto Luna", 0, 0, 1, 0, 1, 2)]
    assert get_report("funnel").chart(ReportFilter()) == [
        ("New", 1), ("Waiting", 0), ("Working", 1), ("Closed", 1), ("Lost", 2)]
    assert [(row[0], row[4], row[5]) for row in rows("lost-reasons")] == [
        (5, "Se fue con otro", "Responder antes"), (2, "Precio alto", "Ofrecer plan anual")]
    assert rows("found-us") == [("Google", 3, 0, 1), ("(not said)", 1, 0, 1), ("Recomendación", 1, 1, 0)]


# --- restrictions ---------------------------------------------------------------------------


def test_restrictions_read_as_people_type_them(data):
    import crm_tui.i18n as i18n

    i18n.set_language("es")
    filters = typed("orders-by-status", date_from="01/03/2026", date_to="10032026", status="Cerrada",
                    user="ana", client="ferreteria")
    assert filters == ReportFilter(dates=DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 10)),
                                   user_id=data["ana"].id, client_id=data["centro"].id, status="closed")
    assert typed("orders-by-status", client="2", user="BETO LUNA").client_id == data["sol"].id


@pytest.mark.parametrize("values, words", [
    ({"date_from": "31/02/2026"}, "not a valid date"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "end date is before"),
    ({"status": "dormida"}, "Status must be one of"),
    ({"client": "99"}, "none with key 99"),
    ({"client": "[bold]"}, "nothing is called"),
    ({"user": "nadie"}, "no user nadie"),
    ({"order": "5"}, "does not take order number"),
])
def test_bad_restrictions_are_one_clear_refusal(data, values, words):
    with pytest.raises(ValidationError, match=words):
        typed("orders-by-status", **values)


# --- writers -----------------------------------------------------------------------------------


def page(name: str, filters: ReportFilter) -> str:
    report = get_report(name)
    filters = report.prepared(filters)
    chart = (lambda: report.chart(filters)) if report.chart else None
    return render_text(report, describe(report, filters), report.rows(filters), chart)


SNAPSHOT_FILTERS = {
    "client-activities": {"client_id": "centro"},
    "agenda": {"user_id": "ana", "day": dt.date(2026, 3, 10)},
    "work-sheet": {"order_number": 5},
    "work-by-technician": {"dates": MARCH},
}


@pytest.mark.parametrize("name", [report.name for report in all_reports() if not report.sheet_only])
def test_text_of_every_report_at_80_columns(data, name):
    filters = {key: data[value].id if isinstance(value, str) else value
               for key, value in SNAPSHOT_FILTERS.get(name, {}).items()}
    with frozen(report_data.NOW):
        text = page(name, ReportFilter(**filters))
    assert all(display_width(line) <= PAGE_WIDTH for line in text.splitlines())
    snapshot = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_REPORT_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with UPDATE_REPORT_SNAPSHOTS=1 and read it"
    assert text == snapshot.read_text(encoding="utf-8")
    i18n.set_language("es")
    with frozen(report_data.NOW):
        spanish = page(name, ReportFilter(**filters))
    assert all(display_width(line) <= PAGE_WIDTH for line in spanish.splitlines())


def test_markup_in_stored_text_is_printed_as_typed(data):
    text = page("work-sheet", ReportFilter(order_number=5))
    assert "revisar [bold]DVR[/]" in text
    html = render_html(get_report("work-sheet"), [], get_report("work-sheet").rows(ReportFilter(order_number=5)))
    assert "revisar [bold]DVR[/]" in html and "Signature and date" in html


def test_a_report_with_nothing_to_show_says_so(data):
    text = page("reopened-orders", ReportFilter(client_id=data["centro"].id, status="open"))
    assert "Nothing to show: no record meets these restrictions." in text
    assert "Total" not in text


def test_workbook_holds_values_real_dates_and_the_totals_row(data, tmp_path):
    target = tmp_path / "work.xlsx"
    report = get_report("work-by-technician")
    seen = []
    count = write_report_xlsx(str(target), report, report.rows(ReportFilter(dates=MARCH)), progress=seen.append)
    assert count == 4 and seen[-1] == 4
    sheet = load_workbook(target).active
    values = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    assert values[0] == ("Technician", "Day", "Entries", "Minutes")
    assert values[1] == ("Ana Ruiz", dt.datetime(2026, 3, 3), 2, 90)
    assert sheet.cell(2, 2).is_date
    assert values[-1] == ("Total", None, 5, 155)


@pytest.mark.parametrize("name", [report.name for report in all_reports()])
def test_every_report_as_a_workbook_has_no_formula(data, name, tmp_path):
    filters = {key: data[value].id if isinstance(value, str) else value
               for key, value in SNAPSHOT_FILTERS.get(name, {}).items()}
    report = get_report(name)
    target = tmp_path / f"{name}.xlsx"
    with frozen(report_data.NOW):
        expected = list(report.rows(report.prepared(ReportFilter(**filters))))
        write_report_xlsx(str(target), report, iter(expected))
    sheet = load_workbook(target).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet.max_row - 1 == len(expected) + (1 if report.sums and expected else 0)
    first = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))] if expected else []
    for value, read in zip(expected[0] if expected else (), first):
        if isinstance(value, bool):
            assert read == ("Yes" if value else "No")
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            assert read == dt.datetime.combine(value, dt.time())
        elif value not in (None, ""):
            assert read == value


def test_comment_starting_with_equals_stays_text_in_the_workbook(data, tmp_path):
    target = tmp_path / "comments.xlsx"
    report = get_report("satisfaction-comments")
    write_report_xlsx(str(target), report, report.rows(ReportFilter()))
    sheet = load_workbook(target).active
    assert sheet.cell(3, 5).value == "=1+1 rápido" and sheet.cell(3, 5).data_type == "s"


def test_calendar_file_escapes_text_and_folds_long_lines():
    event = CalendarEvent(uid="order-5@crm_tui", start=dt.datetime(2026, 3, 10, 9, 30),
                          end=dt.datetime(2026, 3, 10, 10, 30), summary="Order 5: Ferretería; Centro, S.A.",
                          location="Bodega 3; pasillo, norte", description="línea 1\nlínea 2 " + "ñ" * 60)
    text = render_ics([event], dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.timezone.utc), "Agenda")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Order 5: Ferretería\\; Centro\\, S.A.\r\n" in text
    assert "DTSTART:20260310T093000\r\n" in text and "DTSTAMP:20260310T100000Z\r\n" in text
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:línea 1\\nlínea 2 " + "ñ" * 60 + "\r\n" in unfolded
    assert escape_text("a\\b") == "a\\\\b" and fold("x" * 80) == "x" * 75 + "\r\n " + "x" * 5 + "\r\n"


# --- crm report ----------------------------------------------------------------------------------


@pytest.fixture
def crm(db_url, data, monkeypatch, capsys, tmp_path):
    """Run `crm report …` on the data set, as the system user ana, on 10/03/2026."""
    monkeypatch.setattr(login, "system_login", lambda: "ana")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    close_database()

    def run(*args: str) -> tuple[int, str, str]:
        with frozen(report_data.NOW):
            code = main(["--lang", "en", "--db", db_url, "report", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_crm_report_list_names_each_report_first(crm):
    code, out, _err = crm("--list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(all_reports())
    assert lines[0].split()[0] == "activities-by-user"
    assert any(line.startswith("agenda") and "--user USER [--day DATE]" in line for line in lines)


def test_crm_report_on_screen_is_the_snapshot_text(crm):
    code, out, _err = crm("funnel")
    assert code == 0
    assert out == (SNAPSHOTS / "funnel.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, words", [
    (("orders-by-status", "--from", "31/02/2026"), "not a valid date"),
    (("orders-by-status", "--order", "5"), "does not take order number"),
    (("nonsense",), "There is no report nonsense"),
    (("work-sheet", "--order", "77"), "no service order number 77"),
    (("agenda", "-o", "agenda.pdf", "--user", "ana"), "written as .txt, .html, .xlsx, .ics, not agenda.pdf"),
    (("funnel", "-o", "funnel.ics"), "not funnel.ics"),
])
def test_crm_report_bad_input_is_one_line_and_exit_2(crm, args, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = crm(*args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err


def test_crm_report_writes_each_format_by_extension(crm, tmp_path):
    for suffix in (".txt", ".html", ".xlsx"):
        target = tmp_path / f"satisfaction{suffix}"
        code, out, _err = crm("satisfaction", "-o", str(target))
        assert code == 0 and "2 rows written" in out and target.exists()
    assert (tmp_path / "satisfaction.txt").read_text(encoding="utf-8") == (
        SNAPSHOTS / "satisfaction.txt").read_text(encoding="utf-8")
    assert "<h1>Customer satisfaction by technician</h1>" in (tmp_path / "satisfaction.html").read_text()
    code, out, _err = crm("agenda", "--user", "ana", "--day", "2026-03-10", "-o", str(tmp_path / "ana.ics"))
    calendar = (tmp_path / "ana.ics").read_bytes().decode("utf-8")
    assert code == 0 and calendar.count("BEGIN:VEVENT") == 1 and "DTSTART:20260310T093000" in calendar
    assert "LOCATION:Bodega 3\\; pasillo\\, norte" in calendar.replace("\r\n ", "")


def test_crm_report_to_a_file_with_nothing_to_show_says_so(crm, tmp_path):
    code, out, _err = crm("reopened-orders", "--status", "finished", "-o", str(tmp_path / "none.xlsx"))
    assert code == 0 and "Nothing to show" in out


def stand_in(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def printing(tmp_path, monkeypatch):
    """A folder on PATH for stand-in lp / lpstat; lp records its arguments and input."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return folder


def test_crm_report_print_sends_the_text_to_lp(crm, printing, tmp_path):
    stand_in(printing, "lpstat", 'case "$1" in -e) echo oficina; echo bodega;; '
                                 '-d) echo "system default destination: bodega";; esac\n')
    stand_in(printing, "lp", f'echo "$@" > {tmp_path}/lp-args\ncat > {tmp_path}/lp-input\necho "request id is x-1"\n')
    code, out, _err = crm("funnel", "--print", "--printer", "oficina")
    assert code == 0 and "Sent to the printer oficina." in out
    assert (tmp_path / "lp-args").read_text().split() == [
        "-d", "oficina", "-t", "Opportunities", "by", "status", "and", "agent", "-o", "cpi=12", "-o", "lpi=7", "-"]
    assert (tmp_path / "lp-input").read_text(encoding="utf-8") == (SNAPSHOTS / "funnel.txt").read_text(encoding="utf-8")
    code, out, _err = crm("funnel", "--print")
    assert code == 0 and "printer bodega" in out


@pytest.mark.parametrize("lp, lpstat, words", [
    (False, None, "the lp command is missing"),
    (True, "", "no printer is set up"),
    (True, "echo oficina", "There is no printer sotano; the printers are: oficina."),
])
def test_crm_report_print_says_why_it_cannot(crm, printing, lp, lpstat, words):
    if lp:
        stand_in(printing, "lp", "exit 0\n")
    if lpstat is not None:
        stand_in(printing, "lpstat", lpstat + "\n")
    code, _out, err = crm("funnel", "--print", *(["--printer", "sotano"] if "sotano" in words else []))
    assert code != 0 and len(err.strip().splitlines()) == 1 and words in err


@pytest.mark.parametrize("suffix", [".xlsx", ".txt"])
def test_crm_report_interrupted_leaves_no_half_file(crm, monkeypatch, tmp_path, suffix):
    import dataclasses

    from crm_tui.services import reports

    report = get_report("orders-by-status")

    def rows_then_ctrl_c(filters):
        yield from itertools.islice(report.rows(filters), 3)
        raise KeyboardInterrupt

    monkeypatch.setitem(reports.REPORTS, report.name, dataclasses.replace(report, rows=rows_then_ctrl_c))
    target = tmp_path / f"orders{suffix}"
    code, _out, err = crm("orders-by-status", "-o", str(target))
    assert code == 130 and "was not written" in err
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".orders") or
                  path.name.startswith("orders")) == []


def test_wide_characters_wrap_within_80_columns():
    from crm_tui.export.report import wrap

    lines = wrap("Client: 98 [bold]Hostil[/] " + "🔧📷 " * 30 + "x" * 100, 80)
    assert all(display_width(line) <= 80 for line in lines)
    assert "".join(lines).replace(" ", "") == ("Client:98[bold]Hostil[/]" + "🔧📷" * 30 + "x" * 100)


def test_whole_lists_are_sheets_of_the_registry(crm, tmp_path):
    target = tmp_path / "orders.xlsx"
    code, out, _err = crm("orders", "--status", "cerrada", "--client", "Ferretería Centro", "-o", str(target))
    assert code == 0 and "2 rows written" in out
    sheet = load_workbook(target).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [1, 2]
    code, _out, err = crm("orders")
    assert code == 2 and "crm report orders -o FILE.xlsx" in err
    code, out, _err = crm("--list")
    assert any(line.startswith("orders ") and "(a sheet: -o FILE.xlsx)" in line for line in out.splitlines())


def test_crm_report_sheet_shows_progress_on_a_terminal(crm, monkeypatch, tmp_path):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, _out, _err = crm("orders-by-status", "-o", str(tmp_path / "orders.xlsx"))
    assert code == 0
    assert "Service orders by status, with their age" in terminal.getvalue()
    assert "6/6 rows" in terminal.getvalue()


def test_html_page_escapes_stored_text():
    report = get_report("lost-reasons")
    row = (7, dt.date(2026, 3, 9), "<b>Ana</b>", "A & B", "<script>alert(1)</script>", "=1+1")
    page_html = render_html(report, ["Client: <i>x</i>"], [row])
    assert "<script>" not in page_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html
    assert "&lt;b&gt;Ana&lt;/b&gt;" in page_html and "A &amp; B" in page_html
    assert "<p>Client: &lt;i&gt;x&lt;/i&gt;</p>" in page_html and "2026-03-09" in page_html
