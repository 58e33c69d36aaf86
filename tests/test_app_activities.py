"""Agregar Actividad and Consultar Actividad as the manual tells a technician to use them."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Static

from crm_tui import i18n
from crm_tui.db.models import Activity, ServiceOrder
from crm_tui.screens.add_activity import AddActivityScreen
from crm_tui.services import activities, catalogs, orders
from crm_tui.services.clock import frozen
from test_app_support import HOSTILE, SIZE, burst, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401

NOW = dt.datetime(2026, 11, 27, 10, 30)


@pytest.fixture
def office(ui_admin):
    client = catalogs.add_client(ui_admin, name="Ferretería Centro")
    contact = catalogs.add_contact(ui_admin, client_id=client.id, name="Ana Ruiz")
    category = catalogs.add_category(ui_admin, name="Llamada")
    return {"actor": ui_admin, "client": client, "contact": contact, "category": category}


def shown(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_ctrl_d_while_typing_in_a_field_opens_the_form_with_now_and_nothing_pending(office):
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await open_item(pilot, "clients")
            await burst(pilot, "<ctrl+f>", "ferre", "<ctrl+d>")
            screen = app.screen
            assert isinstance(screen, AddActivityScreen)
            form = screen.form
            assert form.shown_text("when") == "2026-11-27 10:30"
            assert form.raw_value("pending") == "none"
            assert not form.query_one("#row-task_due_date").display
            assert not form.query_one("#row-order_priority").display
            assert app.focused is form.widget_for("contact_id").input


async def test_a_burst_saves_an_activity_shows_its_folio_and_clears_for_the_next(office):
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "ruiz", "<tab>")
            screen = app.screen
            assert screen.form.shown_text("client_name") == "Ferretería Centro"
            await burst(pilot, "llam", "<tab>", "<tab>", HOSTILE, "<f8>")
            assert app.screen is screen, screen.form.errors()
            assert shown(screen, "#last-saved") == "Activity saved: folio 1."
            assert screen.form.values()["contact_id"] is None and screen.form.raw_value("detail") == ""
            assert screen.form.shown_text("client_name") == ""
            assert not screen.form.dirty
            assert screen.form.errors() == {}  # a cleared form accuses no field
            assert app.focused is screen.form.widget_for("contact_id").input
            await burst(pilot, "ana", "<tab>", "llam", "<tab>", "<tab>", "Segunda", "<f8>")
            assert shown(screen, "#last-saved") == "Activity saved: folio 2."
    saved = activities.get_activity_by_folio(1)
    assert saved.detail == HOSTILE and saved.when == NOW and saved.client_name == "Ferretería Centro"
    assert saved.user_id == office["actor"].id


async def choose_pending(pilot, screen, choice: str) -> None:
    screen.form.widget_for("pending").value = choice
    await settle(pilot)


async def test_a_task_shows_only_when_chosen_and_is_saved_with_the_activity(office):
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "ruiz", "<tab>", "llam", "<tab>", "<tab>", "Pidió visita")
            screen = app.screen
            await choose_pending(pilot, screen, "task")
            form = screen.form
            assert form.query_one("#row-task_due_date").display
            assert not form.query_one("#row-order_priority").display
            form.widget_for("task_assignee_id").focus()
            await burst(pilot, "ana", "<tab>", "2026-12-02", "<f8>")
            assert shown(screen, "#last-saved") == "Activity saved: folio 1.", form.errors()
            assert not form.query_one("#row-task_due_date").display  # ready for the next: nothing pending
    task = activities.follow_ups(activities.get_activity_by_folio(1).id)[0]
    assert (task.folio, task.due_date, task.assignee_id, task.detail) == (
        2, dt.date(2026, 12, 2), office["actor"].id, "Pidió visita")


async def test_a_service_order_is_saved_with_the_activity_and_its_number_shown(office):
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "ruiz", "<tab>", "llam", "<tab>", "<tab>", "No imprime")
            screen = app.screen
            await choose_pending(pilot, screen, "order")
            form = screen.form
            assert form.query_one("#row-order_priority").display
            assert not form.query_one("#row-task_due_date").display
            form.widget_for("order_assigned_user_id").focus()
            await burst(pilot, "ana", "<tab>", "2026-11-28 09:00", "<tab>", "<tab>", "<tab>", "Impresora HP",
                        "<f8>")
            assert shown(screen, "#last-saved") == "Activity saved: folio 1, service order 1.", form.errors()
    order = orders.get_order_by_number(1).order
    assert order.appointment_at == dt.datetime(2026, 11, 28, 9, 0) and order.detail == "No imprime"
    assert order.equipment == "Impresora HP" and order.contact_id == office["contact"].id


async def test_bad_input_is_told_at_the_field_and_nothing_typed_is_lost(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "<ctrl+d>", "nadie", "<tab>", "llam", "<tab>", "<ctrl+u>", "31/02/2026 10:00",
                    "<tab>", "Detalle escrito", "<f8>")
        screen = app.screen
        errors = screen.form.errors()
        assert "choose one of the matches" in errors["contact_id"]
        assert "not a valid date" in errors["when"]
        assert screen.form.raw_value("detail") == "Detalle escrito"
        assert screen.form.shown_text("contact_id") == "nadie"
        screen.form.widget_for("detail").load_text("")
        await burst(pilot, "<f8>")
        assert screen.form.errors()["detail"] == "Detail is required."
        await choose_pending(pilot, screen, "task")
        screen.form.widget_for("task_due_date").focus()
        await burst(pilot, "31/02/2026", "<tab>")
        assert "not a valid date" in screen.form.errors()["task_due_date"]
    assert Activity.select().count() == 0


async def test_a_task_refused_by_the_service_is_told_at_its_field_and_the_form_keeps_everything(office):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "<ctrl+d>", "ruiz", "<tab>", "llam", "<tab>", "<tab>", "Con tarea")
        screen = app.screen
        await choose_pending(pilot, screen, "task")
        await burst(pilot, "<f8>")  # a task needs its assignee and due date
        assert screen.form.errors().get("task_due_date") or screen.form.errors().get("task_assignee_id")
        assert screen.form.raw_value("detail") == "Con tarea" and screen.form.raw_value("pending") == "task"
        assert app.screen is screen and shown(screen, "#last-saved") == ""
    assert Activity.select().count() == 0 and ServiceOrder.select().count() == 0


async def test_the_add_form_in_spanish_says_procesar_and_the_folio(office):
    i18n.set_language("es")
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "ruiz", "<tab>", "llam", "<tab>", "<tab>", "Hola")
            screen = app.screen
            assert screen.form.shown_text("when") == "27/11/2026 10:30"
            assert str(screen.query_one("#save").label) == "F8 Procesar"
            await burst(pilot, "<f8>")
            assert shown(screen, "#last-saved") == "Actividad guardada: folio 1."
