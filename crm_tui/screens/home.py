"""The dashboard: the CRM menu, one item per line, Enter opens it."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import N_, _
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.safe import plain


class HomeScreen(Screen):
    BINDINGS = [Binding("escape", "leave", N_("Quit"), id="leave")]

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(id="home"):
            yield Static(plain(_("CRM menu")), classes="screen-title")
            yield OptionList(*self._options(), id="menu")
            yield Static(plain(_("Enter opens · Ctrl+P finds any item by name · F1 keys")), classes="hint")
        yield CrmFooter()

    def _options(self) -> list[Option]:
        items = self.app.visible_menu()
        return [Option(plain("{number:>2}. {label}".format(number=index, label=_(item.label))), id=item.id)
                for index, item in enumerate(items, 1)]

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.app.open_menu(event.option.id)

    def action_leave(self) -> None:
        from crm_tui.widgets.dialogs import ConfirmDialog

        def answered(leave: bool | None) -> None:
            if leave:
                self.app.exit(0)

        self.app.push_screen(ConfirmDialog(_("Leave the CRM?")), answered)
