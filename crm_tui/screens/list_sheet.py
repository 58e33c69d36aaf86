"""[Sheet] on a list screen: exactly the listed result to .xlsx, in the background, with a
progress row below the rows (widgets/sheet_writer.py) and a key to stop it (no half file
is left)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterable

from textual.app import ComposeResult

from crm_tui.i18n import N_, _
from crm_tui.widgets.sheet_writer import Progress, SheetJob, SheetWords, SheetWriter, rows_exported

# The words of the query screens' sheets, stopped with F6 from the progress row.
LISTED_WORDS = SheetWords(question=N_("Save the sheet as:"),
                          busy=N_("A sheet is already being written (F6 stops it)."),
                          stopped=N_("The sheet was stopped; no file was written."),
                          caption=N_("Writing {path}…"))


class WritesListedSheet:
    """A ListScreen mixin (before ListScreen in the bases). The screen declares a `sheet`
    list action and a key for `stop_sheet`, and gives SHEET_FILE (N_), SHEET_TITLE (N_),
    SHEET_COLUMNS (or sheet_file(), sheet_title(), sheet_columns()), count_sheet_rows(query)
    and iter_sheet_rows(query); `query` is what `sheet_query()` says the list shows now
    (its filters unless overridden).
    `sheet_written(count, path)` is what the user reads when it is done.

    Textual calls each class's handlers itself: these never call the list's."""

    SHEET_FILE = ""
    SHEET_TITLE = ""
    SHEET_COLUMNS: list = []
    SHEET_WORDS = LISTED_WORDS
    SHEET_STOP_LABEL: str | None = N_("F6 Stop")  # None: the screen has a stop button of its own
    SHEET_ROW_ID = "sheet-progress"

    def sheet_query(self) -> Any:
        return self.filters

    def count_sheet_rows(self, query: Any) -> int | None:
        raise NotImplementedError

    def iter_sheet_rows(self, query: Any) -> Iterable[tuple]:
        raise NotImplementedError

    def sheet_written(self, count: int, path: Path) -> str:
        return rows_exported(count, path)

    def sheet_file(self) -> str:
        """The file name (msgid) the dialog suggests."""
        return self.SHEET_FILE

    def sheet_title(self) -> str:
        """The name (msgid) of the workbook's sheet."""
        return self.SHEET_TITLE

    def sheet_columns(self) -> list:
        return self.SHEET_COLUMNS

    @property
    def sheet_writer(self) -> SheetWriter:
        return self.query_one(SheetWriter)

    _sheet_writer_found: SheetWriter | None = None

    @property
    def writing_sheet(self) -> bool:
        # Asked for each key of the footer whenever the selection moves: the screen's
        # widgets are searched once, not on every ask.
        if self._sheet_writer_found is None:
            writers = self.query(SheetWriter)  # none yet while the screen is being composed
            if not writers:
                return False
            self._sheet_writer_found = writers.first()
        return self._sheet_writer_found.writing

    def compose_below_table(self) -> ComposeResult:
        yield SheetWriter(self.SHEET_WORDS, self.SHEET_STOP_LABEL, changed=self._update_actions,
                          id=self.SHEET_ROW_ID)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_sheet":
            return self.writing_sheet
        return super().check_action(action, parameters)

    def action_sheet(self) -> None:
        query = self.sheet_query()  # exactly what the list shows now
        self.sheet_writer.ask("~/" + _(self.sheet_file()), lambda target: self.start_sheet(target, query))

    def action_stop_sheet(self) -> None:
        self.sheet_writer.stop()

    def start_sheet(self, target: Path, query: Any) -> None:
        self.sheet_writer.start(target, SheetJob(count=lambda: self.count_sheet_rows(query),
                                                 write=lambda path, progress, cancel:
                                                 self._write_rows(path, query, progress, cancel),
                                                 written=self.sheet_written))

    def _write_rows(self, path: Path, query: Any, progress: Progress, cancel: threading.Event) -> int:
        from crm_tui.export.sheet_progress import write_watched_sheet

        return write_watched_sheet(path, self.sheet_columns(), self.iter_sheet_rows(query), _(self.sheet_title()),
                                   progress, cancel)
