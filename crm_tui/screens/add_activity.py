"""Menu item «Add activity» (Agregar Actividad, Ctrl+D from anywhere).

What the user did (contact, category, when, detail) and, in the same form, what remained
pending: a task or a service order, whose fields show only once the user chooses one.
F8 saves it all at once, says the folio (and the order number) and leaves the form ready
for the next activity.
"""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Select, Static

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen
from crm_tui.services import activities, catalogs, orders, users
from crm_tui.services.activities import (
    ORDER_FIELD_PREFIX,
    PENDING_LABELS,
    PENDING_NOTHING,
    PENDING_ORDER,
    PENDING_TASK,
    TASK_FIELD_PREFIX,
    TaskInput,
)
from crm_tui.services.clock import now
from crm_tui.services.orders import OrderInput
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.form import CHOICE, DATE, DATETIME, LOOKUP, MULTILINE, TEXT, FieldSpec, Form
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import plain

TITLE = N_("Add activity")


def _contacts(text: str, limit: int) -> list:
    return catalogs.lookup_contacts(text, limit)


def _categories(text: str, limit: int) -> list:
    return catalogs.lookup_categories(text, limit)


def _users(text: str, limit: int) -> list:
    return users.lookup_users(text, limit)


def contact_shown(record: Any) -> str:
    return "{name} ({client})".format(name=record.contact_name, client=record.client_name)


def user_shown(name_attribute: str):
    return lambda record: getattr(record, name_attribute, "") or ""


def category_shown(record: Any) -> str:
    return record.category_name


# The activity itself: what the add form and the modify form share.
ACTIVITY_FIELDS = [
    FieldSpec("contact_id", activities.LABELS["contact_id"], LOOKUP, required=True, lookup=_contacts,
              display=contact_shown),
    FieldSpec("client_name", N_("Client"), TEXT, read_only=True),
    FieldSpec("category_id", activities.LABELS["category_id"], LOOKUP, required=True, lookup=_categories,
              display=category_shown),
    FieldSpec("when", activities.LABELS["when"], DATETIME, required=True),
    FieldSpec("detail", activities.LABELS["detail"], MULTILINE, required=True),
]

PENDING_FIELD = FieldSpec("pending", N_("Left pending"), CHOICE, required=True,
                          choices=tuple(PENDING_LABELS.items()))

TASK_FIELDS = [
    FieldSpec(TASK_FIELD_PREFIX + "assignee_id", activities.LABELS["assignee_id"], LOOKUP, lookup=_users),
    FieldSpec(TASK_FIELD_PREFIX + "due_date", activities.LABELS["due_date"], DATE),
    FieldSpec(TASK_FIELD_PREFIX + "detail", N_("Task detail"), MULTILINE,
              help=N_("Empty: the activity's detail")),
]


def order_fields(projects) -> list[FieldSpec]:
    """The service order part; `projects(text, limit)` looks up the contact's projects."""
    prefix = ORDER_FIELD_PREFIX
    return [
        FieldSpec(prefix + "project_id", orders.LABELS["project_id"], LOOKUP, lookup=projects),
        FieldSpec(prefix + "priority", orders.LABELS["priority"], CHOICE, required=True,
                  choices=tuple(orders.PRIORITY_LABELS.items())),
        FieldSpec(prefix + "assigned_user_id", orders.LABELS["assigned_user_id"], LOOKUP, lookup=_users),
        FieldSpec(prefix + "appointment_at", orders.LABELS["appointment_at"], DATETIME),
        FieldSpec(prefix + "category_id", orders.LABELS["category_id"], LOOKUP, lookup=_categories,
                  help=N_("Empty: the activity's category")),
        FieldSpec(prefix + "detail", N_("Order detail"), MULTILINE, help=N_("Empty: the activity's detail")),
        FieldSpec(prefix + "equipment", orders.LABELS["equipment"], MULTILINE),
    ]


def fresh_values() -> dict[str, Any]:
    """What the form starts with: now, nothing pending, a normal priority."""
    return {"when": now(), "pending": PENDING_NOTHING, ORDER_FIELD_PREFIX + "priority": "normal"}


def task_input(values: dict[str, Any]) -> TaskInput:
    prefix = TASK_FIELD_PREFIX
    return TaskInput(due_date=values.get(prefix + "due_date"), assignee_id=values.get(prefix + "assignee_id"),
                     detail=values.get(prefix + "detail") or "")


def order_input(values: dict[str, Any]) -> OrderInput:
    prefix = ORDER_FIELD_PREFIX
    return OrderInput(contact_id=None, category_id=values.get(prefix + "category_id"),
                      detail=values.get(prefix + "detail") or "",
                      priority=values.get(prefix + "priority") or "normal",
                      assigned_user_id=values.get(prefix + "assigned_user_id"),
                      appointment_at=values.get(prefix + "appointment_at"),
                      project_id=values.get(prefix + "project_id"),
                      equipment=values.get(prefix + "equipment") or "")


def saved_message(record: Any) -> str:
    if record.created_order_number:
        return _("Activity saved: folio {folio}, service order {number}.").format(
            folio=record.folio, number=record.created_order_number)
    return _("Activity saved: folio {folio}.").format(folio=record.folio)


