"""The CRM menu (F2 from the home screen): one item per line, a number or the arrows
choose, Enter opens it; Esc or F2 goes back."""
from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import N_, _
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.safe import plain


class MenuScreen(Screen):
    BINDINGS = [Binding("escape,f2", "back", N_("Back"), id="back")]
    # Digits typed within this time make one number (1 then 7 is item 17).
    NUMBER_PAUSE_SECONDS = 1.0

    _typed_number = ""
    _typed_at = 0.0

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(id="home"):
            yield Static(plain(_("CRM menu")), classes="screen-title")
            yield OptionList(*self._options(), id="menu")
            yield Static(plain(_("Number or arrows choose · Enter opens · Ctrl+P finds by name · F1 keys")),
                         classes="hint")
        yield CrmFooter()

    def _options(self) -> list[Option]:
        items = self.app.visible_menu()
        return [Option(plain("{number:>2}. {label}".format(number=index, label=_(item.label))), id=item.id)
                for index, item in enumerate(items, 1)]

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()

    def on_key(self, event: events.Key) -> None:
        """A digit moves to the item with that number; Enter then opens it."""
        if not (event.character and event.character.isdigit()):
            return
        event.stop()
        moment = self.app.monotonic()
        if moment - self._typed_at > self.NUMBER_PAUSE_SECONDS:
            self._typed_number = ""
        self._typed_at = moment
        menu = self.query_one("#menu", OptionList)
        number = int(self._typed_number + event.character)
        if not 1 <= number <= menu.option_count:
            number = int(event.character)  # a new number, not a longer one
        self._typed_number = str(number)
        if 1 <= number <= menu.option_count:
            menu.highlighted = number - 1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item_id = event.option.id
        if item_id:
            self.dismiss()
            self.app.call_later(self.app.open_menu, item_id)

    def action_back(self) -> None:
        self.dismiss()
