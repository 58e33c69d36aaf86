"""Menu item «Add opportunity» (Agregar Oportunidad).

The contact is looked up and its stored client, phone and e-mail show under it; then the
type, the agent it is assigned to (the user, unless changed), the subject, observations and
how they found us. [Create] (F8) saves it as a new opportunity, says its number and leaves
the form ready for the next one.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen
from crm_tui.services import opportunities
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.form import form_field
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import plain

TITLE = N_("Add opportunity")
FOUND_US_QUESTION = N_("How did they find us?")


def contact_details(contact: Any | None) -> str:
    """The chosen contact's stored client, phone and e-mail, on one line."""
    if contact is None:
        return _("Client: {client}").format(client="—")
    parts = [_("Client: {client}").format(client=contact.client_name or "—"),
             _("Phone: {phone}").format(phone=contact.phone or contact.mobile or "—"),
             _("E-mail: {email}").format(email=contact.email or "—")]
    return " · ".join(parts)


class AddOpportunityScreen(EditScreen):
    """A new opportunity; after F8 the form stays open, empty, for the next one."""

    AUTO_FOCUS = "#field-contact_id-text"

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        specs = [form_field(field) for field in opportunities.OPPORTUNITY.fields]
        # The old module's question, as the users know it.
        specs = [replace(spec, label=FOUND_US_QUESTION) if spec.name == "found_us_by" else spec for spec in specs]
        super().__init__(_(TITLE), specs, self._add, initial=self._new_values())

    def _new_values(self) -> dict[str, Any]:
        """A new opportunity is the user's own until another agent is chosen."""
        return {"agent_id": self.actor.id, "agent_name": self.actor.full_name or self.actor.username}

    def compose(self) -> ComposeResult:
        yield StatusLine(self.title_text)
        yield from self.compose_body()
        with Horizontal(classes="buttons"):
            yield Button(plain(_("F8 Create")), id="save", variant="primary", compact=True)
            yield Button(plain(_("Esc Back")), id="cancel", compact=True)
        yield CrmFooter()

    def compose_body(self) -> ComposeResult:
        last_saved = Static("", classes="info-line", id="last-saved")
        last_saved.display = False
        yield last_saved
        yield Static(plain(contact_details(None)), classes="info-line", id="contact-details")
        yield self.make_form()

    def _add(self, _stored: Any, values: dict[str, Any]) -> opportunities.OpportunityRecord:
        data = {name: values.get(name) for name in opportunities.OPPORTUNITY.names()}
        return opportunities.add_opportunity(self.actor, opportunities.OpportunityInput(**data))

    def on_lookup_field_changed(self, event: LookupField.Changed) -> None:
        if event.lookup.id == "field-contact_id":
            contact = event.lookup.chosen_record if event.value is not None else None
            self.query_one("#contact-details", Static).update(plain(contact_details(contact), one_line=True))

    def saved(self, result: opportunities.OpportunityRecord) -> None:
        self._say_saved(_("Opportunity {number} created.").format(number=result.number))
        self.form.fill(self._new_values())
        self.form.forget_checks()
        self.query_one("#contact-details", Static).update(plain(contact_details(None)))
        self._focus_first()

    def saved_while_typing(self, result: opportunities.OpportunityRecord) -> None:
        self._say_saved(_("Opportunity {number} created. What you typed while it was being saved stays "
                          "in the form: F8 creates another one.").format(number=result.number))

    def _say_saved(self, message: str) -> None:
        last_saved = self.query_one("#last-saved", Static)
        last_saved.update(plain(message))
        last_saved.display = True
        self.app.notify(message, markup=False)


def make_screen(app) -> AddOpportunityScreen:
    return AddOpportunityScreen(app.actor)