def show_or_hide(widget, shown: bool) -> None:
    """Hide the widget, or give it back to the stylesheet (an empty error line stays hidden)."""
    if shown:
        widget.styles.clear_rule("display")
    else:
        widget.display = False


class AddActivityScreen(EditScreen):
    """The add form; after F8 it stays open, empty, for the next activity."""

    BINDINGS = [
        Binding("f8", "save", N_("Process"), id="process"),
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self) -> None:
        self._client_id: int | None = None
        specs = ACTIVITY_FIELDS + [PENDING_FIELD] + TASK_FIELDS + order_fields(self._projects_of_client)
        super().__init__(_(TITLE), specs, lambda _seen, values: self.record_it(values),
                         initial=fresh_values())

    def compose(self) -> ComposeResult:
        yield StatusLine(self.title_text)
        yield Static("", classes="info-line", id="last-saved")
        yield from self.compose_body()
        with Horizontal(classes="buttons"):
            yield Button(plain(_("F8 Process")), id="save", variant="primary", compact=True)
            yield Button(plain(_("Esc Back")), id="cancel", compact=True)
        yield CrmFooter()

    def make_form(self) -> Form:
        # Filled by on_mount below, not by the form's own mount: that one may run after
        # the first keys typed right behind Ctrl+D, and would empty the field they went to.
        return Form(self.specs, lambda values: self.save_callable(None, values), None, id="form")

    def on_mount(self) -> None:
        self.form.fill(self.initial)
        super().on_mount()
        self.query_one("#last-saved", Static).display = False
        self._show_pending_part(PENDING_NOTHING)

    def _projects_of_client(self, text: str, limit: int) -> list:
        return catalogs.lookup_projects(text, limit, client_id=self._client_id)

    # --- what the user chooses changes what the form shows ---------------------------

    @on(LookupField.Changed, "#field-contact_id")
    def _contact_chosen(self, event: LookupField.Changed) -> None:
        record = event.lookup.chosen_record
        self._client_id = getattr(record, "client_id", None) if event.value is not None else None
        self.form.set_value("client_name", getattr(record, "client_name", "") if self._client_id else "")

    @on(Select.Changed, "#field-pending")
    def _pending_chosen(self, event: Select.Changed) -> None:
        self._show_pending_part(event.value)

    def _show_pending_part(self, choice: Any) -> None:
        """The task's fields only for a task, the order's only for an order."""
        shown_prefix = {PENDING_TASK: TASK_FIELD_PREFIX, PENDING_ORDER: ORDER_FIELD_PREFIX}.get(choice)
        for name in self.form.specs:
            part = TASK_FIELD_PREFIX if name.startswith(TASK_FIELD_PREFIX) else (
                ORDER_FIELD_PREFIX if name.startswith(ORDER_FIELD_PREFIX) else None)
            if part is None:
                continue
            shown = part == shown_prefix
            for selector in (f"#row-{name}", f"#error-{name}"):
                show_or_hide(self.form.query_one(selector), shown)
        for name, help_line in self._help_lines():
            show_or_hide(help_line, self._part_shown(name, shown_prefix))

    def _help_lines(self):
        """Each help line with the field it explains (it comes right after that field's row)."""
        current = None
        for child in self.form.children:
            if child.id and child.id.startswith("row-"):
                current = child.id[4:]
            elif child.has_class("field-help") and current is not None:
                yield current, child

    @staticmethod
    def _part_shown(name: str, shown_prefix: str | None) -> bool:
        for prefix in (TASK_FIELD_PREFIX, ORDER_FIELD_PREFIX):
            if name.startswith(prefix):
                return prefix == shown_prefix
        return True

    # --- saving ------------------------------------------------------------------------

    def record_it(self, values: dict[str, Any]) -> Any:
        """Runs in the form's save worker: one transaction for all of it."""
        pending = values.get("pending")
        return activities.record_activity(
            self.app.actor, when=values.get("when"), contact_id=values.get("contact_id"),
            category_id=values.get("category_id"), detail=values.get("detail") or "",
            task=task_input(values) if pending == PENDING_TASK else None,
            order=order_input(values) if pending == PENDING_ORDER else None)

    @on(Form.Saved)
    def _recorded(self, event: Form.Saved) -> None:
        """Say the folio, and start the next activity (unless the user typed while it saved)."""
        event.stop()
        event.prevent_default()
        message = saved_message(event.result)
        last_saved = self.query_one("#last-saved", Static)
        last_saved.update(plain(message))
        last_saved.display = True
        self.app.notify(message, markup=False)
        if self.form.dirty:  # typed while the save waited: that text stays, for the next F8
            self.form.show_form_error(_("What you typed while it was saving stays in the form: "
                                        "F8 saves it as another activity."))
            return
        self._start_next()

    def _start_next(self) -> None:
        self.form.fill(fresh_values())
        self._client_id = None
        self._show_pending_part(PENDING_NOTHING)
        self.form.forget_checks()
        self.form.scroll_home(animate=False)
        self._focus_first()


def make_screen(app) -> AddActivityScreen:
    return AddActivityScreen()
