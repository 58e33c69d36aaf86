"""Forms made from field declarations: whole numbers, choices, date and time, lookups
from their declared source, and fields shown only when another one has a value."""
from __future__ import annotations

import datetime as dt

from textual.app import App, ComposeResult

from crm_tui.services import catalogs
from crm_tui.services.fields import BOOL, CHOICE, DATETIME, LOOKUP, MULTILINE, TEXT, WHOLE, Field
from crm_tui.widgets.form import Form
from crm_tui.widgets.key_order import KeysInOrder
from test_app_support import burst, settle, type_text, ui_admin, ui_db  # noqa: F401


class DeclaredFormApp(KeysInOrder, App):
    """Keys in bursts handled in order, as in the CRM's app."""

    def __init__(self, fields, record=None) -> None:
        super().__init__()
        self.fields = fields
        self.record = record
        self.saved = []

    def compose(self) -> ComposeResult:
        yield Form(self.fields, lambda values: values, self.record)

    def on_form_saved(self, event: Form.Saved) -> None:
        self.saved.append(event.result)


RATING = Field("rating", "Rating", WHOLE, required=True, minimum=1, maximum=5)
MINUTES = Field("minutes", "Minutes", WHOLE, minimum=0)


async def test_a_whole_number_is_checked_and_saved_as_a_number():
    app = DeclaredFormApp([RATING, MINUTES])
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        form.widget_for("rating").focus()
        await type_text(pilot, "7")
        await pilot.pause()
        assert form.errors()["rating"] == "Rating must be from 1 to 5."
        form.save()
        await settle(pilot)
        assert app.saved == []
        await pilot.press("backspace")
        await type_text(pilot, "tres")
        await pilot.pause()
        assert form.errors()["rating"] == "Rating must be a whole number ('tres' is not)."
        for _ in "tres":
            await pilot.press("backspace")
        await type_text(pilot, "4")
        form.widget_for("minutes").focus()
        await type_text(pilot, "-5")
        await pilot.pause()
        assert form.errors()["minutes"] == "Minutes must be at least 0."
        await pilot.press("home", "delete")
        form.save()
        await settle(pilot)
        assert app.saved == [{"rating": 4, "minutes": 5}]


async def test_a_required_whole_number_left_empty_is_refused_and_an_optional_one_saves_none():
    app = DeclaredFormApp([RATING, MINUTES])
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        form.save()
        await settle(pilot)
        assert form.errors() == {"rating": "Rating is required."}
        form.widget_for("rating").focus()
        await type_text(pilot, "5")
        form.save()
        await settle(pilot)
        assert app.saved == [{"rating": 5, "minutes": None}]


async def test_a_choice_and_a_date_and_time_from_declarations():
    priority = Field("priority", "Priority", CHOICE, required=True,
                     choices=(("low", "Low"), ("normal", "Normal"), ("urgent", "Urgent")))
    appointment = Field("appointment", "Appointment", DATETIME)
    app = DeclaredFormApp([priority, appointment], {"priority": "normal", "appointment": None})
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        assert form.shown_text("priority") == "Normal"
        form.set_value("priority", "urgent")
        form.widget_for("appointment").focus()
        await type_text(pilot, "31/02/2026 10:00")
        await pilot.press("tab")
        await settle(pilot)
        assert "is not a valid date" in form.errors()["appointment"]
        form.set_value("appointment", dt.datetime(2026, 12, 1, 9, 30))
        form.save()
        await settle(pilot)
        assert app.saved == [{"priority": "urgent", "appointment": dt.datetime(2026, 12, 1, 9, 30)}]


TASK_FIELDS = [
    Field("detail", "Detail", MULTILINE, required=True),
    Field("is_task", "Leave a task", BOOL),
    Field("due", "Due in days", WHOLE, required=True, minimum=0, shown_when="is_task"),
    Field("note", "Task note", TEXT, shown_when="due"),
]


async def test_a_field_shown_when_another_has_a_value_is_hidden_until_then_and_not_saved_hidden():
    app = DeclaredFormApp(TASK_FIELDS)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        assert not form.is_shown("due") and not form.is_shown("note")
        assert not form.query_one("#row-due").region.height
        form.widget_for("detail").focus()
        await burst(pilot, "Call back", "<tab>", "<space>", "<tab>", "3", "<tab>", "bring the cable")
        assert form.is_shown("due") and form.is_shown("note")
        assert form.values() == {"detail": "Call back", "is_task": True, "due": 3, "note": "bring the cable"}
        form.widget_for("is_task").focus()
        await pilot.press("space")  # no task after all: the task's fields go, and are not saved
        await settle(pilot)
        assert not form.is_shown("due") and not form.is_shown("note")
        form.save()
        await settle(pilot)
        assert app.saved == [{"detail": "Call back", "is_task": False, "due": None, "note": ""}]


async def test_a_required_field_hidden_does_not_block_the_save_but_shown_it_does():
    app = DeclaredFormApp(TASK_FIELDS, {"detail": "Visit", "is_task": True})
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        assert form.is_shown("due")
        form.save()
        await settle(pilot)
        assert form.errors() == {"due": "Due in days is required."}
        form.set_value("is_task", False)
        await settle(pilot)
        assert form.errors() == {}
        form.save()
        await settle(pilot)
        assert app.saved == [{"detail": "Visit", "is_task": False, "due": None, "note": ""}]


async def test_a_field_shown_for_some_values_of_another():
    status = Field("status", "Status", CHOICE, required=True,
                   choices=(("new", "New"), ("closed", "Closed"), ("lost", "Lost")))
    invoice = Field("invoice", "Invoice number", TEXT, required=True, shown_when="status",
                    shown_for=("closed",))
    app = DeclaredFormApp([status, invoice], {"status": "new"})
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        assert not form.is_shown("invoice")
        form.set_value("status", "closed")
        await settle(pilot)
        assert form.is_shown("invoice")
        form.set_value("invoice", "F-100")
        form.set_value("status", "lost")
        await settle(pilot)
        assert form.values() == {"status": "lost", "invoice": ""}


async def test_a_lookup_field_finds_records_in_its_declared_source(ui_admin):
    client = catalogs.add_client(ui_admin, name="Ferretería Centro")
    other = catalogs.add_client(ui_admin, name="Papelería Sur")
    catalogs.add_contact(ui_admin, client_id=client.id, name="Ana Ruiz")
    catalogs.add_contact(ui_admin, client_id=other.id, name="Ana Soto")
    fields = [Field("client_id", "Client", LOOKUP, required=True, lookup="client"),
              Field("contact_id", "Contact", LOOKUP, lookup="contact",
                    lookup_filter=(("client_id", "client_id"),))]
    record = {"client_id": client.id, "client_key": client.key, "client_name": client.name}
    app = DeclaredFormApp(fields, record)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        assert form.shown_text("client_id") == f"{client.key} Ferretería Centro"
        form.widget_for("contact_id").focus()
        await type_text(pilot, "ana")
        await pilot.press("tab")
        await settle(pilot)
        contact = catalogs.lookup_contacts("Ana Ruiz", 1)[0]
        assert form.values()["contact_id"] == contact.id  # the only Ana of the chosen client
