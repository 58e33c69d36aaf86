"""Seguimiento de Oportunidades: one opportunity, and its next status.

[Waiting] (comments, the date to contact them again), [Working] (the follow-up comment,
and optionally that date), [Closed] (the invoice number), [Lost] (why it was lost and what
we can do better): each shows only the fields its status asks for (services/opportunities
STATUS_CHANGE). [Save] (F8) refuses at the empty field, and carries the version the user
saw: another user's change in between is told, and what was typed stays. [History] shows
every movement.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen
from crm_tui.screens.order_parts import CheckedForm
from crm_tui.services import opportunities
from crm_tui.services.base import format_date
from crm_tui.services.errors import NotFound, ServiceError
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.form import Form, form_field
from crm_tui.widgets.safe import plain

TITLE = N_("Opportunity follow-up")

# The status buttons: (button id, key, target status).
STATUS_BUTTONS = (
    ("to-waiting", "f3", opportunities.WAITING),
    ("to-working", "f4", opportunities.WORKING),
    ("to-closed", "f5", opportunities.CLOSED),
    ("to-lost", "f6", opportunities.LOST),
)
BUTTON_LABELS = {
    opportunities.WAITING: N_("Wait"),
    opportunities.WORKING: N_("Work on it"),
    opportunities.CLOSED: N_("Closed"),
    opportunities.LOST: N_("Lost"),
}


def opportunity_lines(record: opportunities.OpportunityRecord) -> str:
    """The opportunity as the follow-up shows it above the form."""
    def value(text: Any) -> str:
        return str(text) if text not in (None, "") else "—"

    lines = [
        _("Opportunity {number} · {status} · {type}").format(
            number=record.number, status=opportunities.status_label(record.status), type=record.type_name),
        _("{contact} ({client}) · Agent: {agent}").format(
            contact=record.contact_name, client=record.client_name, agent=record.agent_name),
        "{label}: {text}".format(label=_("Subject"), text=value(record.subject)),
    ]
    if record.next_contact_date is not None:
        lines.append("{label}: {date}".format(label=_("Next contact date"),
                                               date=format_date(record.next_contact_date)))
    if record.is_final:
        lines.append(_("It is {status}: its status cannot change any more; F7 shows its history.").format(
            status=opportunities.status_label(record.status)))
    return "\n".join(lines)


def status_form_fields() -> list:
    """The status change's fields; the status is chosen with the buttons, never typed (and
    starts empty: the buttons say it is missing)."""
    return [replace(form_field(field, read_only=True), required=False) if field.name == "to_status"
            else form_field(field) for field in opportunities.STATUS_CHANGE.fields]


class OpportunityFollowupScreen(EditScreen):
    """The follow-up of one opportunity: choose its next status, fill what it asks, F8."""

    HISTORY_TABLE = "opportunity"

    BINDINGS = [
        *(Binding(key, f"choose('{status}')", BUTTON_LABELS[status], id=f"opportunity_{status}")
          for _id, key, status in STATUS_BUTTONS),
        Binding("f7", "movements", N_("History"), id="opportunity_history",
                tooltip=N_("Every movement of the opportunity")),
    ]

    def __init__(self, actor: Any, record: opportunities.OpportunityRecord) -> None:
        self.actor = actor
        super().__init__(_(TITLE), status_form_fields(), self._change, record,
                         reload=lambda seen: opportunities.get_opportunity(seen.id).opportunity)

    def compose(self) -> ComposeResult:
        yield StatusLine(self.title_text)
        yield Static(plain(opportunity_lines(self.record)), classes="info-line", id="opportunity-info")
        with Horizontal(classes="buttons", id="status-buttons"):
            for button_id, key, status in STATUS_BUTTONS:
                yield Button(plain("{key} {label}".format(key=key.upper(), label=_(BUTTON_LABELS[status]))),
                             id=button_id, compact=True)
        yield self.make_form()
        with Horizontal(classes="buttons"):
            yield Button(plain(_("F8 Save")), id="save", variant="primary", compact=True)
            yield Button(plain(_("F7 History")), id="history", compact=True)
            yield Button(plain(_("Esc Back")), id="cancel", compact=True)
        yield CrmFooter()

    def make_form(self) -> Form:
        # The form starts empty: it holds the change, not the opportunity.
        return CheckedForm(self.specs, lambda values: self.save_callable(self.record, values), None,
                           checks={name: self._needed(name) for name in ("comment", "next_contact_date")},
                           id="form")

    def _needed(self, name: str):
        """What the chosen status asks of a field the declaration leaves optional."""
        def check() -> str:
            status = self.form.raw_value("to_status")
            if name not in opportunities.REQUIRED_FOR.get(status, ()):
                return ""
            if self.form.raw_value(name) not in (None, "") and str(self.form.raw_value(name)).strip():
                return ""
            return _("{field} is required to set the opportunity as {status}.").format(
                field=_(opportunities.LABELS[name]), status=opportunities.status_label(status))
        return check

    def on_mount(self) -> None:
        self._show_record()

    def focus_start(self) -> None:
        self.query_one("#to-waiting", Button).focus()

    # --- the status buttons ------------------------------------------------------------

    def _show_record(self) -> None:
        self.query_one("#opportunity-info", Static).update(plain(opportunity_lines(self.record)))
        for button in self.query("#status-buttons Button"):
            button.disabled = self.record.is_final
        self.query_one("#save", Button).disabled = self.record.is_final

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("choose", "save") and self.record.is_final:
            return None
        return super().check_action(action, parameters)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        status = next((status for name, _key, status in STATUS_BUTTONS if name == button_id), None)
        if status is not None:
            event.stop()
            event.prevent_default()
            self.action_choose(status)
        elif button_id == "history":
            event.stop()
            event.prevent_default()
            self.action_movements()

    def action_choose(self, status: str) -> None:
        """Show the fields `status` asks for, and start typing in the first of them."""
        if self.record.is_final:
            return
        self.form.set_value("to_status", status)
        self.form.forget_checks()
        first = next((name for name in opportunities.STATUS_CHANGE.names()[1:]
                      if self.form.is_shown(name) and name in self._fields_of(status)), "comment")
        # At once (not after a refresh, as focus() does): keys typed right behind the
        # button's key go to the field it shows.
        self.set_focus(self.form.widget_for(first))

    @staticmethod
    def _fields_of(status: str) -> tuple[str, ...]:
        return opportunities.REQUIRED_FOR.get(status, ()) or ("comment",)

    # --- saving ------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.form.raw_value("to_status") is None:
            buttons = ", ".join("{key} {label}".format(key=key.upper(), label=_(BUTTON_LABELS[status]))
                                for _id, key, status in STATUS_BUTTONS)
            message = _("Choose the new status first: {buttons}.").format(buttons=buttons)
            self.form.show_form_error(message)
            self.app.notify(message, severity="warning", markup=False)
            return
        super().action_save()

    def _change(self, seen: opportunities.OpportunityRecord, values: dict[str, Any]) -> Any:
        return opportunities.change_status(
            self.actor, seen.id, seen.version, values["to_status"], comment=values.get("comment") or "",
            next_contact_date=values.get("next_contact_date"),
            invoice_number=values.get("invoice_number") or "", why_lost=values.get("why_lost") or "",
            to_improve=values.get("to_improve") or "")

    def saved(self, result: opportunities.OpportunityRecord) -> None:
        self.app.notify(_("Opportunity {number} is now {status}.").format(
            number=result.number, status=opportunities.status_label(result.status)), markup=False)
        self.dismiss(result)

    def saved_while_typing(self, result: opportunities.OpportunityRecord) -> None:
        self.saved(result)

    def _offer_conflict_choice(self) -> bool:
        # A status change is not a field edit: there is nothing to merge field by field.
        # The refusal says another user moved it, what was typed stays, F9 reads it again.
        return False

    def action_reload(self) -> None:
        """F9 after a conflict: the opportunity as stored now; the change typed stays."""
        try:
            self.record = self.reload_callable(self.record)
        except NotFound:
            self.form.show_form_error(self._gone_message())
            return
        except ServiceError as error:
            self.form.show_form_error(error.message)
            return
        self._show_record()
        self.form.show_form_error("")
        self.app.notify(_("Reloaded as stored now."), markup=False)

    # --- history -------------------------------------------------------------------------

    def action_movements(self) -> None:
        # F7 [Historial]: the opportunity's movements; Ctrl+T (every record screen) the
        # audit trail of its fields.
        from crm_tui.screens.opportunity_history import OpportunityHistoryScreen

        self.app.push_screen(OpportunityHistoryScreen(self.record))
