"""The technician's order screens, step by step as the manual tells them: add a service
order (Ctrl+S), register a service (Ctrl+R), the single order inquiry (modify, verify,
reopen), and the project's orders opening there. Bad input gets a message at its field and
nothing typed is lost."""
from __future__ import annotations

import time

import pytest
from textual.widgets import Input, Static

from crm_tui.screens.add_order import AddOrderScreen
from crm_tui.screens.add_service import AddServiceScreen
from crm_tui.screens.order_inquiry import OrderInquiryScreen, ReviewDialog
from crm_tui.services import catalogs, orders
from crm_tui.widgets.record_table import RecordTable
from test_app_refresh import as_another_user
from test_app_support import HOSTILE, SIZE, burst, make_app, open_item, settle, type_text, ui_admin, ui_db  # noqa: F401


@pytest.fixture
def office(ui_admin):
    """A client with two contacts, a project whose contact in charge is the second, a category."""
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro"))
    other = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Abarrotes Lupita"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=other.id, name="Lupita Gómez"))
    catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
    in_charge = catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Rosa Díaz"))
    project = catalogs.add_project(ui_admin, catalogs.ProjectInput(
        client_id=client.id, name="Cámaras bodega", contact_in_charge_id=in_charge.id))
    category = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Instalación"))
    return {"actor": ui_admin, "client": client, "contact": in_charge, "project": project, "category": category}


def new_order(office, detail: str = "La impresora no toma papel") -> orders.OrderRecord:
    return orders.add_order(office["actor"], orders.OrderInput(
        contact_id=office["contact"].id, category_id=office["category"].id, detail=detail,
        project_id=office["project"].id))


def field_error(form, name: str) -> str:
    return str(form.query_one(f"#error-{name}", Static).render())


# --- Agregar Orden de Servicio ------------------------------------------------------------


async def test_ctrl_s_adds_an_order_the_project_suggests_the_contact_and_the_form_waits_for_the_next(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AddOrderScreen)
        await burst(pilot, str(office["project"].key), "<tab>")
        form = screen.form
        assert form.widget_for("contact_id").value == office["contact"].id  # its contact in charge
        assert "Ferretería Centro" in str(screen.query_one("#client-line", Static).render())
        form.widget_for("category_id").focus()
        await burst(pilot, "Instal", "<tab>", "Cambiar el disco duro del DVR ", HOSTILE)
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen  # ready for the next one
        stored = orders.list_orders().rows
        assert len(stored) == 1 and stored[0].detail == "Cambiar el disco duro del DVR " + HOSTILE
        assert stored[0].project_id == office["project"].id and stored[0].priority == "normal"
        assert str(screen.query_one("#last-saved", Static).render()) == (
            f"Service order {stored[0].number} saved.")
        assert form.values()["detail"] == "" and form.values()["contact_id"] is None
        assert form.values()["priority"] == "normal" and not form.dirty


async def test_a_project_narrows_the_contacts_to_its_client(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "add_order")
        screen = app.screen
        names = [contact.name for contact in screen._lookup_contacts("", 10)]
        assert "Lupita Gómez" in names
        await burst(pilot, str(office["project"].key), "<tab>")
        names = [contact.name for contact in screen._lookup_contacts("", 10)]
        assert sorted(names) == ["Ana Ruiz", "Rosa Díaz"]


async def test_bad_input_in_the_order_form_is_told_at_each_field_and_nothing_typed_is_lost(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "add_order")
        form = app.screen.form
        await pilot.press("f8")  # everything required left empty
        await settle(pilot)
        for name, label in (("contact_id", "Contact"), ("category_id", "Category"), ("detail", "Detail")):
            assert field_error(form, name) == f"✗ {label} is required."
        form.widget_for("project_id").focus()
        await burst(pilot, "9999")  # an unknown project
        form.widget_for("contact_id").focus()
        await burst(pilot, "nadie así")  # an unknown contact
        form.widget_for("appointment_at").focus()
        await burst(pilot, "31/02/2026 10:00")
        form.widget_for("detail").focus()
        await burst(pilot, "Revisar el conmutador")
        await pilot.press("f8")
        await settle(pilot)
        assert field_error(form, "project_id").startswith("✗ Project: choose one of the matches")
        assert field_error(form, "contact_id").startswith("✗ Contact: choose one of the matches")
        assert app.screen.query_one("#field-project_id-text", Input).value == "9999"
        assert "not a valid date" in field_error(form, "appointment_at")
        assert app.screen.query_one("#field-contact_id-text", Input).value == "nadie así"
        assert form.raw_value("appointment_at") == "31/02/2026 10:00"
        assert form.raw_value("detail") == "Revisar el conmutador"
        assert orders.list_orders().rows == []


