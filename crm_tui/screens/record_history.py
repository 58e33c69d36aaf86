"""A record's audit history (Ctrl+T on its screen): one line per change (when, who, what
kind, which fields) and, below, the selected change field by field, old → new, whole."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from crm_tui.i18n import N_, _
from crm_tui.services import history
from crm_tui.services.base import format_datetime
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.safe import cell, plain, plain_parts, shorten

FIELDS_WIDTH = 28  # the changed fields' names in the table; all of them are below it


class HistoryScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", N_("Close"), id="history_close")]

    def __init__(self, table: str, record_id: int, title: str) -> None:
        super().__init__()
        self.table_name = table
        self.record_id = record_id
        self.title_text = title
        self.entries: list[history.HistoryEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog record-history"):
            yield Static(plain(_("History of {record}").format(record=self.title_text), one_line=True),
                         classes="screen-title")
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="history-changes"):
                yield Static(plain(_("Reading the history…")), id="history-changes")
            yield Static(plain(_("Esc closes the history.")), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for label in (N_("When"), N_("Who"), N_("Change"), N_("Fields")):
            table.add_column(cell(_(label)))
        table.focus()
        self._read()

    @work(thread=True, exclusive=True, group="history")
    def _read(self) -> None:
        try:
            entries = history.history_of(self.table_name, self.record_id)
        except FAILURES as error:
            self.app.call_from_thread(self._show_failure, user_message(error))
            return
        self.app.call_from_thread(self._show, entries)

    def _show(self, entries: list[history.HistoryEntry]) -> None:
        self.entries = entries
        table = self.query_one("#history-table", DataTable)
        for entry in entries:
            fields = ", ".join(change.field for change in entry.changes)
            table.add_row(cell(format_datetime(entry.when)), cell(entry.who), cell(entry.action),
                          cell(shorten(fields, FIELDS_WIDTH)))
        if not entries:
            self._changes().update(plain(_("No change of this record is recorded.")))
            return
        table.move_cursor(row=len(entries) - 1)  # the latest change
        self._show_entry(len(entries) - 1)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_entry(event.cursor_row)

    def _show_entry(self, row: int) -> None:
        if not 0 <= row < len(self.entries):
            return
        parts: list[str | tuple[str, str]] = []
        for change in self.entries[row].changes:
            parts += ["\n" if parts else "", (change.field, "bold"), ": ", change.old, " → ", change.new]
        self._changes().update(plain_parts(*parts))

    def _show_failure(self, message: str) -> None:
        self._changes().update(plain(message))

    def _changes(self) -> Static:
        return self.query_one("#history-changes", Static)

    def action_close(self) -> None:
        self.dismiss(None)
