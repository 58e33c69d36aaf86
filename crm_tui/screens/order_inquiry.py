"""Menu item «Single order inquiry»: type a number and see the whole order (its data, its
service entries, its reviews and history); modify it (F8), register a service on it
(Ctrl+R), verify it (F5) or reopen it (F6). Every change carries the version shown."""
from __future__ import annotations

from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TabbedContent, TabPane

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import EditScreen, close_asking_first
from crm_tui.screens.live import FollowsChanges
from crm_tui.screens.order_parts import CheckedForm, entry_lines, order_input, order_lines, review_lines
from crm_tui.services import conflicts, orders
from crm_tui.services.errors import ConflictError, ServiceError
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.dialogs import ConfirmDialog
from crm_tui.widgets.form import Form, error_text
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import plain

TITLE = N_("Single order inquiry")
TABS = ("tab-order", "tab-entries", "tab-history")


class ReviewDialog(ModalScreen):
    """Verify or reopen an order: a short form; F8 saves, Esc cancels. A refusal (a rating
    of 7, another user's change) is shown in the dialog, with everything typed kept."""

    BINDINGS = [
        Binding("f8", "save", N_("Save"), id="review_save"),
        Binding("escape", "cancel", N_("Cancel"), id="review_cancel"),
    ]

    def __init__(self, title: str, specs: list, save: Callable[[dict[str, Any]], Any],
                 reread: Callable[[], str] | None = None) -> None:
        # `reread()`, after another user's change, reads the order again (the next F8 goes
        # over it) and says who changed it and how it stands now.
        super().__init__()
        self.title_text = title
        self.specs = specs
        self.save_callable = save
        self.reread = reread

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog review-dialog"):
            yield Static(plain(self.title_text), classes="screen-title", id="review-title")
            yield CheckedForm(self.specs, self.save_callable, id="review-form")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("F8 Save")), variant="primary", id="save", compact=True)
                yield Button(plain(_("Esc Cancel")), id="cancel", compact=True)
        yield CrmFooter(show_command_palette=False)

    @property
    def form(self) -> Form:
        return self.query_one(Form)

    def on_mount(self) -> None:
        self.form.widget_for(self.specs[0].name).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        self.form.save()

    @on(Form.Saved)
    def _saved(self, event: Form.Saved) -> None:
        event.stop()
        self.dismiss(event.result)

    @on(Form.SaveRefused)
    def _refused(self, event: Form.SaveRefused) -> None:
        event.stop()
        message = event.error.message
        if isinstance(event.error, ConflictError) and self.reread is not None:
            try:
                message = self.reread()
            except ServiceError as error:
                message = error.message
            self.form.show_form_error(message)
        self.app.notify(message, severity="error", markup=False)

    def unsaved_work(self) -> str | None:
        return self.title_text if self.form.saving or self.form.dirty else None

    def action_cancel(self) -> None:
        close_asking_first(self, self.form)


def order_rereader(order_id: int, seen: dict[str, Any],
                   shown: Callable[[orders.OrderDetail], None]) -> Callable[[], str]:
    """For a status dialog after another user's change: reads the order again, hands it to
    `shown`, makes the dialog's next F8 go over that version (`seen["version"]`), and says
    who changed it and how it stands now."""

    def reread() -> str:
        detail = orders.get_order(order_id)
        seen["version"] = detail.order.version
        shown(detail)
        return _("Order {number} was changed by {who} while this was open: it is {status} now. "
                 "F8 applies this to it as it is now; Esc cancels.").format(
            who=conflicts.stored_by(detail.order), number=detail.order.number,
            status=orders.status_label(detail.order.status).lower())

    return reread


