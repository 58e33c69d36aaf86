"""The home screen's opportunity row: one button per status with the user's count
([Nuevas 12] [En espera 3] ...), each opening «Look up opportunities» on that status, and
the opportunities to contact again (next contact date today or past) on a second line.

An administrator sees everyone's and can switch to one agent (`a`). The counts are read
after the home screen's first frame, and again when the home screen sees a change
(`reload()`). Tab reaches the row: ←/→ and Enter, or 1–5, open a status; `d` the list of
those to contact again.
"""
from __future__ import annotations

from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label
from textual.worker import get_current_worker

from crm_tui.i18n import N_, _
from crm_tui.widgets.button_bar import BarButton, ButtonBar
from crm_tui.widgets.safe import clean_display, plain, plain_parts

MENU_ITEM = "query_opportunities"
DUE_BUTTON = "due"
DUE_SHOWN = 4  # opportunities named on the line; the rest are a count

# The statuses in the order of the old module, with the buttons' words.
STATUS_BUTTONS = (
    ("new", N_("New ones")),
    ("waiting", N_("On hold")),
    ("working", N_("In progress")),
    ("closed", N_("Closed ones")),
    ("lost", N_("Lost ones")),
)


def _opportunities():
    """Loaded with the first count (in its worker), not before the home screen's first frame."""
    from crm_tui.services import opportunities

    return opportunities


def due_text(due: list, today) -> str:
    """The opportunities to contact again, on one line: "#12 Café Colibrí (hoy) · …"."""
    from crm_tui.services.base import format_date

    if not due:
        return ""
    named = ["#{number} {client} ({day})".format(
        number=record.number, client=record.client_name,
        day=_("today") if record.next_contact_date == today else format_date(record.next_contact_date))
        for record in due[:DUE_SHOWN]]
    if len(due) > DUE_SHOWN:
        named.append(_("{count} more").format(count=len(due) - DUE_SHOWN))
    return " · ".join(named)


