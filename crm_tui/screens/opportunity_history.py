"""[History] of an opportunity: every movement (who, when, from which status to which,
and the texts), to read on screen, copy to the clipboard (OSC 52, so it works over SSH),
write to an .xlsx sheet or send to the printer (the system's `lp`)."""
from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from crm_tui.i18n import N_, _, ngettext
from crm_tui.services import opportunities
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.safe import plain
from crm_tui.widgets.sheet_writer import Progress, SheetJob, SheetWords, SheetWriter

TITLE = N_("Opportunity history")
SHEET_FILE = N_("opportunity-{number}.xlsx")
PRINT_SECONDS = 30  # lp hands the text to the print queue at once; more is a stuck system
SHEET_WORDS = SheetWords(question=N_("Save the sheet as:"), caption=N_("Writing {path}…"))


def print_text(text: str, title: str) -> tuple[bool, str]:
    """Send `text` to the default printer with `lp`: whether it went, and what happened as
    the user reads it."""
    if shutil.which("lp") is None:
        return False, _("There is no printing command (lp) on this computer.")
    try:
        done = subprocess.run(["lp", "-t", title], input=text, capture_output=True, text=True,
                              timeout=PRINT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return False, _("It could not be printed: {reason}").format(reason=error)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip() or str(done.returncode)
        return False, _("It could not be printed: {reason}").format(reason=reason)
    return True, _("Sent to the printer.")


def movements_written(count: int, path: Path) -> str:
    return ngettext("{count} movement written to {path}", "{count} movements written to {path}",
                    count).format(count=count, path=path)


class OpportunityHistoryScreen(Screen):
    """The movements of one opportunity, oldest first."""

    BINDINGS = [
        Binding("c", "copy", N_("Copy"), id="history_copy", tooltip=N_("Copy the history to the clipboard")),
        Binding("f5", "sheet", N_("Sheet"), id="history_sheet", tooltip=N_("Write the history to an .xlsx sheet")),
        Binding("f6", "print", N_("Print"), id="history_print", tooltip=N_("Send the history to the printer (lp)")),
        Binding("f10", "stop_sheet", N_("Cancel sheet"), id="history_stop_sheet",
                tooltip=N_("Stop writing the sheet (no file is left)")),
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self, record: opportunities.OpportunityRecord) -> None:
        super().__init__()
        self.record = record
        self.events: list[opportunities.EventRecord] = []
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield StatusLine(_(TITLE))
        with VerticalScroll(id="history-scroll"):
            yield Static(plain(_("Reading…")), id="history-text")
        yield SheetWriter(SHEET_WORDS, N_("F10 Stop"), changed=self.refresh_bindings, id="history-sheet")
        with Horizontal(classes="buttons"):
            yield Button(plain(_("C Copy")), id="copy", compact=True)
            yield Button(plain(_("F5 Sheet")), id="sheet", compact=True)
            yield Button(plain(_("F6 Print")), id="print", compact=True)
            yield Button(plain(_("Esc Back")), id="back", compact=True)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#history-scroll").focus()
        self._read()

    @work(thread=True, exclusive=True, group="opportunity-history")
    def _read(self) -> None:
        try:
            detail = opportunities.get_opportunity(self.record.id)
        except FAILURES as error:
            self.app.call_from_thread(self._show_text, user_message(error))
            return
        self.app.call_from_thread(self._show, detail)

    def _show(self, detail: opportunities.OpportunityDetail) -> None:
        self.record, self.events = detail.opportunity, detail.events
        self.lines = opportunities.history_lines(self.record, self.events)
        self._show_text("\n".join(self.lines))

    def _show_text(self, text: str) -> None:
        self.query_one("#history-text", Static).update(plain(text))

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {"copy": self.action_copy, "sheet": self.action_sheet, "print": self.action_print,
                   "back": self.action_back}
        if event.button.id in actions:
            actions[event.button.id]()

    def action_copy(self) -> None:
        if not self.lines:
            return
        self.app.copy_to_clipboard(self.text)
        self.app.notify(_("The history was copied to the clipboard."), markup=False)

    @property
    def sheet_writer(self) -> SheetWriter:
        return self.query_one(SheetWriter)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_sheet":
            writers = self.query(SheetWriter)  # none yet while the screen is being composed
            return bool(writers) and writers.first().writing
        return True

    def action_sheet(self) -> None:
        if not self.lines:
            return
        events = self.events
        job = SheetJob(count=lambda: len(events),
                       write=lambda path, progress, cancel: self._write_sheet(path, events, progress, cancel),
                       written=movements_written)
        self.sheet_writer.ask("~/" + _(SHEET_FILE).format(number=self.record.number),
                              lambda target: self.sheet_writer.start(target, job))

    def action_stop_sheet(self) -> None:
        self.sheet_writer.stop()

    @staticmethod
    def _write_sheet(target: Path, events: list[opportunities.EventRecord], progress: Progress,
                     cancel: threading.Event) -> int:
        from crm_tui.export.sheet_progress import write_watched_sheet

        return write_watched_sheet(target, opportunities.HISTORY_COLUMNS, opportunities.history_rows(events),
                                   _(TITLE), progress, cancel)

    def action_print(self) -> None:
        if self.lines:
            self._print(self.text, _("Opportunity {number}").format(number=self.record.number))

    @work(thread=True, exclusive=True, group="opportunity-history-print")
    def _print(self, text: str, title: str) -> None:
        printed, message = print_text(text, title)
        self.app.call_from_thread(self._tell, message, "information" if printed else "error")

    def _tell(self, message: str, severity: str) -> None:
        self.app.notify(message, severity=severity, markup=False, timeout=10)

    def action_back(self) -> None:
        self.dismiss()
