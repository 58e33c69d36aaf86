"""[Sheet] on a list screen: exactly the listed result to .xlsx, in the background, with a
progress bar below the rows and F6 to stop it (no half file is left)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker, get_current_worker

from crm_tui.i18n import _
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.dialogs import AskTextDialog
from crm_tui.widgets.safe import plain

PROGRESS_EVERY = 200  # rows written between two updates of the progress bar


class SheetStopped(Exception):
    """The user stopped the sheet: the half-written file is removed."""


class WritesListedSheet:
    """A ListScreen mixin (before ListScreen in the bases). The screen binds F6 to
    `stop_sheet`, declares a `sheet` list action, and gives SHEET_FILE (N_), SHEET_TITLE
    (N_), SHEET_COLUMNS, count_sheet_rows(filters), iter_sheet_rows(filters) and
    sheet_written(count, path) (what the user reads when it is done).

    Textual calls each class's handlers itself: these never call the list's."""

    SHEET_FILE = ""
    SHEET_TITLE = ""
    SHEET_COLUMNS: list = []
    _sheet: Worker | None = None

    def count_sheet_rows(self, filters: Any) -> int:
        raise NotImplementedError

    def iter_sheet_rows(self, filters: Any) -> Iterable[tuple]:
        raise NotImplementedError

    def sheet_written(self, count: int, path: Path) -> str:
        raise NotImplementedError

    def compose_below_table(self) -> ComposeResult:
        with Horizontal(id="sheet-progress", classes="search-row"):
            yield Static("", id="sheet-status")
            yield ProgressBar(id="sheet-bar", show_eta=False)
            yield Button(plain(_("F6 Stop")), id="stop-sheet", compact=True)

    def on_mount(self) -> None:
        self.query_one("#sheet-progress").display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_sheet":
            return self._sheet is not None
        return super().check_action(action, parameters)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "stop-sheet":
            event.stop()
            self.action_stop_sheet()

    def action_sheet(self) -> None:
        if self._sheet is not None:
            self.app.notify(_("A sheet is already being written (F6 stops it)."), markup=False)
            return
        filters = self.filters  # exactly what the list shows now

        def answered(path: str | None) -> None:
            if path:
                self._start_sheet(Path(path).expanduser(), filters)

        self.app.push_screen(AskTextDialog(_("Save the sheet as:"), "~/" + _(self.SHEET_FILE)), answered)

    def action_stop_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.cancel()

    def _start_sheet(self, target: Path, filters: Any) -> None:
        self.query_one("#sheet-progress").display = True
        self.query_one("#sheet-status", Static).update(plain(_("Writing {path}…").format(path=target)))
        self.query_one("#sheet-bar", ProgressBar).update(total=None, progress=0)
        self._sheet = self._write_sheet(target, filters)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="list-sheet")
    def _write_sheet(self, target: Path, filters: Any) -> None:
        from crm_tui.export.xlsx import ExportError, write_xlsx

        worker = get_current_worker()
        try:
            total = self.count_sheet_rows(filters)
            self.app.call_from_thread(self._sheet_progress, 0, total)
            rows = self._watched(self.iter_sheet_rows(filters), total, worker)
            count = write_xlsx(target, self.SHEET_COLUMNS, rows, sheet_title=_(self.SHEET_TITLE))
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
        self.app.call_from_thread(self._sheet_ended, self.sheet_written(count, target), "information")

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
