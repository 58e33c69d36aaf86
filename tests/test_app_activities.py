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
    client = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería Centro"))
    contact = catalogs.add_contact(ui_admin, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
    category = catalogs.add_category(ui_admin, catalogs.CategoryInput(name="Llamada"))
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
            assert not form.is_shown("task_due_date")
            assert not form.is_shown("order_priority")
            assert app.focused is form.widget_for("contact_id").input


async def test_a_burst_saves_an_activity_shows_its_folio_and_clears_for_the_next(office):
    app = make_app(office["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "ruiz", "<tab>")
            screen = app.screen
            assert "Ferretería Centro" in screen.form.shown_text("client_id")
            await burst(pilot, "llam", "<tab>", "<tab>", HOSTILE, "<f8>")
            assert app.screen is screen, screen.form.errors()
            assert shown(screen, "#last-saved") == "Activity saved: folio 1."
            assert screen.form.values()["contact_id"] is None and screen.form.raw_value("detail") == ""
            assert screen.form.shown_text("client_id") == ""
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
            assert form.is_shown("task_due_date")
            assert not form.is_shown("order_priority")
            form.widget_for("task_assignee_id").focus()
            await burst(pilot, "ana", "<tab>", "2026-12-02", "<f8>")
            assert shown(screen, "#last-saved") == "Activity saved: folio 1.", form.errors()
            assert not form.is_shown("task_due_date")  # ready for the next: nothing pending
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
            assert form.is_shown("order_priority")
            assert not form.is_shown("task_due_date")
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


# --- Consultar Actividad ------------------------------------------------------------------

from textual.widgets import Select  # noqa: E402

from crm_tui.screens.catalog import EditScreen  # noqa: E402
from crm_tui.screens.query_activity import QueryActivityScreen  # noqa: E402
from crm_tui.services import Actor, users  # noqa: E402
from crm_tui.services.activities import OrderInput, TaskInput, record_activity  # noqa: E402
from crm_tui.widgets.dialogs import ConfirmDialog, MessageDialog  # noqa: E402
from crm_tui.widgets.record_table import RecordTable  # noqa: E402


@pytest.fixture
def logged(office):
    actor = office["actor"]
    other = catalogs.add_client(actor, catalogs.ClientInput(name="Hotel Playa"))
    other_contact = catalogs.add_contact(actor, catalogs.ContactInput(client_id=other.id, name="Gerente Playa"))
    visit = catalogs.add_category(actor, catalogs.CategoryInput(name="Visita"))
    agent = users.add_user(actor, users.UserInput(username="tecnico", full_name="Técnico Uno", role="agent"))
    made = []
    for day in range(1, 8):
        contact = office["contact"] if day % 2 else other_contact
        category = office["category"] if day < 5 else visit
        made.append(record_activity(actor, when=dt.datetime(2026, 11, day, 9, 0), contact_id=contact.id,
                                    category_id=category.id, detail=f"Actividad del día {day}"))
    activities.mark_done(actor, made[0].id, made[0].version)
    return dict(office, other=other, other_contact=other_contact, visit=visit, agent=agent, made=made)


def folios_listed(app) -> list[int]:
    return [record.folio for record in app.screen.query_one(RecordTable).records]


async def test_the_query_lists_newest_first_and_filters_by_client_category_status_and_dates(logged):
    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        assert isinstance(app.screen, QueryActivityScreen)
        assert folios_listed(app) == [7, 6, 5, 4, 3, 2, 1]
        app.screen.query_one("#filter-client_id").focus()
        await burst(pilot, "playa", "<tab>")
        await burst(pilot, "<f7>")
        assert folios_listed(app) == [6, 4, 2], (app.screen.filters, [n.message for n in app._notifications], app.focused)
        app.screen.query_one("#filter-category_id").focus()
        await burst(pilot, "visita", "<tab>", "<f7>")
        assert folios_listed(app) == [6]
        app.screen.query_one("#filter-client_id").input.value = ""
        app.screen.query_one("#filter-category_id").input.value = ""
        app.screen.query_one("#filter-status", Select).value = "done"
        await burst(pilot, "<f7>")
        assert folios_listed(app) == [1]
        app.screen.query_one("#filter-status", Select).value = Select.NULL
        app.screen.query_one("#filter-dates-start").focus()
        await burst(pilot, "2026-11-03", "<tab>", "2026-11-05", "<enter>")
        assert folios_listed(app) == [5, 4, 3]


async def test_a_wrong_date_in_the_filter_is_told_and_the_list_stays(logged):
    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        app.screen.query_one("#filter-dates-start").focus()
        await burst(pilot, "31/02/2026", "<f7>")
        assert folios_listed(app) == [7, 6, 5, 4, 3, 2, 1]
        assert "not a valid date" in str(app.screen.query_one("#filter-error").render())


async def test_enter_opens_the_activity_and_f8_saves_the_change(logged):
    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        app.screen.query_one(RecordTable).focus()
        await burst(pilot, "<down>", "<enter>")
        editor = app.screen
        assert isinstance(editor, EditScreen) and editor.form.shown_text("detail") == "Actividad del día 6"
        assert "Hotel Playa" in editor.form.shown_text("client_id")
        editor.form.widget_for("detail").load_text("Corregido [bold]x[/]")
        await burst(pilot, "<f8>")
        assert isinstance(app.screen, QueryActivityScreen)
    assert activities.get_activity_by_folio(6).detail == "Corregido [bold]x[/]"


async def test_a_change_another_user_saved_first_is_refused_and_f9_reloads_keeping_what_was_typed(logged):
    from crm_tui.widgets.conflict_dialog import ConflictDialog

    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        await burst(pilot, "<f3>")  # the first row: folio 7
        editor = app.screen
        stored = activities.get_activity_by_folio(7)
        activities.modify_activity(logged["agent_actor"] if "agent_actor" in logged else logged["actor"],
                                   stored.id, stored.version,
                                   activities.ActivityInput(detail="Lo cambió otra persona"))
        editor.form.widget_for("detail").load_text("Mi versión")
        await burst(pilot, "<f8>")
        # The field-by-field choice comes first; Esc cancels it and saves nothing.
        assert isinstance(app.screen, ConflictDialog)
        await burst(pilot, "<escape>")
        assert app.screen is editor
        assert "F9" in str(editor.form.query_one("#form-error").render())
        assert editor.form.raw_value("detail") == "Mi versión"
        await burst(pilot, "<f9>")
        assert editor.form.raw_value("detail") == "Lo cambió otra persona"
        assert "Mi versión" in str(editor.form.query_one("#typed-detail").render())
    assert activities.get_activity_by_folio(7).detail == "Lo cambió otra persona"


async def test_delete_asks_first_and_refuses_an_activity_that_opened_an_order_saying_why(logged):
    actor = logged["actor"]
    with_order = record_activity(actor, when=dt.datetime(2026, 11, 20, 9, 0), contact_id=logged["contact"].id,
                                 category_id=logged["category"].id, detail="Con orden",
                                 order=OrderInput(None, None, ""))
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        assert folios_listed(app)[0] == with_order.folio
        await burst(pilot, "<f4>")
        assert isinstance(app.screen, ConfirmDialog)
        await burst(pilot, "y")
        assert isinstance(app.screen, MessageDialog)
        assert "service order 1" in app.screen.message
        await burst(pilot, "<escape>")
        await burst(pilot, "<down>", "<f4>")
        assert isinstance(app.screen, ConfirmDialog) and "activity 7" in app.screen.question
        await burst(pilot, "<escape>")  # not confirmed: nothing deleted
        assert isinstance(app.screen, QueryActivityScreen), (app.screen_stack, getattr(app.screen, "message", ""))
        assert folios_listed(app)[1] == 7
        assert app.screen.query_one(RecordTable).current_record.folio == 7
        await burst(pilot, "<f4>", "y")
        assert 7 not in folios_listed(app)
    assert Activity.select().where(Activity.folio == 7).count() == 0
    assert Activity.select().where(Activity.folio == with_order.folio).count() == 1


async def test_another_agent_cannot_delete_an_activity_that_is_not_theirs(logged):
    agent = logged["agent"]
    actor = Actor(id=agent.id, username=agent.username, full_name=agent.full_name, role=agent.role)
    app = make_app(actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        assert app.screen.query_one("#delete").disabled
        await burst(pilot, "<f4>")
        assert isinstance(app.screen, QueryActivityScreen)
    assert Activity.select().count() == 7


async def test_the_sheet_holds_exactly_the_listed_activities(logged, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "hoja.xlsx"
    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        app.screen.query_one("#filter-client_id").focus()
        await burst(pilot, "playa", "<tab>", "<f7>")
        await burst(pilot, "<f5>")
        dialog = app.screen
        dialog.query_one("Input").value = str(target)
        await burst(pilot, "<enter>")
        assert not app.screen.query_one("#sheet-progress").display
    sheet = load_workbook(target).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [6, 4, 2]


async def test_the_sheet_can_be_stopped_and_leaves_no_file(logged, tmp_path, monkeypatch):
    import threading

    from crm_tui.screens import query_activity

    target = tmp_path / "hoja.xlsx"
    release = threading.Event()
    original = activities.iter_activity_rows

    def slow_rows(*args, **kwargs):
        for row in original(*args, **kwargs):
            release.wait(10)
            yield row

    monkeypatch.setattr(query_activity.activities, "iter_activity_rows", slow_rows)
    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "query_activity")
        await burst(pilot, "<f5>")
        app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#sheet-progress").display
        await pilot.press("down")  # the list is still in use meanwhile
        assert screen.query_one(RecordTable).cursor_row == 1
        await pilot.click("#stop-sheet")
        release.set()
        await settle(pilot)
        assert not screen.query_one("#sheet-progress").display
        assert "stopped" in [n.message for n in app._notifications][-1]
    assert not target.exists()


async def test_the_home_screen_opens_an_activity_on_its_form(logged):
    app = make_app(logged["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_activity(logged["made"][2].id)
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.form.raw_value("detail") == "Actividad del día 3"
        await burst(pilot, "<escape>")
        assert isinstance(app.screen, QueryActivityScreen)


@pytest.mark.parametrize("item_id", ["clients", "query_activity", "projects"])
async def test_ctrl_d_opens_the_add_form_from_a_list_while_typing_in_its_filter(office, item_id):
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, item_id)
        await burst(pilot, "/", "ab", "<ctrl+d>", "ruiz")
        assert isinstance(app.screen, AddActivityScreen)
        assert app.screen.form.shown_text("contact_id").startswith(("ruiz", "1 Ana Ruiz"))


async def test_text_typed_while_a_save_waits_stays_in_the_form(office, monkeypatch):
    import threading

    release = threading.Event()
    original = activities.record_entry

    def waiting_for_another_users_write(actor, values):
        release.wait(10)
        return original(actor, values)

    monkeypatch.setattr(activities, "record_entry", waiting_for_another_users_write)
    app = make_app(office["actor"])
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "<ctrl+d>", "ruiz", "<tab>", "llam", "<tab>", "<tab>", "Primera")
        screen = app.screen
        await pilot.press("f8")
        await pilot.pause()
        screen.form.widget_for("detail").focus()
        await pilot.press("end", "space", "m", "a", "s")
        release.set()
        await settle(pilot)
        assert shown(screen, "#last-saved") == "Activity saved: folio 1."
        assert screen.form.raw_value("detail") == "Primera mas"
        assert "stays in the form" in str(screen.form.query_one("#form-error").render())
    assert activities.get_activity_by_folio(1).detail == "Primera"


@pytest.fixture
def two_martas(office):
    for name in ("Marta Ruiz", "Mario Ruiz"):
        catalogs.add_contact(office["actor"], catalogs.ContactInput(client_id=office["client"].id, name=name))
    return office


async def test_tab_on_an_ambiguous_contact_goes_on_and_the_burst_behind_it_lands_in_its_fields(two_martas):
    app = make_app(two_martas["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "Mar", "<tab>", "llam", "<tab>", "<tab>", "Cambio de disco")
            form = app.screen.form
            assert form.raw_value("detail") == "Cambio de disco"
            assert form.raw_value("category_id") == two_martas["category"].id
            assert form.shown_text("contact_id") == "Mar" and form.raw_value("contact_id") is None
            assert form.errors()["contact_id"] == "Contact: 2 matches: choose one with ↓"
            lookup = form.widget_for("contact_id")
            assert lookup.options.option_count == 2 and lookup.options.display

            await burst(pilot, "<f8>")
            assert form.errors()["contact_id"] == "Contact: 2 matches: choose one with ↓"
            assert app.focused is lookup.input and form.raw_value("detail") == "Cambio de disco"
            assert Activity.select().count() == 0

            await burst(pilot, "<down>", "<down>", "<enter>")
            assert form.raw_value("contact_id") is not None and "contact_id" not in form.errors()
            assert form.shown_text("contact_id").startswith("3 Mario Ruiz")
            await burst(pilot, "<f8>")
            assert shown(app.screen, "#last-saved") == "Activity saved: folio 1.", form.errors()
    saved = activities.get_activity_by_folio(1)
    assert (saved.contact_name, saved.detail) == ("Mario Ruiz", "Cambio de disco")


async def test_a_contact_with_several_matches_is_told_in_spanish_at_the_field(two_martas):
    i18n.set_language("es")
    app = make_app(two_martas["actor"])
    with frozen(NOW):
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "<ctrl+d>", "Mar", "<tab>", "llam", "<tab>", "<tab>", "Cambio de disco", "<f8>")
            form = app.screen.form
            assert form.errors()["contact_id"].endswith(": 2 coincidencias: elija una con ↓")
            assert str(app.screen.query_one("#error-contact_id", Static).render()).endswith(
                "2 coincidencias: elija una con ↓")
            assert form.raw_value("detail") == "Cambio de disco"
    assert Activity.select().count() == 0
