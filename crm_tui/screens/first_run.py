"""A new database: the first user is its administrator and chooses how to start."""
from __future__ import annotations

from typing import Any, Callable

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, LoadingIndicator, Static

from crm_tui.i18n import _
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.safe import plain


class FirstRunScreen(Screen):
    def __init__(self, load_sample: Callable[..., Any] | None) -> None:
        """`load_sample(progress)` fills the database; progress(stage, done, total) reports."""
        super().__init__()
        self.load_sample = load_sample

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="first-run"):
            yield Static(plain(_("Welcome to the CRM")), classes="screen-title")
            yield Static(plain(_("This database was empty: you ({user}) are now its administrator. "
                                 "Others can be added from Users or with `crm user add NAME`.").format(
                user=self.app.actor.username)), id="welcome")
            yield Static(plain(_("How do you want to start?")))
            with Horizontal(classes="buttons"):
                yield Button(plain(_("Load sample data")), id="sample", variant="primary",
                             disabled=self.load_sample is None)
                yield Button(plain(_("Start empty")), id="empty")
            yield Static("", id="progress")
            yield LoadingIndicator(id="loading")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#loading").display = False
        self.query_one("#empty" if self.load_sample is None else "#sample", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "empty":
            self.dismiss()
        elif event.button.id == "sample":
            for button in self.query(Button):
                button.disabled = True
            self.query_one("#progress", Static).update(
                plain(_("Loading sample data… this takes a moment.")))
            self.query_one("#loading").display = True
            self._fill()

    @work(thread=True, exclusive=True)
    def _fill(self) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, stage, done, total)

        try:
            self.load_sample(progress)
        except Exception as exc:  # shown in the screen; the user may still start empty
            self.app.call_from_thread(self._failed, str(exc) or exc.__class__.__name__)
            return
        self.app.call_from_thread(self._done)

    def _progress(self, stage: str, done: int, total: int) -> None:
        text = "{stage} {done}/{total}".format(stage=stage, done=done, total=total) if total else stage
        self.query_one("#progress", Static).update(
            plain(_("Loading sample data… this takes a moment.") + "\n" + text))

    def _failed(self, message: str) -> None:
        self.query_one("#loading").display = False
        self.query_one("#progress", Static).update(
            plain(_("The sample data could not be loaded: {reason}").format(reason=message)))
        self.query_one("#empty", Button).disabled = False
        self.query_one("#empty", Button).focus()

    def _done(self) -> None:
        self.app.notify(_("Sample data loaded."), markup=False)
        self.dismiss()