# --- Agregar Servicio ---------------------------------------------------------------------


async def test_ctrl_r_while_typing_registers_a_service_and_the_form_below_keeps_its_text(office):
    order = new_order(office)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "add_order")
        order_screen = app.screen
        order_screen.form.widget_for("detail").focus()
        await burst(pilot, "a medias")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("y")  # open on top of the unsaved order
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AddServiceScreen)
        await burst(pilot, str(order.number), "<tab>")
        summary = str(screen.query_one("#order-summary-text", Static).render())
        assert f"Order {order.number}" in summary and "La impresora no toma papel" in summary
        await burst(pilot, "Se cambió el rodillo", "<tab>", "45", "<tab>", " ")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen and screen.form.values()["work_done"] == ""
        stored = orders.get_order(order.id)
        assert stored.order.status == "finished"
        assert [(e.work_done, e.minutes, e.service_finished) for e in stored.entries] == [
            ("Se cambió el rodillo", 45, True)]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is order_screen
        assert order_screen.form.raw_value("detail") == "a medias"


async def test_an_unknown_or_closed_order_number_is_refused_at_the_field(office):
    order = new_order(office)
    orders.register_service(office["actor"], order.id, order.version, when="2026-11-20 10:00", work_done="x",
                            service_finished=True)
    finished = orders.get_order(order.id).order
    orders.verify_order(office["actor"], order.id, finished.version, closed=True, rating=5, customer_comments="ok")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "add_service")
        form = app.screen.form
        await burst(pilot, "777")
        form.widget_for("work_done").focus()
        await burst(pilot, "Trabajo escrito")
        await pilot.press("f8")
        await settle(pilot)
        assert field_error(form, "order_id") == "✗ There is no service order number 777."
        form.widget_for("order_id").focus()
        await pilot.press("ctrl+u")
        await burst(pilot, str(order.number), "<tab>")
        message = field_error(form, "order_id")
        assert message.startswith(f"✗ Order {order.number} is closed: work can only be logged on open orders.")
        assert "Reopen it first" in message
        await pilot.press("f8")
        await settle(pilot)
        assert "Reopen it first" in field_error(form, "order_id")
        assert form.raw_value("work_done") == "Trabajo escrito"
    assert len(orders.get_order(order.id).entries) == 1


# --- Consulta Individual de Órdenes: the whole lifecycle ----------------------------------------


async def open_inquiry(pilot, number: int) -> OrderInquiryScreen:
    await open_item(pilot, "order_inquiry")
    await burst(pilot, str(number), "<enter>")
    return pilot.app.screen


async def register_on_inquiry(pilot, work: str, finished: bool) -> None:
    await pilot.press("ctrl+r")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AddServiceScreen)
    await burst(pilot, work, "<tab>", "30", "<tab>")
    if finished:
        await burst(pilot, " ")
    await pilot.press("f8")
    await settle(pilot)


