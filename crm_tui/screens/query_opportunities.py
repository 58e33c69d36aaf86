"""Menu item «Look up opportunities» (Consultar Oportunidades).

Opens on the new ones. Filters: status, type, agent, client, contact, dates; [Query] (F7).
Enter, a double click or [Follow-up] (F3) opens the follow-up of the selected one;
[History] (F4) its movements; [Sheet] (F5) writes the listed result to .xlsx in the
background, with a progress bar and F6 to stop it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, ProgressBar, Select, Static
from textual.worker import Worker, get_current_worker

from crm_tui.i18n import N_, _, ngettext
from crm_tui.screens.list_screen import ListAction, ListScreen
from crm_tui.services import opportunities
from crm_tui.services.base import PageRequest, format_date
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.services.opportunities import OpportunityFilter, OpportunityRecord
from crm_tui.widgets.dates import DateInput
from crm_tui.widgets.dialogs import AskTextDialog, MessageDialog
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.record_table import ColumnSpec, Sort
from crm_tui.widgets.safe import plain

TITLE = N_("Look up opportunities")
SHEET_FILE = N_("opportunities.xlsx")
PROGRESS_EVERY = 200  # rows written between two updates of the progress bar


class SheetStopped(Exception):
    """The user stopped the sheet: the half-written file is removed."""


class QueryOpportunitiesScreen(ListScreen):
    TITLE_LABEL = TITLE
    FILTER = OpportunityFilter
    BINDING_PREFIX = "opportunities"
    COLUMNS = [
        ColumnSpec(N_("Number"), lambda r: r.number, 6),
        ColumnSpec(N_("Status"), lambda r: opportunities.status_label(r.status), 10),
        ColumnSpec(N_("Created"), lambda r: format_date(r.created_at.date()), 10),
        ColumnSpec(N_("Client"), lambda r: r.client_name, 12, grow=True),
        ColumnSpec(N_("Subject"), lambda r: r.subject, 14, grow=True),
        ColumnSpec(N_("Contact on"), lambda r: format_date(r.next_contact_date), 10),
    ]
    BINDINGS = [
        Binding("f6", "stop_sheet", N_("Stop sheet"), id="opportunities_stop_sheet",
                tooltip=N_("Stop writing the sheet (no file is left)")),
    ]

    _sheet: Worker | None = None

    def __init__(self) -> None:
        super().__init__()
        self.agent_name = ""

    def declared_actions(self) -> list[ListAction]:
        return [
            ListAction("followup", "f3", N_("Follow-up"), enabled=lambda record: True,
                       tooltip=N_("Change the status of the selected opportunity")),
            ListAction("history", "f4", N_("History"), enabled=lambda record: True,
                       tooltip=N_("Every movement of the selected opportunity")),
            ListAction("sheet", "f5", N_("Sheet"), tooltip=N_("Write the listed opportunities to an .xlsx sheet")),
        ]

    def compose_below_table(self) -> ComposeResult:
        with Horizontal(id="sheet-progress", classes="search-row"):
            yield Static("", id="sheet-status")
            yield ProgressBar(id="sheet-bar", show_eta=False)
            yield Button(plain(_("F6 Stop")), id="stop-sheet", compact=True)

    def on_mount(self) -> None:
        self.query_one("#sheet-progress").display = False
        self._show_filters(self.filters)

    def _show_filters(self, filters: OpportunityFilter) -> None:
        """The filter bar shows what the list is read with (the new ones, at first; what a
        button of the home screen chose)."""
        status = self.query_one("#filter-status", Select)
        status.value = Select.NULL if filters.status is None else filters.status
        agent = self.query_one("#filter-agent_id", LookupField)
        agent.set_choice(filters.agent_id, self.agent_name if filters.agent_id is not None else "")
        for edge in ("start", "end"):
            self.query_one(f"#filter-next_contact-{edge}", DateInput).set_date(getattr(filters.next_contact, edge))

    def show_filtered(self, filters: OpportunityFilter, agent_name: str = "") -> None:
        """Opened from the home screen's buttons: the list they chose (`agent_name` names
        the agent it is narrowed to)."""
        self.filters = filters
        self.agent_name = agent_name
        if self.is_mounted:  # otherwise its first read and filter bar take them
            self._show_filters(filters)
            self.table.reload()

    def fetch(self, request: PageRequest, filters: OpportunityFilter, sort: Sort | None):
        return opportunities.list_opportunities(filters, request)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_sheet":
            return self._sheet is not None
        return super().check_action(action, parameters)

    # --- follow-up and history -------------------------------------------------------------

    def open_record(self, record: Any) -> None:
        self.action_followup()

    def action_followup(self) -> None:
        record = self._fresh_selected()
        if record is None:
            return
        from crm_tui.screens.opportunity_followup import OpportunityFollowupScreen

        def closed(result: Any) -> None:
            if result is not None:
                self.table.reload(keep_position=True)
            self.table.focus()

        self.app.push_screen(OpportunityFollowupScreen(self.app.actor, record), closed)

    def action_history(self) -> None:
        record = self._fresh_selected()
        if record is not None:
            from crm_tui.screens.opportunity_history import OpportunityHistoryScreen

            self.app.push_screen(OpportunityHistoryScreen(record))

    def _fresh_selected(self) -> OpportunityRecord | None:
        """The selected opportunity as stored now (its version is what a change carries)."""
        record = self._selected()
        if record is None:
            return None
        try:
            return opportunities.get_opportunity(record.id).opportunity
        except FAILURES as error:
            self.app.push_screen(MessageDialog(getattr(error, "message", None) or user_message(error)))
            self.table.reload(keep_position=True)
            return None

    # --- sheet ---------------------------------------------------------------------------

    def action_sheet(self) -> None:
        if self._sheet is not None:
            self.app.notify(_("A sheet is already being written (F6 stops it)."), markup=False)
            return
        filters = self.filters  # exactly what the list shows now

        def answered(path: str | None) -> None:
            if path:
                self._start_sheet(Path(path).expanduser(), filters)

        self.app.push_screen(AskTextDialog(_("Save the sheet as:"), "~/" + _(SHEET_FILE)), answered)

    def _start_sheet(self, target: Path, filters: OpportunityFilter) -> None:
        self.query_one("#sheet-progress").display = True
        self.query_one("#sheet-status", Static).update(plain(_("Writing {path}…").format(path=target)))
        self.query_one("#sheet-bar", ProgressBar).update(total=None, progress=0)
        self._sheet = self._write_sheet(target, filters)
        self.refresh_bindings()

    def action_stop_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.cancel()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "stop-sheet":
            event.stop()
            self.action_stop_sheet()
            return
        super().on_button_pressed(event)

    @work(thread=True, exclusive=True, group="opportunity-sheet")
    def _write_sheet(self, target: Path, filters: OpportunityFilter) -> None:
        from crm_tui.export.xlsx import ExportError, write_xlsx

        worker = get_current_worker()
        try:
            total = opportunities.count_opportunity_rows(filters)
            self.app.call_from_thread(self._sheet_progress, 0, total)
            rows = self._watched(opportunities.iter_opportunity_rows(filters), total, worker)
            count = write_xlsx(target, opportunities.OPPORTUNITY_COLUMNS, rows, sheet_title=_(TITLE))
        except SheetStopped:
            self.app.call_from_thread(self._sheet_ended, _("The sheet was stopped; no file was written."),
                                      "warning")
            return
        except ExportError as error:
            self.app.call_from_thread(self._sheet_ended, str(error), "error")
            return
        except FAILURES as error:
            self.app.call_from_thread(self._sheet_ended, user_message(error), "error")
            return
        message = ngettext("{count} opportunity written to {path}", "{count} opportunities written to {path}",
                           count).format(count=count, path=target)
        self.app.call_from_thread(self._sheet_ended, message, "information")

    def _watched(self, rows: Iterable[tuple], total: int, worker: Worker) -> Iterator[tuple]:
        """The rows, telling the progress bar as they go, stopping when the user asks."""
        for written, row in enumerate(rows, 1):
            if worker.is_cancelled:
                raise SheetStopped()
            yield row
            if written % PROGRESS_EVERY == 0:
                self.app.call_from_thread(self._sheet_progress, written, total)
        if worker.is_cancelled:
            raise SheetStopped()

    def _sheet_progress(self, written: int, total: int) -> None:
        self.query_one("#sheet-bar", ProgressBar).update(total=max(total, 1), progress=written)

    def _sheet_ended(self, message: str, severity: str) -> None:
        self._sheet = None
        self.query_one("#sheet-progress").display = False
        self.refresh_bindings()
        self.app.notify(message, severity=severity, markup=False, timeout=10)


def make_screen(app) -> QueryOpportunitiesScreen:
    return QueryOpportunitiesScreen()
