"""F1: the keys of the screen in front, read from its active bindings."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from crm_tui.i18n import N_, _
from crm_tui.widgets.safe import cell, plain

# Descriptions of Textual's own bindings, so they are translated like ours.
TEXTUAL_DESCRIPTIONS = (N_("Focus Next"), N_("Focus Previous"), N_("Copy selected text"),
                        N_("Open the command palette"), N_("palette"), N_("Quit"))
KEY_NAMES = {"escape": N_("Esc"), "enter": N_("Enter"), "tab": N_("Tab"), "shift+tab": N_("Shift+Tab"),
             "pageup": N_("PgUp"), "pagedown": N_("PgDn"), "delete": N_("Del"), "home": N_("Home"),
             "end": N_("End")}

ALWAYS = (
    (N_("Enter / double click"), N_("Open the selected record")),
    ("Ctrl+P", N_("Command palette: every menu item by name")),
)


# Keys named by the character they type: shown as that character.
CHARACTER_KEYS = {"slash": "/", "question_mark": "?", "left": "←", "right": "→"}


def key_name(key: str) -> str:
    """ctrl+d -> Ctrl+D, f8 -> F8, escape -> Esc; a letter as typed (g and G differ), slash -> /."""
    if key in KEY_NAMES:
        return _(KEY_NAMES[key])
    if key in CHARACTER_KEYS:
        return CHARACTER_KEYS[key]
    if len(key) == 1:
        return key
    parts = key.split("+")
    return "+".join(part.capitalize() if len(part) > 1 else part.upper() for part in parts)


def screen_keys(screen: Screen) -> list[tuple[str, str]]:
    """(keys, what they do) for every binding active on `screen`, in the user's language."""
    by_description: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        text = binding.tooltip or binding.description
        # Only the CRM's own actions (they carry ids): Textual's editing keys of a text
        # field are standard and their descriptions are not in our catalogs.
        if binding.system or not text or not binding.id:
            continue
        keys = by_description.setdefault(_(text), [])
        name = key_name(key)
        if name not in keys:
            keys.append(name)
    rows = [(", ".join(keys), description) for description, keys in by_description.items()]
    rows.extend((_(key), _(what)) for key, what in ALWAYS)
    return rows


class HelpScreen(ModalScreen[None]):
    is_help = True
    BINDINGS = [Binding("escape", "close", N_("Close"), id="help_close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.rows = screen_keys(screen)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(plain(_("Keys of this screen")), classes="screen-title")
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            yield Static(plain(_("Esc or F1 closes this help.")), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_column(_("Keys"))
        table.add_column(_("What it does"))
        for key, what in self.rows:
            table.add_row(cell(key), cell(what))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