async def test_lifecycle_through_the_screens_open_finished_verified_closed_and_reopened(office):
    order = new_order(office)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_inquiry(pilot, order.number)
        assert screen.record.number == order.number
        state = screen.query_one("#order-state", Static)
        assert str(state.render()) == f"Order {order.number} · Open · times reopened: 0"

        await register_on_inquiry(pilot, "Diagnóstico y cambio de rodillo", finished=True)
        assert app.screen is screen  # back on the order, which moved on
        assert str(state.render()) == f"Order {order.number} · Finished · times reopened: 0"
        assert "Diagnóstico y cambio de rodillo" in str(screen.query_one("#entries", Static).render())

        await pilot.press("f5")  # verified, not closed: back to open
        await settle(pilot)
        assert isinstance(app.screen, ReviewDialog)
        await burst(pilot, "Sigue atascando")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen
        assert str(state.render()) == f"Order {order.number} · Open · times reopened: 1"

        await register_on_inquiry(pilot, "Se cambió la bandeja", finished=True)
        await pilot.press("f5")
        await settle(pilot)
        dialog = app.screen
        await burst(pilot, "Ya imprime", "<tab>", " ", "<tab>", "7")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is dialog  # a rating of 7: told at the field, everything kept
        assert field_error(dialog.form, "rating") == "✗ Rating must be from 1 to 5."
        assert dialog.form.raw_value("customer_comments") == "Ya imprime"
        await pilot.press("backspace")
        await burst(pilot, "5")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen
        assert str(state.render()) == f"Order {order.number} · Closed · times reopened: 1"

        await pilot.press("ctrl+r")  # work on a closed order: refused at the number
        await settle(pilot)
        service = app.screen
        assert "Reopen it first" in field_error(service.form, "order_id")
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("f6")
        await settle(pilot)
        await burst(pilot, "Volvió a fallar")
        await pilot.press("f8")
        await settle(pilot)
        assert str(state.render()) == f"Order {order.number} · Open · times reopened: 2"
        history = str(screen.query_one("#history", Static).render())
        for step in ("Created", "Finished (service entry)", "Verified, not closed: back to open",
                     "Verified and closed, rating 5", "Reopened: back to open", "Volvió a fallar"):
            assert step in history
    stored = orders.get_order(order.id)
    assert stored.order.status == "open" and stored.order.times_reopened == 2
    assert [(r.action, r.closed, r.rating) for r in stored.reviews] == [
        ("verify", False, None), ("verify", True, 5), ("reopen", False, None)]


async def test_modify_in_the_inquiry_saves_and_a_stale_verification_is_a_conflict_with_the_text_kept(office):
    order = new_order(office)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_inquiry(pilot, order.number)
        screen.form.widget_for("equipment").focus()
        await burst(pilot, "Impresora HP 402")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen
        assert orders.get_order(order.id).order.equipment == "Impresora HP 402"

        await register_on_inquiry(pilot, "Listo", finished=True)
        await pilot.press("f5")
        await settle(pilot)
        dialog = app.screen
        # Another user reopens it while the customer is on the phone.
        seen = orders.get_order(order.id).order
        as_another_user(lambda: orders.reopen_order(office["actor"], order.id, seen.version,
                                                    customer_comments="Desde otra terminal"))
        await burst(pilot, "Todo bien", "<tab>", " ", "<tab>", "5")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is dialog
        assert "was changed by" in str(dialog.form.query_one("#form-error", Static).render())
        assert dialog.form.raw_value("customer_comments") == "Todo bien"
    assert orders.get_order(order.id).order.status == "open"


async def test_an_unknown_number_in_the_inquiry_is_told_under_it(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_inquiry(pilot, 4242)
        assert str(screen.query_one("#number-error", Static).render()) == (
            "✗ There is no service order number 4242.")
        assert screen.number_field.text == "4242"
        await pilot.press("f8")
        await settle(pilot)
        assert screen.record is None and app.screen is screen


# --- the project catalog opens its orders whole ---------------------------------------------


async def test_a_projects_pending_order_opens_in_the_single_order_inquiry(office):
    order = new_order(office)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "projects")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        table = app.screen.query_one("#pending-orders", RecordTable)
        assert [o.number for o in table.records] == [order.number]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderInquiryScreen)
        assert app.screen.record.id == order.id
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#pending-orders", offset=(3, 2))  # a click on the selected row opens it
        await settle(pilot)
        assert isinstance(app.screen, OrderInquiryScreen)
        assert app.screen.record.id == order.id


