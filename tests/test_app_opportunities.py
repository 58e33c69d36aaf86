"""The opportunity screens: add, look up, follow up (the status rules through the screens),
history (clipboard, sheet, printer) and the home screen's status buttons."""
from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from textual.widgets import Static

from crm_tui import i18n
from crm_tui.db.models import Opportunity
from crm_tui.screens.opportunity_followup import OpportunityFollowupScreen
from crm_tui.screens.opportunity_history import OpportunityHistoryScreen
from crm_tui.screens.query_opportunities import QueryOpportunitiesScreen
from crm_tui.services import catalogs, opportunities
from crm_tui.services.clock import frozen
from crm_tui.services.opportunities import OpportunityFilter
from test_app_support import SIZE, burst, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401

DAY = dt.datetime(2026, 11, 27, 9, 30)


@pytest.fixture
def sales(ui_admin):
    """Two new opportunities of Rosa Díaz (Ferretería Centro), on a fixed day."""
    with frozen(DAY):
        client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro"))
        contact = catalogs.add_contact(ui_admin, catalogs.ContactInput(
            client_id=client.id, name="Rosa Díaz", phone="55 1234 5678", email="rosa@ferreteria.mx"))
        kind = catalogs.add_opportunity_type(ui_admin, catalogs.OpportunityTypeInput(name="Cámaras"))
        first = opportunities.add_opportunity(ui_admin, opportunities.OpportunityInput(
            contact_id=contact.id, type_id=kind.id, subject="Ocho cámaras para la bodega"))
        second = opportunities.add_opportunity(ui_admin, opportunities.OpportunityInput(
            contact_id=contact.id, type_id=kind.id, subject="Control de acceso"))
    with frozen(DAY):
        yield {"actor": ui_admin, "contact": contact, "type": kind, "first": first, "second": second}


def shown(screen, selector: str) -> str:
    """What a Static of the screen holds now."""
    return str(screen.query_one(selector, Static).content)


def status_of(record) -> str:
    return Opportunity.get_by_id(record.id).status


async def open_followup(pilot, status: str | None, number: int) -> OpportunityFollowupScreen:
    """From the list filtered on `status`, Enter on opportunity `number`."""
    screen = pilot.app.screen
    assert isinstance(screen, QueryOpportunitiesScreen)
    screen.show_filtered(OpportunityFilter(status=status))
    await settle(pilot)
    record = next(r for r in screen.table.records if r.number == number)
    screen.table.show_record(record.id)
    await settle(pilot)
    await burst(pilot, "<enter>")
    assert isinstance(pilot.app.screen, OpportunityFollowupScreen)
    return pilot.app.screen


async def test_add_opportunity_shows_the_contacts_data_and_creates_it(sales):
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "add_opportunity")
        await burst(pilot, "Rosa", "<tab>")
        details = shown(app.screen, "#contact-details")
        assert "Ferretería Centro" in details and "55 1234 5678" in details and "rosa@ferreteria.mx" in details
        await burst(pilot, "Cámaras", "<tab>", "<tab>", "Cotización", "<tab>", "Ocho", "<tab>",
                    "Recomendación")
        await burst(pilot, "<f8>")
        assert "Opportunity 3 created." in shown(app.screen, "#last-saved")
    created = opportunities.get_opportunity(Opportunity.get(Opportunity.number == 3).id).opportunity
    assert (created.contact_name, created.client_name, created.type_name, created.agent_id) == (
        "Rosa Díaz", "Ferretería Centro", "Cámaras", sales["actor"].id)
    assert (created.subject, created.found_us_by, created.status) == ("Cotización", "Recomendación", "new")


async def test_the_status_rules_through_the_screens(sales):
    first, second = sales["first"], sales["second"]
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_opportunities")
        assert [r.number for r in app.screen.table.records] == [2, 1]  # it opens on the new ones

        # new -> waiting: Save refuses at the empty comment, then at the missing date.
        followup = await open_followup(pilot, "new", 1)
        await burst(pilot, "<f8>")
        assert "Choose the new status first" in shown(followup, "#form-error")
        await burst(pilot, "<f3>")
        assert not followup.form.is_shown("invoice_number") and followup.form.is_shown("next_contact_date")
        await burst(pilot, "<f8>")
        assert "comment" in followup.form.errors() and app.focused is followup.form.widget_for("comment")
        await burst(pilot, "Llamar el lunes")
        await burst(pilot, "<f8>")
        assert "next_contact_date" in followup.form.errors()
        assert app.focused is followup.form.widget_for("next_contact_date")
        await burst(pilot, "2026-11-30")
        await burst(pilot, "<f8>")
        assert isinstance(app.screen, QueryOpportunitiesScreen), followup.form.errors()
        assert status_of(first) == "waiting"
        assert [r.number for r in app.screen.table.records] == [2]

        # waiting -> working: the follow-up comment.
        await open_followup(pilot, "waiting", 1)
        await burst(pilot, "<f4>", "Ya pidió la cotización")
        await burst(pilot, "<f8>")
        assert status_of(first) == "working"

        # working -> closed: refused at the empty invoice number.
        followup = await open_followup(pilot, "working", 1)
        await burst(pilot, "<f5>")
        assert not followup.form.is_shown("why_lost")
        await burst(pilot, "<f8>")
        assert "invoice_number" in followup.form.errors() and app.focused is followup.form.widget_for("invoice_number")
        await burst(pilot, "F-1001")
        await burst(pilot, "<f8>")
        assert status_of(first) == "closed"

        # A closed one cannot change any more: its buttons are off.
        followup = await open_followup(pilot, "closed", 1)
        assert followup.query_one("#to-lost").disabled and followup.query_one("#save").disabled
        await burst(pilot, "<escape>")

        # new -> lost: refused at what to improve while it is empty.
        followup = await open_followup(pilot, "new", 2)
        await burst(pilot, "<f6>", "Eligió otro proveedor")
        await burst(pilot, "<f8>")
        assert "to_improve" in followup.form.errors() and app.focused is followup.form.widget_for("to_improve")
        assert status_of(second) == "new"
        await burst(pilot, "Responder más rápido")
        await burst(pilot, "<f8>")
        assert status_of(second) == "lost"
    stored = opportunities.get_opportunity(first.id)
    assert [(e.from_status, e.to_status) for e in stored.events] == [
        ("", "new"), ("new", "waiting"), ("waiting", "working"), ("working", "closed")]
    assert stored.opportunity.invoice_number == "F-1001"
    lost = opportunities.get_opportunity(second.id).opportunity
    assert (lost.why_lost, lost.to_improve) == ("Eligió otro proveedor", "Responder más rápido")


