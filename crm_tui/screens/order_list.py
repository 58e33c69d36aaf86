"""Menu item «General order inquiry»: service orders by status, user, client, contact,
project and dates ([Query], F7), or by the words of their detail and service entries
([Search], F2: the words found are highlighted). From the result: [Modify] opens the
single order inquiry on it, [Verify] and [Reopen] (each with the version listed), and
[Sheet] writes the listed result to .xlsx in the background, with progress and cancel."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label

from crm_tui.i18n import N_, _
from crm_tui.screens.list_screen import ListAction, ListScreen, key_label
from crm_tui.screens.list_sheet import WritesListedSheet
from crm_tui.screens.order_inquiry import ReviewDialog, order_rereader
from crm_tui.services import order_query, orders
from crm_tui.services.base import PageRequest, format_date
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.record_table import ColumnSpec, Sort
from crm_tui.widgets.safe import SafeInput, plain
from crm_tui.widgets.sheet_writer import SheetWords

TITLE = N_("General order inquiry")
EXPORT_FILE = N_("orders.xlsx")
SEARCH_KEY = "f2"

def can_verify(listed: order_query.ListedOrder) -> bool:
    return listed.order.status == orders.FINISHED


def can_reopen(listed: order_query.ListedOrder) -> bool:
    return listed.order.status in (orders.FINISHED, orders.CLOSED)


class OrderListScreen(WritesListedSheet, ListScreen):
    """The general order inquiry on the one list screen."""

    TITLE_LABEL = TITLE
    FILTER = orders.OrderFilter
    BINDING_PREFIX = "orders"
    COLUMNS = [
        ColumnSpec(N_("Number"), lambda r: r.order.number, 6),
        ColumnSpec(N_("Status"), lambda r: orders.status_label(r.order.status), 9),
        ColumnSpec(N_("Created"), lambda r: format_date(r.order.created_at), 10),
        ColumnSpec(N_("Client"), lambda r: r.order.client_name, 14),
        ColumnSpec(N_("Detail"), lambda r: r.detail_line, 30, grow=True,
                   highlights=lambda r: r.detail_highlights),
    ]

    SHEET_FILE = EXPORT_FILE
    SHEET_TITLE = TITLE
    SHEET_COLUMNS = orders.ORDER_COLUMNS
    SHEET_WORDS = SheetWords()
    SHEET_STOP_LABEL = None  # [Cancel sheet] (F10) is one of the list's actions
    SHEET_ROW_ID = "export-row"
    BINDINGS = [
        Binding(SEARCH_KEY, "search", N_("Search"), id="orders_search",
                tooltip=N_("Find orders by the words of their detail or service entries")),
    ]

    def __init__(self) -> None:
        self.search_text = ""
        super().__init__()

    def declared_actions(self) -> list[ListAction]:
        return [
            ListAction("modify", "f3", N_("Modify"), enabled=lambda record: True,
                       tooltip=N_("Open the order in the single order inquiry")),
            ListAction("verify", "f5", N_("Verify"), enabled=can_verify),
            ListAction("reopen", "f6", N_("Reopen"), enabled=can_reopen),
            ListAction("sheet", "f4", N_("Sheet"), tooltip=N_("Write the listed orders to an Excel sheet")),
            ListAction("cancel_sheet", "f10", N_("Cancel sheet"), tooltip=N_("Stop writing the sheet")),
        ]

    # Cancel sheet follows the sheet being written, not the selected row (the list may be empty).

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_sheet":
            return True if self.writing_sheet else None
        return super().check_action(action, parameters)

    def run_list_action(self, declared: ListAction) -> None:
        if declared.name == "cancel_sheet":
            self.action_cancel_sheet()
            return
        super().run_list_action(declared)

    def button_disabled(self, action: ListAction, record: Any | None) -> bool:
        if action.name == "cancel_sheet":
            return not self.writing_sheet
        return super().button_disabled(action, record)

    # --- layout --------------------------------------------------------------------

    def compose_below_filters(self) -> ComposeResult:
        with Horizontal(classes="search-row", id="concept-row"):
            yield Label(plain(_("Words:")), classes="filter-label")
            yield SafeInput(placeholder=_("words or \"a phrase\" of the detail or the work done"),
                            id="concept", compact=True)
            yield Button(plain("{key} {label}".format(key=key_label(SEARCH_KEY), label=_("Search"))),
                         id="concept-search", compact=True)

    # --- the list ------------------------------------------------------------------

    def fetch(self, request: PageRequest, filters: Any, sort: Sort | None):
        return order_query.list_page(filters, self.search_text, request)

    def open_record(self, record: Any) -> None:
        self.app.open_order(record.order.number)

    def action_modify(self) -> None:
        record = self._selected()
        if record is None:
            self.app.notify(_("There is no record selected."), severity="warning", markup=False)
            return
        self.open_record(record)

    # --- concept search --------------------------------------------------------------

    @property
    def concept_box(self) -> Input:
        return self.query_one("#concept", Input)

    def action_search(self) -> None:
        """F2: with words in the box, search; with none, go to the box to type them."""
        box = self.concept_box
        if not box.value.strip() and self.focused is not box:
            box.focus()
            return
        self.run_search()

    def run_search(self) -> None:
        """[Search]: the orders whose words match the box, within the filters; an empty box
        lists by the filters alone."""
        bar = self.filter_bar
        try:
            filters = bar.read() if bar is not None else self.filters
        except FAILURES as error:
            self.app.notify(user_message(error), severity="error", markup=False)
            return
        self.filters = filters
        self.search_text = self.concept_box.value.strip()
        self.table.reload()
        self.table.focus()

    @on(Input.Submitted, "#concept")
    def _concept_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_search()

    @on(Button.Pressed, "#concept-search")
    def _search_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()
        self.run_search()

    # --- verify and reopen: the dialogs of the single order inquiry, with the listed version

    def action_verify(self) -> None:
        listed = self._selected()
        if listed is None or not can_verify(listed):
            return
        order = listed.order
        seen = {"version": order.version}

        def verify(values: dict[str, Any]) -> orders.OrderRecord:
            return orders.verify_order(self.app.actor, order.id, seen["version"], closed=bool(values["closed"]),
                                       rating=values["rating"], customer_comments=values["customer_comments"])

        title = _("Verify order {number}").format(number=order.number)
        self.app.push_screen(ReviewDialog(title, orders.VERIFICATION.fields, verify, self._rereader(order, seen)),
                             self._reviewed)

    def action_reopen(self) -> None:
        listed = self._selected()
        if listed is None or not can_reopen(listed):
            return
        order = listed.order
        seen = {"version": order.version}

        def reopen(values: dict[str, Any]) -> orders.OrderRecord:
            return orders.reopen_order(self.app.actor, order.id, seen["version"],
                                       customer_comments=values["customer_comments"])

        title = _("Reopen order {number}").format(number=order.number)
        self.app.push_screen(ReviewDialog(title, orders.REOPENING.fields, reopen, self._rereader(order, seen)),
                             self._reviewed)

    def _rereader(self, order: orders.OrderRecord, seen: dict[str, Any]):
        return order_rereader(order.id, seen, lambda detail: self.table.reload(keep_position=True))

    def _reviewed(self, result: orders.OrderRecord | None) -> None:
        if result is None:
            return
        self.app.notify(_("Order {number} is now {status}.").format(
            number=result.number, status=orders.status_label(result.status).lower()), markup=False)
        self.table.reload(keep_position=True)

    # --- sheet: the listed result to .xlsx, in the background ----------------------------

    def sheet_query(self) -> tuple[orders.OrderFilter, str]:
        return self.filters, self.search_text

    def count_sheet_rows(self, query: tuple[orders.OrderFilter, str]) -> int:
        return order_query.count_listed_rows(*query)

    def iter_sheet_rows(self, query: tuple[orders.OrderFilter, str]) -> Iterable[tuple]:
        return order_query.iter_listed_rows(*query)

    def _start_sheet(self, path: str, filters: orders.OrderFilter, text: str) -> None:
        self.start_sheet(Path(path).expanduser(), (filters, text))

    @property
    def _export_cancel(self) -> threading.Event | None:
        return self.sheet_writer.cancel

    def action_cancel_sheet(self) -> None:
        self.sheet_writer.stop()


def make_screen(app) -> OrderListScreen:
    return OrderListScreen()
