"""Menu item «Look up opportunities» (Consultar Oportunidades).

Opens on the new ones. Filters: status, type, agent, client, contact, dates; [Query] (F7).
Enter, a double click or [Follow-up] (F3) opens the follow-up of the selected one;
[History] (F4) its movements; [Sheet] (F5) writes the listed result to .xlsx in the
background, with a progress bar and F6 to stop it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from textual.binding import Binding
from textual.widgets import Select

from crm_tui.i18n import N_, ngettext
from crm_tui.screens.list_screen import ListAction, ListScreen
from crm_tui.screens.list_sheet import WritesListedSheet
from crm_tui.services import opportunities
from crm_tui.services.base import PageRequest, format_date
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.services.opportunities import OpportunityFilter, OpportunityRecord
from crm_tui.widgets.dates import DateInput
from crm_tui.widgets.dialogs import MessageDialog
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.record_table import ColumnSpec, Sort

TITLE = N_("Look up opportunities")
SHEET_FILE = N_("opportunities.xlsx")


class QueryOpportunitiesScreen(WritesListedSheet, ListScreen):
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
    SHEET_FILE = SHEET_FILE
    SHEET_TITLE = TITLE
    SHEET_COLUMNS = opportunities.OPPORTUNITY_COLUMNS
    BINDINGS = [
        Binding("f6", "stop_sheet", N_("Stop sheet"), id="opportunities_stop_sheet",
                tooltip=N_("Stop writing the sheet (no file is left)")),
    ]

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

    def on_mount(self) -> None:
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

    def count_sheet_rows(self, filters: OpportunityFilter) -> int:
        return opportunities.count_opportunity_rows(filters)

    def iter_sheet_rows(self, filters: OpportunityFilter) -> Iterable[tuple]:
        return opportunities.iter_opportunity_rows(filters)

    def sheet_written(self, count: int, path: Path) -> str:
        return ngettext("{count} opportunity written to {path}", "{count} opportunities written to {path}",
                        count).format(count=count, path=path)


def make_screen(app) -> QueryOpportunitiesScreen:
    return QueryOpportunitiesScreen()