async def test_a_change_made_meanwhile_is_told_and_what_was_typed_stays(sales):
    first = sales["first"]
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_opportunities")
        followup = await open_followup(pilot, "new", 1)
        opportunities.change_status(sales["actor"], first.id, first.version, "working", comment="Otro usuario")
        await burst(pilot, "<f4>", "Mi comentario")
        await burst(pilot, "<f8>")
        assert app.screen is followup
        assert "F9" in shown(followup, "#form-error")
        assert followup.form.raw_value("comment") == "Mi comentario"
        await burst(pilot, "<f9>")
        await burst(pilot, "<f8>")
        assert isinstance(app.screen, QueryOpportunitiesScreen)
    assert [e.comment for e in opportunities.history(first.id)][-2:] == ["Otro usuario", "Mi comentario"]


async def test_history_copies_writes_a_sheet_and_prints(sales, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    first = sales["first"]
    opportunities.change_status(sales["actor"], first.id, first.version, "lost", why_lost="Precio",
                                to_improve="Ofrecer pagos")
    printed = tmp_path / "printed.txt"
    stand_in = tmp_path / "bin" / "lp"
    stand_in.parent.mkdir()
    stand_in.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/arguments.txt\ncat > {printed}\n')
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "historial.xlsx"
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_opportunities")
        app.screen.show_filtered(OpportunityFilter(status="lost"))
        await settle(pilot)
        await burst(pilot, "<f4>")
        history = app.screen
        assert isinstance(history, OpportunityHistoryScreen)
        text = shown(history, "#history-text")
        assert "New → Lost" in text and "Why it was lost: Precio" in text and "Ofrecer pagos" in text
        await burst(pilot, "c")
        assert app.clipboard == history.text and "Ana Admin" in app.clipboard
        await burst(pilot, "<f6>")
        await burst(pilot, "<f5>")
        app.screen.query_one("Input").value = str(target)
        await burst(pilot, "<enter>")
    assert printed.read_text() == history.text
    assert (tmp_path / "arguments.txt").read_text().strip() == "-t Opportunity 1"
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("When", "User", "From", "To")
    assert rows[1][:4] == (DAY, "Ana Admin", None, "New")
    assert rows[2][2:4] == ("New", "Lost") and rows[2][7:] == ("Precio", "Ofrecer pagos")
    assert isinstance(rows[2][0], dt.datetime)


async def test_home_status_buttons_count_and_open_the_query(sales):
    opportunities.change_status(sales["actor"], sales["first"].id, sales["first"].version, "waiting",
                                comment="Llamar", next_contact_date=DAY.date())
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = shown(app.screen, "#opportunity-status")
        assert "New ones 1" in row and "On hold 1" in row and "Lost ones 0" in row
        assert "To contact (d): #1 Ferretería Centro (today)" in row
        opportunities.change_status(sales["actor"], sales["second"].id, sales["second"].version, "lost",
                                    why_lost="Precio", to_improve="Pagos")
        app.screen.refresh_everything()  # what the home screen's change check does
        await settle(pilot)
        row = shown(app.screen, "#opportunity-status")
        assert "New ones 0" in row and "Lost ones 1" in row
        app.screen.query_one("#opportunity-status").focus()
        await burst(pilot, "2")
        assert isinstance(app.screen, QueryOpportunitiesScreen)
        assert app.screen.filters.status == "waiting"
        assert [r.number for r in app.screen.table.records] == [1]


def test_followup_screen_in_spanish(sales, snap_compare):
    i18n.set_language("es")

    async def ready(pilot):
        await open_item(pilot, "query_opportunities")
        await burst(pilot, "<enter>")
        await burst(pilot, "<f6>")
        await burst(pilot, "Eligió otro proveedor")
        await burst(pilot, "<f8>")
        pilot.app.focused.cursor_blink = False  # the refused field's cursor, drawn the same every run
        await settle(pilot)

    assert snap_compare(make_app(sales["actor"]), terminal_size=SIZE, run_before=ready)


async def test_f6_and_f7_reach_the_screen_while_typing_in_a_text_area(sales):
    # Seen in the follow-up: with the cursor in "why it was lost" (several lines), F7 chose
    # every line of the field instead of opening the history, and neither key was in the footer.
    app = make_app(sales["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_opportunities")
        followup = await open_followup(pilot, "new", 1)
        await burst(pilot, "<f6>", "Precio")
        assert app.focused is followup.form.widget_for("why_lost")
        footer = followup.query_one("CrmFooter").text
        assert "f6" in footer and "f7" in footer
        await burst(pilot, "<f7>")
        await settle(pilot)
        assert isinstance(app.screen, OpportunityHistoryScreen)
