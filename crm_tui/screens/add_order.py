"""Menu item «Add service order» (Ctrl+S from every screen): F8 saves the order, shows its
number and leaves the form empty for the next one."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen
from crm_tui.screens.order_parts import CheckedForm, order_input
from crm_tui.services import catalogs, orders
from crm_tui.services.errors import ServiceError
from crm_tui.widgets.form import Form, form_field
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import plain

TITLE = N_("Add service order")
NEW_ORDER = {"priority": "normal"}


class AddOrderScreen(EditScreen):
    """A new service order; the project (optional) narrows the contacts to its client."""

    def __init__(self) -> None:
        # The contacts are looked up among the project's client's, once a project is chosen.
        contact = replace(form_field(orders.ORDER.field("contact_id")), lookup=self._lookup_contacts)
        specs = [contact if field.name == "contact_id" else field for field in orders.ORDER.fields]
        super().__init__(_(TITLE), specs, self._add, initial=dict(NEW_ORDER))
        self.project_client_id: int | None = None

    def compose_body(self) -> ComposeResult:
        last_saved = Static("", classes="info-line", id="last-saved")
        last_saved.display = False
        yield last_saved
        yield Static(plain(_("Client: {client}").format(client="—")), classes="info-line", id="client-line")
        yield self.make_form()

    def make_form(self) -> Form:
        return CheckedForm(self.specs, lambda values: self.save_callable(None, values), self.initial, id="form")

    def _lookup_contacts(self, text: str, limit: int) -> list:
        return catalogs.lookup_contacts(text, limit, client_id=self.project_client_id)

    def _add(self, _stored: Any, values: dict[str, Any]) -> orders.OrderRecord:
        return orders.add_order(self.app.actor, order_input(values))

    # --- the project suggests the contact, the contact shows its client ---------------

    def on_lookup_field_changed(self, event: LookupField.Changed) -> None:
        if event.lookup.id == "field-project_id":
            self._project_chosen(event.lookup.chosen_record)
        elif event.lookup.id == "field-contact_id":
            self._show_client(event.lookup.chosen_record)

    def _project_chosen(self, project: catalogs.ProjectRecord | None) -> None:
        self.project_client_id = project.client_id if project is not None else None
        if project is None:
            return
        contact = self.form.widget_for("contact_id")
        if contact.value is None and project.contact_in_charge_id is not None:
            try:
                suggested = catalogs.get_contact(project.contact_in_charge_id)
            except ServiceError:
                return
            contact.set_choice(suggested.id, contact.describe(suggested), suggested)
            self._show_client(suggested)
        elif contact.value is None:
            self.query_one("#client-line", Static).update(
                plain(_("Client: {client}").format(client=project.client_name)))

    def _show_client(self, contact: catalogs.ContactRecord | None) -> None:
        client = contact.client_name if contact is not None else "—"
        self.query_one("#client-line", Static).update(plain(_("Client: {client}").format(client=client)))

    # --- saved: the number, and the form ready for the next order ---------------------

    def saved(self, result: orders.OrderRecord) -> None:
        message = _("Service order {number} saved.").format(number=result.number)
        self._say_saved(message)
        self.form.clear(dict(NEW_ORDER))
        self.project_client_id = None
        self._show_client(None)
        self._focus_first()

    def saved_while_typing(self, result: orders.OrderRecord) -> None:
        self._say_saved(_("Service order {number} saved. What you typed while it was being saved stays "
                          "in the form: F8 saves it as another order.").format(number=result.number))

    def _say_saved(self, message: str) -> None:
        last_saved = self.query_one("#last-saved", Static)
        last_saved.update(plain(message))
        last_saved.display = True
        self.app.notify(message, markup=False)


def make_screen(app) -> AddOrderScreen:
    return AddOrderScreen()