async def test_without_colour_a_ticked_box_shows_its_x_and_an_empty_one_does_not(office, monkeypatch):
    from textual.color import Color

    from test_app_forms import contrast

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "add_service")
        box = app.screen.form.widget_for("service_finished")

        def x_contrast() -> float:
            style = box.get_component_rich_style("toggle--button")
            return contrast(Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor))

        empty = x_contrast()
        box.focus()
        await pilot.press("space")
        await settle(pilot)
        assert box.value is True
        assert empty < 1.5 and x_contrast() >= 4.5, (empty, x_contrast())


async def test_text_typed_while_a_new_order_waits_for_the_database_stays_in_the_form(office, ui_db, tmp_path):
    import sqlite3

    app = make_app(office["actor"])
    blocker = sqlite3.connect(str(tmp_path / "ui.db"), timeout=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_item(pilot, "add_order")
            screen = app.screen
            await burst(pilot, str(office["project"].key), "<tab>")
            screen.form.widget_for("category_id").focus()
            await burst(pilot, "Instal", "<tab>", "Primera orden")
            ui_db.execute_sql("PRAGMA busy_timeout = 20000")
            blocker.execute("BEGIN IMMEDIATE")  # another session in the middle of a long write
            await pilot.press("f8")
            await pilot.pause(0.05)
            assert screen.form.saving
            await type_text(pilot, " y segunda")
            blocker.rollback()
            await settle(pilot)
            assert app.screen is screen
            assert screen.form.raw_value("detail") == "Primera orden y segunda"
            assert "What you typed while it was being saved stays in the form" in str(
                screen.query_one("#last-saved", Static).render())
    finally:
        blocker.close()
    assert [order.detail for order in orders.list_orders().rows] == ["Primera orden"]


async def test_the_inquiry_buttons_answer_a_click(office):
    order = new_order(office)
    orders.register_service(office["actor"], order.id, order.version, when="2026-11-20 10:00", work_done="x",
                            service_finished=True)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_inquiry(pilot, order.number)
        await pilot.click("#verify")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDialog)
        await pilot.click("#cancel")
        await settle(pilot)
        assert app.screen is screen
        await pilot.click("#service")
        await settle(pilot)
        assert isinstance(app.screen, AddServiceScreen)
        assert "Order 1 is finished" in field_error(app.screen.form, "order_id")


async def test_what_another_connection_changes_shows_in_the_inquiry_within_two_seconds(office):
    order = new_order(office)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_inquiry(pilot, order.number)
        await settle(pilot)
        assert screen.form.values()["detail"] == "La impresora no toma papel"

        def change() -> None:
            fresh = orders.get_order(order.id).order
            orders.modify_order(office["actor"], order.id, fresh.version,
                                orders.OrderInput(contact_id=office["contact"].id, category_id=office["category"].id,
                                                  detail="Cambiado desde otra terminal",
                                                  project_id=office["project"].id))

        as_another_user(change)
        deadline = time.monotonic() + 2.0
        while screen.form.values()["detail"] != "Cambiado desde otra terminal" and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert screen.form.values()["detail"] == "Cambiado desde otra terminal"
        assert screen.record.number == order.number


async def test_tab_on_a_contact_with_several_matches_goes_on_and_the_order_asks_to_choose_one(office):
    catalogs.add_contact(office["actor"], catalogs.ContactInput(client_id=office["client"].id, name="Rosa Ruiz"))
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "<ctrl+s>", "<tab>", "rosa", "<tab>", "<tab>", "<tab>", "<tab>", "Instal", "<tab>",
                    "No enciende", "<f8>")
        form = app.screen.form
        assert isinstance(app.screen, AddOrderScreen)
        assert form.raw_value("detail") == "No enciende"
        assert form.raw_value("category_id") == office["category"].id
        assert field_error(form, "contact_id") == "✗ Contact: 2 matches: choose one with ↓"
        assert app.focused is form.widget_for("contact_id").input
        await burst(pilot, "<down>", "<enter>", "<f8>")
    assert orders.get_order_by_number(1).order.contact_id == office["contact"].id
