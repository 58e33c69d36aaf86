"""Menu item «Register service» (Ctrl+R from every screen): the work done on an open
order. The order is typed by number or found by look-up; its summary and earlier entries
show under the form. Opened from an order's inquiry, it registers on that order."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen
from crm_tui.screens.order_parts import CheckedForm, entry_lines, order_lines
from crm_tui.services import orders
from crm_tui.services.clock import now
from crm_tui.services.errors import ServiceError, ValidationError
from crm_tui.widgets.form import Form
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import plain

TITLE = N_("Register service")
NEW_ENTRY: dict[str, Any] = {"service_finished": False}


class AddServiceScreen(EditScreen):
    """Work done, minutes spent and [x] Service finished, on the open order chosen."""

    def __init__(self, order_number: int | None = None) -> None:
        super().__init__(_(TITLE), orders.SERVICE_ENTRY.fields, self._register, initial=dict(NEW_ENTRY))
        self.order_number = order_number  # opened on this order (from its inquiry)
        self.detail: orders.OrderDetail | None = None
        self._saving_now = False

    def compose_body(self) -> ComposeResult:
        last_saved = Static("", classes="info-line", id="last-saved")
        last_saved.display = False
        yield last_saved
        yield self.make_form()
        with VerticalScroll(id="order-summary", classes="order-summary -tall"):
            yield Static(plain(_("Type the order number, or part of its detail to look it up.")),
                         id="order-summary-text")

    def make_form(self) -> Form:
        return CheckedForm(self.specs, lambda values: self.save_callable(self.record, values), self.initial,
                           checks={"order_id": self._check_order}, id="form",
                           classes="add-service-form")

    def on_mount(self) -> None:
        if self.order_number is not None:
            self._choose_number(self.order_number)

    def focus_start(self) -> None:
        if self.order_number is not None:
            self.form.widget_for("work_done").focus()
        else:
            self._focus_first()

    def _choose_number(self, number: int) -> None:
        try:
            detail = orders.get_order_by_number(number)
        except ServiceError as error:
            self.form.show_field_error("order_id", error.message)
            return
        lookup: LookupField = self.form.widget_for("order_id")
        lookup.set_choice(detail.order.id, lookup.describe(detail.order), detail.order)
        self._show_order(detail)
        self.form.show_field_error("order_id", orders.closed_for_work_message(detail.order))
        self.form.mark_clean()

    # --- the order: shown as chosen, refused at the field when not open ------------------

    def on_lookup_field_changed(self, event: LookupField.Changed) -> None:
        if event.lookup.id != "field-order_id":
            return
        if event.value is None:
            self._show_order(None)
            return
        try:
            self._show_order(orders.get_order(event.value))
        except ServiceError as error:
            self.form.show_field_error("order_id", error.message)
            return
        self.form.show_field_error("order_id", self._check_order())

    def _check_order(self) -> str:
        """Why no work can be logged on the order in the field ("" when it can)."""
        lookup: LookupField = self.form.widget_for("order_id")
        if lookup.value is None and lookup.text.strip() and self._saving_now:
            # F8 with a number typed and not chosen: it is taken as the order's number (while
            # typing, "12" is not yet order 123).
            try:
                detail = orders.order_for_work(lookup.text)
            except ValidationError as error:
                return error.message
            lookup.set_choice(detail.order.id, lookup.describe(detail.order), detail.order)
            self._show_order(detail)
            return ""
        if self.detail is None or lookup.value != self.detail.order.id:
            return ""
        return orders.closed_for_work_message(self.detail.order)

    def _show_order(self, detail: orders.OrderDetail | None) -> None:
        self.detail = detail
        text = self.query_one("#order-summary-text", Static)
        if detail is None:
            text.update(plain(_("Type the order number, or part of its detail to look it up.")))
            return
        order = detail.order
        lines = [_("Order {number}").format(number=order.number), order.detail, "",
                 _("Service entries"), *entry_lines(detail.entries), "", *order_lines(order)]
        text.update(plain("\n".join(lines)))

    # --- saving ------------------------------------------------------------------------

    def action_save(self) -> None:
        self._saving_now = True
        try:
            super().action_save()
        finally:
            self._saving_now = False

    def _register(self, _stored: Any, values: dict[str, Any]) -> orders.EntryRecord:
        order = self.detail.order if self.detail is not None else None
        if order is None or order.id != values["order_id"]:
            order = orders.get_order(values["order_id"]).order
        return orders.register_service(self.app.actor, order.id, when=now(), work_done=values["work_done"],
                                       minutes=values["minutes"],
                                       service_finished=bool(values["service_finished"]),
                                       version=order.version)

    def saved(self, result: orders.EntryRecord) -> None:
        detail = orders.get_order(result.order_id)
        number = detail.order.number
        message = _("Service registered on order {number}.").format(number=number)
        if result.service_finished:
            message = _("Service registered on order {number}; the order is finished.").format(number=number)
        self.app.notify(message, markup=False)
        if self.order_number is not None:  # opened from the order's inquiry: back to it
            self.dismiss(result)
            return
        last_saved = self.query_one("#last-saved", Static)
        last_saved.update(plain(message))
        last_saved.display = True
        self.form.clear(dict(NEW_ENTRY))
        self._show_order(None)
        self._focus_first()

    def saved_while_typing(self, result: orders.EntryRecord) -> None:
        self.detail = orders.get_order(result.order_id)
        self._show_order(self.detail)
        self.app.notify(_("Service registered. What you typed while it was being saved stays in the form: "
                          "F8 registers it as another entry."), markup=False)


def make_screen(app) -> AddServiceScreen:
    """Ctrl+R on an order's inquiry registers on that order."""
    return AddServiceScreen(getattr(app.screen, "order_number_in_view", None))
