"""Menu item «Add activity» (Agregar Actividad, Ctrl+D from anywhere).

What the user did (contact, category, when, detail) and, in the same form, what remained
pending: a task or a service order, whose fields show only once the user chooses one
(declared in services/activities.ACTIVITY_ENTRY). F8 saves it all at once, says the folio
(and the order number) and leaves the form ready for the next activity.
"""
from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen
from crm_tui.services import activities
from crm_tui.services.fields import Entity
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.form import FieldSpec, Form, form_field
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import plain

TITLE = N_("Add activity")


def form_fields(entity: Entity) -> list[FieldSpec]:
    """The entity's fields for a form: what is shown but never typed is read-only."""
    return [form_field(field, read_only=field.name in activities.SHOWN_NOT_TYPED) for field in entity.fields]


def saved_message(record: Any) -> str:
    if record.created_order_number:
        return _("Activity saved: folio {folio}, service order {number}.").format(
            folio=record.folio, number=record.created_order_number)
    return _("Activity saved: folio {folio}.").format(folio=record.folio)


def show_contacts_client(form: Form, event: LookupField.Changed) -> None:
    """The contact chosen shows its client (and narrows the order's projects to it)."""
    contact = event.lookup.chosen_record if event.value is not None else None
    form.set_value("client_id", getattr(contact, "client_id", None), contact)


def no_invitation_to_type(form: Form) -> None:
    """A lookup that is shown, never typed (the client) does not ask for a key or name."""
    for name in activities.SHOWN_NOT_TYPED:
        widget = form.widget_for(name) if name in form.specs else None
        if isinstance(widget, LookupField):
            widget.input.placeholder = ""


class AddActivityScreen(EditScreen):
    """The add form; after F8 it stays open, empty, for the next activity."""

    # The first field takes the focus as the screen starts (not the form around it), so
    # keys typed right behind Ctrl+D go there.
    AUTO_FOCUS = "#field-contact_id-text"

    BINDINGS = [
        Binding("f8", "save", N_("Process"), id="process"),
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self) -> None:
        super().__init__(_(TITLE), form_fields(activities.ACTIVITY_ENTRY),
                         lambda _seen, values: activities.record_entry(self.app.actor, values),
                         initial=activities.new_entry_values())

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
        no_invitation_to_type(self.form)
        self.query_one("#last-saved", Static).display = False

    @on(LookupField.Changed, "#field-contact_id")
    def _contact_chosen(self, event: LookupField.Changed) -> None:
        show_contacts_client(self.form, event)

    def on_key(self, event: events.Key) -> None:
        """A key typed right behind Ctrl+D may reach the screen before its first field has
        the focus: it goes to that field instead of being lost."""
        if (self.focused is not None and self.focused is not self.form) or not event.is_printable:
            return
        self._focus_first()
        if self.focused is not None:
            event.stop()
            event.prevent_default()
            self.focused.post_message(events.Key(event.key, event.character))

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
        self.form.fill(activities.new_entry_values())
        self.form.forget_checks()
        self.form.scroll_home(animate=False)
        self._focus_first()


def make_screen(app) -> AddActivityScreen:
    return AddActivityScreen()