class OpportunityStatus(ButtonBar, can_focus=True):
    """The status buttons and, under them, who to contact again."""

    BINDINGS = [
        Binding("left", "move(-1)", N_("Previous"), show=False),
        Binding("right", "move(1)", N_("Next"), show=False),
        Binding("enter", "open", N_("Look up"), id="opportunity_status_open",
                tooltip=N_("Look up the opportunities of the chosen status")),
        *(Binding(str(number), f"open_status('{status}')", N_("Status"), show=False)
          for number, (status, _label) in enumerate(STATUS_BUTTONS, 1)),
        Binding("d", "open_due", N_("To contact"), id="opportunity_status_due",
                tooltip=N_("The opportunities to contact again today or before")),
        Binding("a", "choose_agent", N_("Agent"), id="opportunity_status_agent",
                tooltip=N_("Administrators: the counts of one agent, or of all")),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        self.counts: dict[str, int] | None = None
        self.due: list = []
        self.chosen = 0
        self.agent_id: int | None = None
        self.agent_name = ""
        self._agent_set = False
        self._focused = False
        super().__init__(self._buttons(), id=id)

    # --- drawing ---------------------------------------------------------------------

    def _buttons(self) -> list[BarButton]:
        buttons = []
        for status, label in STATUS_BUTTONS:
            count = "…" if self.counts is None else str(self.counts.get(status, 0))
            buttons.append(BarButton(status, f"{_(label)} {count}"))
        return buttons

    def _parts(self) -> list:
        parts = super()._parts()
        if self._focused:  # the chosen button stands out while the row has the focus
            chosen = STATUS_BUTTONS[self.chosen][0]
            start = self.spans[chosen][0]
            column = 0
            for index, part in enumerate(parts):
                text = part[0] if isinstance(part, tuple) else part
                if column == start and isinstance(part, tuple):
                    parts[index] = (text, "reverse bold underline")
                    break
                column += len(text)
        # A second line only when it says something: whose they are (an administrator
        # looking at one agent, or at everyone's next to the ones to contact), who to contact.
        second = []
        whose = self._whose()
        if whose and (self.due or self.agent_id is not None):
            second.append((whose + "  ", "dim"))
        if self.due:
            second += [(_("To contact (d):") + " ", "bold"), due_text(self.due, self.app.today())]
        return parts + ["\n", *second] if second else parts

    def _whose(self) -> str:
        if not self._agent_set or not self.app.actor.is_admin:
            return ""
        return self.agent_name if self.agent_id is not None else _("all agents")

    def redraw(self) -> None:
        self.buttons = self._buttons()
        self.update(plain_parts(*self._parts()))

    def on_focus(self) -> None:
        self._focused = True
        self.redraw()

    def on_blur(self) -> None:
        self._focused = False
        self.redraw()

    # --- reading ---------------------------------------------------------------------

    def on_mount(self) -> None:
        # After the first frame: the home screen's first paint never waits for the counts.
        self.call_after_refresh(self.reload)

    def reload(self) -> None:
        if not self.is_attached:
            return
        if not self._agent_set:
            actor = self.app.actor
            self.agent_id = None if actor.is_admin else actor.id
            self._agent_set = True
        self._read(self.agent_id)

    @work(thread=True, exclusive=True, group="opportunity-status")
    def _read(self, agent_id: int | None) -> None:
        worker = get_current_worker()
        try:
            service = _opportunities()
            counts = service.status_counts(agent_id)
            due = service.due_for_contact(agent_id, limit=DUE_SHOWN + 50)
        except Exception:  # noqa: BLE001 - the row keeps what it showed; the next change reads again
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, counts, due)

    def _show(self, counts: dict[str, int], due: list) -> None:
        self.counts, self.due = counts, due
        self.redraw()

    # --- opening -----------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1 and self.due:
            event.stop()
            self.action_open_due()
            return
        super().on_click(event)

    @on(ButtonBar.Pressed)
    def _pressed(self, event: ButtonBar.Pressed) -> None:
        event.stop()
        self.action_open_status(event.name)

    def action_move(self, step: int) -> None:
        self.chosen = (self.chosen + step) % len(STATUS_BUTTONS)
        self.redraw()

    def action_open(self) -> None:
        self.action_open_status(STATUS_BUTTONS[self.chosen][0])

    def action_open_status(self, status: str) -> None:
        self._open_query(status=status)

    def action_open_due(self) -> None:
        from crm_tui.services.base import DateRange

        self._open_query(status=None, next_contact=DateRange(None, self.app.today()))

    def _open_query(self, **chosen: Any) -> None:
        filters = _opportunities().OpportunityFilter(agent_id=self.agent_id, **chosen)
        app = self.app
        app.open_menu(MENU_ITEM)
        screen = app.screen
        if getattr(screen, "menu_item_id", None) == MENU_ITEM and hasattr(screen, "show_filtered"):
            screen.show_filtered(filters, self.agent_name if self.agent_id != self.app.actor.id else
                                 self.app.actor.full_name or self.app.actor.username)

    # --- an administrator's agent --------------------------------------------------------

    def action_choose_agent(self) -> None:
        if not self.app.actor.is_admin:
            self.app.notify(_("Only an administrator sees other agents' opportunities."),
                            severity="warning", markup=False)
            return

        def chosen(answer: tuple[int | None, str] | None) -> None:
            if answer is None:
                return
            self.agent_id, self.agent_name = answer
            self.counts = None
            self.redraw()
            self.reload()

        self.app.push_screen(AgentDialog(), chosen)


class AgentDialog(ModalScreen[Any]):
    """An administrator picks the agent whose opportunities the home row counts (or all)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="agent_cancel")]

    def compose(self) -> ComposeResult:
        from crm_tui.screens.lookups import LOOKUPS
        from crm_tui.widgets.lookup import LookupField

        with Vertical(classes="dialog", id="agent-dialog"):
            yield Label(plain(_("Whose opportunities? (empty: all agents)")))
            yield LookupField(LOOKUPS["user"], id="agent-lookup")
            with Horizontal(classes="buttons"):
                yield Button(plain(_("Show")), id="agent-show", variant="primary", compact=True)
                yield Button(plain(_("All agents")), id="agent-all", compact=True)
                yield Button(plain(_("Esc Cancel")), id="agent-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#agent-lookup").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "agent-show":
            self._show_chosen()
        elif event.button.id == "agent-all":
            self.dismiss((None, ""))
        else:
            self.action_cancel()

    def on_lookup_field_changed(self, event) -> None:
        if event.value is not None:
            self._show_chosen()

    def _show_chosen(self) -> None:
        lookup = self.query_one("#agent-lookup")
        record = lookup.chosen_record
        if lookup.value is None or record is None:
            self.dismiss((None, ""))
            return
        name = clean_display(getattr(record, "full_name", "") or getattr(record, "username", ""), one_line=True)
        self.dismiss((lookup.value, name))

    def action_cancel(self) -> None:
        self.dismiss(None)
