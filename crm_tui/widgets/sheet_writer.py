"""[Sheet] on any screen, one way: ask where (a file dialog with the screen's default
name), write the .xlsx in a thread worker while the screen stays in use, show a row with
the progress (the rows written, of how many when known) and a way to stop it, and say
where it went. A stop or a failure leaves no file (write_xlsx writes beside the target
and renames at the end)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, ProgressBar, Static

from crm_tui.export.sheet_progress import SheetCancelled
from crm_tui.i18n import N_, _, ngettext
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.dialogs import AskTextDialog
from crm_tui.widgets.safe import plain

Progress = Callable[[int], None]


@dataclass(frozen=True)
class SheetJob:
    """One sheet: `count()` its rows (None when not known first), `write(path, progress,
    cancel)` writes them and returns how many, `written(count, path)` is what the user
    reads when it is done."""

    count: Callable[[], int | None]
    write: Callable[[Path, Progress, threading.Event], int]
    written: Callable[[int, Path], str]


# A report's file refused for its extension (the report screen's [Print] to a file, its [Sheet]).
REPORT_FORMATS = N_("This report is written as {formats}, not {path}.")


@dataclass(frozen=True)
class SheetWords:
    """What a screen's sheet says (msgids, translated when shown). `caption` may name
    the {path} being written; `wrong_format` names the {formats} taken and the {path} given."""

    question: str = N_("Save the Excel file as:")
    busy: str = N_("A sheet is already being written.")
    stopped: str = N_("The sheet was cancelled; no file was written.")
    caption: str = N_("Sheet:")
    wrong_format: str = N_("The sheet is written as {formats}, not {path}.")


def rows_written(written: int, total: int | None) -> str:
    """The rows of a sheet written so far, of how many when known."""
    if total is None:
        return ngettext("{count} row", "{count} rows", written).format(count=f"{written:,}")
    return ngettext("{done}/{total} row", "{done}/{total} rows", total).format(
        done=f"{written:,}", total=f"{total:,}")


def rows_exported(count: int, path: Path) -> str:
    return ngettext("{count} row exported to {path}", "{count} rows exported to {path}", count).format(
        count=count, path=path)


def refuse_path(path: Path, formats: tuple[str, ...], wrong_format: str = REPORT_FORMATS) -> str | None:
    """Why a report or a sheet cannot be written to `path`, or None; `wrong_format` (a
    msgid) says what is written, when the extension is not one of `formats`."""
    if path.suffix.lower() not in formats:
        return _(wrong_format).format(formats=", ".join(formats), path=path.name)
    if path.is_dir():
        return _("{path} is a folder: give a file name.").format(path=path)
    if not path.parent.is_dir():
        return _("The folder {path} does not exist.").format(path=path.parent)
    return None


class SheetWriter(Horizontal):
    """The row under a screen's list or restrictions while its sheet is written; hidden
    otherwise. With `stop_label` it carries its own stop button (#stop-sheet); a screen
    with a stop key of its own calls `stop()`."""

    DEFAULT_CLASSES = "search-row export-row"

    def __init__(self, words: SheetWords = SheetWords(), stop_label: str | None = None, *,
                 changed: Callable[[], None] = lambda: None, id: str) -> None:
        """`changed()` when a sheet starts or ends, at once: the screen's keys and buttons
        follow `writing`."""
        super().__init__(id=id)
        self.words = words
        self.stop_label = stop_label
        self.changed = changed
        self.cancel: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield Label("", classes="filter-label sheet-caption")
        yield ProgressBar(show_eta=False, id="export-progress")
        yield Static("", id="export-rows", classes="export-rows")
        if self.stop_label:
            yield Button(plain(_(self.stop_label)), id="stop-sheet", compact=True)

    def on_mount(self) -> None:
        self.display = False

    @property
    def writing(self) -> bool:
        return self.cancel is not None

    # --- asking, starting, stopping -------------------------------------------------------

    def ask(self, suggested: str, answered: Callable[[Path], None]) -> None:
        """The file dialog (`suggested` is the default name); `answered(path)` with what
        the user gave, unless a sheet is already being written."""
        if self.busy():
            return

        def given(text: str | None) -> None:
            if not text:
                return
            target = Path(text).expanduser()
            refusal = refuse_path(target, (".xlsx",), self.words.wrong_format)
            if refusal:
                self.app.notify(refusal, severity="error", markup=False)
                return
            answered(target)

        self.app.push_screen(AskTextDialog(_(self.words.question), suggested), given)

    def busy(self) -> bool:
        """Whether a sheet is being written (and if so, the user is told)."""
        if self.writing:
            self.app.notify(_(self.words.busy), severity="warning", markup=False)
        return self.writing

    def start(self, target: Path, job: SheetJob) -> None:
        self.cancel = threading.Event()
        self.query_one(".sheet-caption", Label).update(plain(_(self.words.caption).format(path=target)))
        self.show_progress(0, None)
        self.display = True
        self.changed()
        # The app is taken here: once its screen is left, the widget no longer finds it.
        self._write(self.app, target, job, self.cancel)

    def stop(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    def on_unmount(self) -> None:
        self.stop()  # the screen was left: its sheet stops rather than finish out of sight

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "stop-sheet":
            event.stop()
            self.stop()

    # --- the worker -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sheet")
    def _write(self, app: App, target: Path, job: SheetJob, cancel: threading.Event) -> None:
        from crm_tui.export.xlsx import ExportError

        try:
            total = job.count()
            app.call_from_thread(self.show_progress, 0, total)
            count = job.write(target, lambda done: app.call_from_thread(self.show_progress, done, total), cancel)
        except SheetCancelled:
            app.call_from_thread(self._ended, app, _(self.words.stopped), "warning")
            return
        except (ExportError, OSError) as error:
            app.call_from_thread(self._ended, app, str(error), "error")
            return
        except FAILURES as error:
            app.call_from_thread(self._ended, app, user_message(error), "error")
            return
        app.call_from_thread(self._ended, app, job.written(count, target), "information")

    def show_progress(self, written: int, total: int | None) -> None:
        if not self.is_attached:
            return
        bar_total = None if total is None else max(total, 1)
        self.query_one("#export-progress", ProgressBar).update(total=bar_total, progress=written)
        self.query_one("#export-rows", Static).update(plain(rows_written(written, total)))

    def _ended(self, app: App, message: str, severity: str) -> None:
        self.cancel = None
        if self.is_attached:
            self.display = False
            self.changed()
        app.notify(message, severity=severity, markup=False, timeout=10)
