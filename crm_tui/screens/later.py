"""The screen shown for a menu item whose screen is not in this version yet."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from crm_tui.i18n import N_, _
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.safe import plain


class ComingLaterScreen(Screen):
    """Says, in the user's language, that this part of the CRM comes in a later version."""

    BINDINGS = [Binding("escape", "back", N_("Back"), id="back")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_label = title  # N_() marked

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="later"):
            yield Static(plain(_(self.title_label)), classes="screen-title", id="later-title")
            yield Static(plain(_("This screen comes in a later version of the CRM.")), id="later-message")
            yield Static(plain(_("Press Esc to go back.")), classes="hint")
        yield CrmFooter()

    def action_back(self) -> None:
        self.dismiss()


def make_later(title: str):
    """A make_screen(app) for a menu item that comes later."""

    def make_screen(app) -> ComingLaterScreen:
        return ComingLaterScreen(title)

    return make_screen
