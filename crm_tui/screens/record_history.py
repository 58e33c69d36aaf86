"""A record's audit history (Ctrl+T on its screen): who changed it, when, and each field's
old and new value. The selected line's values are shown whole below the table."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from crm_tui.i18n import N_, _
from crm_tui.services import history
from crm_tui.services.base import format_datetime
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.safe import cell, plain, plain_parts, shorten

VALUE_WIDTH = 16  # a value in the table; the whole value is shown below it


class HistoryScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", N_("Close"), id="history_close")]

    def __init__(self, table: str, record_id: int, title: str) -> None:
        super().__init__()
        self.table_name = table
        self.record_id = record_id
        self.title_text = title
        # (field, old, new) of each line of the table, to show whole below it.
        self.lines: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog record-history"):
            yield Static(plain(_("History of {record}").format(record=self.title_text), one_line=True),
                         classes="screen-title")
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            yield Static(plain(_("Reading the history…")), classes="history-value", id="history-value")
            yield Static(plain(_("Esc closes the history.")), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for label in (N_("When"), N_("Who"), N_("Change"), N_("Field"), N_("Before"), N_("After")):
            table.add_column(plain(_(label)))
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

    def _show_failure(self, message: str) -> None:
        self.query_one("#history-value", Static).update(plain(message))

    def _show(self, entries: list[history.HistoryEntry]) -> None:
        table = self.query_one("#history-table", DataTable)
        for entry in entries:
            heading = (format_datetime(entry.when), entry.who, entry.action)
            changes = entry.changes or (history.FieldChange("", "", ""),)
            for change in changes:
                table.add_row(*(cell(text) for text in heading), cell(change.field),
                              cell(shorten(change.old, VALUE_WIDTH)), cell(shorten(change.new, VALUE_WIDTH)))
                self.lines.append((change.field, change.old, change.new))
                heading = ("", "", "")
        if not entries:
            self.query_one("#history-value", Static).update(plain(_("No change of this record is recorded.")))
        else:
            table.move_cursor(row=table.row_count - 1)
            self._show_whole(table.row_count - 1)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_whole(event.cursor_row)

    def _show_whole(self, row: int) -> None:
        if not 0 <= row < len(self.lines):
            return
        field, old, new = self.lines[row]
        self.query_one("#history-value", Static).update(
            plain_parts((field, "bold"), ": ", old, " → ", new) if field else plain(""))

    def action_close(self) -> None:
        self.dismiss(None)
