"""Small modal questions: yes/no, one line of text, one of a list, a message to acknowledge."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import _, N_
from crm_tui.widgets.one_line import OneLineInput
from crm_tui.widgets.safe import plain


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only when the user confirms.

    The question is always shown literally: it often quotes a record's name.
    """

    BINDINGS = [
        Binding("escape", "answer(False)", N_("No"), id="dialog_no"),
        Binding("y,s", "answer(True)", N_("Yes"), show=False, id="dialog_yes"),
        Binding("n", "answer(False)", N_("No"), show=False, id="dialog_no_key"),
        Binding("left,right", "app.focus_next", show=False),
    ]

    def __init__(self, question: str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes or _("Yes")
        self.no_label = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-question", id="question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(self.yes_label), variant="primary", id="yes")
                yield Button(plain(self.no_label), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class MessageDialog(ModalScreen[None]):
    """A message the user acknowledges with Enter or Esc."""

    BINDINGS = [Binding("escape", "close", N_("Close"), id="dialog_close")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.message), classes="dialog-question", id="message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("OK")), variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class AskTextDialog(ModalScreen[str | None]):
    """Ask for one line of text (a file name, for instance); None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="dialog_cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-question")
            yield OneLineInput(self.value, id="answer")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("OK")), variant="primary", id="ok")
                yield Button(plain(_("Cancel")), id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._finish()
        else:
            self.dismiss(None)

    def _finish(self) -> None:
        answer = self.query_one("#answer", Input).value.strip()
        self.dismiss(answer or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChooseDialog(ModalScreen[str | None]):
    """Choose one of a few names (a printer, say) with the arrows and Enter; None when
    cancelled. `selected` starts highlighted."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="dialog_choose_cancel")]

    def __init__(self, question: str, names: list[str], selected: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.names = names
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-question")
            yield OptionList(*[Option(plain(name, one_line=True)) for name in self.names], id="choices",
                             classes="dialog-choices")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("OK")), variant="primary", id="ok")
                yield Button(plain(_("Cancel")), id="cancel")

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = self.names.index(self.selected) if self.selected in self.names else 0
        choices.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.names[event.option_index])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        highlighted = self.query_one("#choices", OptionList).highlighted
        if event.button.id == "ok" and highlighted is not None:
            self.dismiss(self.names[highlighted])
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