class OrderInquiryScreen(FollowsChanges, EditScreen):
    """One order, whole: data (editable while open), service entries, reviews and history."""

    HISTORY_TABLE = "service_order"

    BINDINGS = [
        Binding("f5", "verify", N_("Verify"), id="order_verify",
                tooltip=N_("The customer's verification")),
        Binding("f6", "reopen", N_("Reopen"), id="order_reopen",
                tooltip=N_("Put the order back to open")),
        Binding("f7", "next_tab", N_("Next tab"), id="order_next_tab",
                tooltip=N_("Next tab: the order, its service entries, its reviews and history")),
        Binding("ctrl+o", "choose_order", N_("Number"), show=False, id="order_number",
                tooltip=N_("Type another order number")),
    ]

    def __init__(self, number: int | None = None) -> None:
        super().__init__(_(TITLE), orders.ORDER.fields, self._modify, reload=self._fresh)
        self.initial_number = number
        self.detail: orders.OrderDetail | None = None

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(self.title_text)
        with Horizontal(classes="number-row"):
            yield Label(plain(orders.label("number")))
            yield LookupField(orders.lookup_orders, placeholder=_("Type the number (or words of the detail)"),
                              id="number")
        yield Static("", classes="field-error", id="number-error")
        yield Static(plain(_("Type an order number and press Enter.")), classes="order-state", id="order-state")
        with TabbedContent(id="order-tabs"):
            with TabPane(_("Order"), id="tab-order"):
                yield self.make_form()
            with TabPane(_("Service entries"), id="tab-entries"):
                with VerticalScroll(id="entries-scroll"):
                    yield Static("", classes="order-text", id="entries")
            with TabPane(_("Reviews and history"), id="tab-history"):
                with VerticalScroll(id="history-scroll"):
                    yield Static("", classes="order-text", id="history")
        with Horizontal(classes="buttons"):
            yield Button(plain(_("F8 Save")), id="save", variant="primary", compact=True)
            yield Button(plain(_("^R Service")), id="service", compact=True)
            yield Button(plain(_("F5 Verify")), id="verify", compact=True)
            yield Button(plain(_("F6 Reopen")), id="reopen", compact=True)
            yield Button(plain(_("Esc Back")), id="cancel", compact=True)
        yield CrmFooter()

    def history_title(self) -> str:
        return _("Order {number}").format(number=self.record.number)

    def make_form(self) -> Form:
        return CheckedForm(self.specs, lambda values: self.save_callable(self.record, values), None, id="form")

    @property
    def number_field(self) -> LookupField:
        return self.query_one("#number", LookupField)

    @property
    def order_number_in_view(self) -> int | None:
        """The order shown (Ctrl+R registers a service on it)."""
        return self.record.number if self.record is not None else None

    def on_mount(self) -> None:
        if self.initial_number is not None:
            self._load_number(self.initial_number)
        self.follow_changes()

    # --- what others change: the same cheap check as the lists' --------------------------

    def wants_change_check(self) -> bool:
        return self.app.screen is self and self.record is not None

    def others_changed(self) -> None:
        """Show the order as others left it; the form is filled again only when it holds
        nothing typed (else F8 meets their version as a conflict, the text kept)."""
        if self.record is None or self.app.screen is not self:
            return
        try:
            detail = orders.get_order(self.record.id)
        except ServiceError:
            return
        if detail == self.detail:
            return
        self._show(detail, refill=not self.form.dirty and not self.form.saving)

    def show_order(self, number: int) -> None:
        """Show order `number` (app.open_order: a list's Enter, a project's order)."""
        if not self.is_mounted:
            self.initial_number = number  # on_mount loads it
            return
        self._open(lambda: self._load_number(number))

    def focus_start(self) -> None:
        if self.initial_number is None:
            self.number_field.focus()
        else:
            self._focus_first()

    def on_screen_resume(self) -> None:
        # Back from registering a service (or any screen): the order may have moved on.
        if self.record is not None and not self.form.dirty and not self.form.saving:
            self._load(self.record.id)

    # --- choosing the order ----------------------------------------------------------

    def on_lookup_field_changed(self, event: LookupField.Changed) -> None:
        if event.lookup.id == "number" and event.value is not None:
            event.stop()
            self._open(lambda: self._load(event.value))

    @on(Input.Submitted, "#number-text")
    def _number_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = self.number_field.text.strip()
        if text and self.number_field.value is None:
            self._open(lambda: self._load_number(text))

    def _open(self, load: Callable[[], None]) -> None:
        """Another order in place of the one shown: asks first if its form holds changes."""
        if self.record is None or not self.form.dirty:
            load()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                load()
            else:
                self._show_number(self.record)

        self.app.push_screen(ConfirmDialog(_("Discard the changes?"), yes=_("Discard"), no=_("Keep editing")),
                             answered)

    def _load_number(self, number: int | str) -> None:
        try:
            detail = orders.get_order_by_number(number)
        except ServiceError as error:
            self._number_error(error.message)
            return
        self._show(detail)

    def _load(self, order_id: int) -> None:
        try:
            detail = orders.get_order(order_id)
        except ServiceError as error:
            self._number_error(error.message)
            return
        self._show(detail)

    def _number_error(self, message: str) -> None:
        error_line = self.query_one("#number-error", Static)
        error_line.update(plain(error_text(message)))
        error_line.set_class(bool(message), "-shown")
        self.number_field.set_class(bool(message), "-invalid")
        if message:
            self.number_field.focus()

    def _show_number(self, order: orders.OrderRecord) -> None:
        self.number_field.set_choice(order.id, order.label, order)

    def _show(self, detail: orders.OrderDetail, refill: bool = True) -> None:
        """The order on screen: its number, its state, its form, entries and history."""
        self._number_error("")
        self.detail = detail
        self.record = detail.order
        self._show_number(detail.order)
        self._show_parts(detail)
        if refill:
            self.form.fill(detail.order)
            self.form.show_typed({})
            self.form.show_form_error("")

    def _show_parts(self, detail: orders.OrderDetail) -> None:
        order = detail.order
        state = _("Order {number} · {status} · times reopened: {times}").format(
            number=order.number, status=orders.status_label(order.status), times=order.times_reopened)
        self.query_one("#order-state", Static).update(plain(state))
        entries = [*order_lines(order), "", _("Service entries"), *entry_lines(detail.entries)]
        self.query_one("#entries", Static).update(plain("\n".join(entries)))
        self.query_one("#history", Static).update(plain("\n".join(review_lines(detail))))

    def action_choose_order(self) -> None:
        self.number_field.focus()

    # --- modify (F8) ---------------------------------------------------------------

    def _modify(self, order: orders.OrderRecord | None, values: dict[str, Any]) -> orders.OrderRecord:
        return orders.modify_order(self.app.actor, order.id, order.version, order_input(values))

    def _fresh(self, order: orders.OrderRecord) -> orders.OrderRecord:
        return orders.get_order(order.id).order

    def action_save(self) -> None:
        if self._no_order():
            return
        super().action_save()

    def saved(self, result: orders.OrderRecord) -> None:
        self.app.notify(_("Order {number} saved.").format(number=result.number), markup=False)
        self._load(result.id)

    def saved_while_typing(self, result: orders.OrderRecord) -> None:
        super().saved_while_typing(result)
        self._show(orders.get_order(result.id), refill=False)

    def action_reload(self) -> None:
        super().action_reload()
        if self.record is not None:
            try:
                self._show(orders.get_order(self.record.id), refill=False)
            except ServiceError:
                pass

    def _no_order(self) -> bool:
        if self.record is None:
            self.app.notify(_("Type an order number first."), severity="warning", markup=False)
            self.number_field.focus()
            return True
        return False

    # --- buttons and tabs --------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()  # the form screen's own buttons are handled here too
        actions = {"save": self.action_save, "service": self.action_service, "verify": self.action_verify,
                   "reopen": self.action_reopen, "next_tab": self.action_next_tab, "cancel": self.action_back}
        actions[event.button.id]()

    def action_service(self) -> None:
        if not self._no_order():
            self.app.open_menu("add_service")

    def action_next_tab(self) -> None:
        tabs = self.query_one("#order-tabs", TabbedContent)
        following = TABS[(TABS.index(tabs.active) + 1) % len(TABS)]
        tabs.active = following
        if following == "tab-order":
            self._focus_first()
        else:
            self.query_one(f"#{following} VerticalScroll").focus()

    # --- verify (F5) and reopen (F6): each carries the version shown ---------------------

    def action_verify(self) -> None:
        if self._no_order():
            return
        order = self.record
        if order.status != orders.FINISHED:
            self._refuse(_("Order {number} is {status}: only finished orders can be verified."), order)
            return
        seen = {"version": order.version}

        def verify(values: dict[str, Any]) -> orders.OrderRecord:
            return orders.verify_order(self.app.actor, order.id, seen["version"], closed=bool(values["closed"]),
                                       rating=values["rating"], customer_comments=values["customer_comments"])

        title = _("Verify order {number}").format(number=order.number)
        self.app.push_screen(ReviewDialog(title, orders.VERIFICATION.fields, verify, self._rereader(order, seen)),
                             self._reviewed)

    def action_reopen(self) -> None:
        if self._no_order():
            return
        order = self.record
        if order.status not in (orders.FINISHED, orders.CLOSED):
            self._refuse(_("Order {number} is {status}: only finished or closed orders can be reopened."), order)
            return

        seen = {"version": order.version}

        def reopen(values: dict[str, Any]) -> orders.OrderRecord:
            return orders.reopen_order(self.app.actor, order.id, seen["version"],
                                       customer_comments=values["customer_comments"])

        title = _("Reopen order {number}").format(number=order.number)
        self.app.push_screen(ReviewDialog(title, orders.REOPENING.fields, reopen, self._rereader(order, seen)),
                             self._reviewed)

    def _rereader(self, order: orders.OrderRecord, seen: dict[str, Any]) -> Callable[[], str]:
        # The order's parts on screen show it as stored now; its own form keeps what was typed.
        def shown(detail: orders.OrderDetail) -> None:
            self._show_number(detail.order)
            self._show_parts(detail)

        return order_rereader(order.id, seen, shown)

    def _refuse(self, message: str, order: orders.OrderRecord) -> None:
        self.app.notify(message.format(number=order.number, status=orders.status_label(order.status).lower()),
                        severity="warning", markup=False)

    def _reviewed(self, result: orders.OrderRecord | None) -> None:
        if result is None:
            return
        self.app.notify(_("Order {number} is now {status}.").format(
            number=result.number, status=orders.status_label(result.status).lower()), markup=False)
        self._load(result.id)


def make_screen(app) -> OrderInquiryScreen:
    return OrderInquiryScreen()
