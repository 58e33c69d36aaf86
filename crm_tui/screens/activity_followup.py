"""Seguimiento de Actividades: the home screen, the user's day.

The user's pending activities and tasks (a paged list), the selected one's contact,
detail and follow-up, and their appointments of the coming days. [Ok] and [Pend] change
its status with a note, `c` copies it to the terminal's clipboard (OSC 52, so it works
over SSH), and everything follows other users' changes within about a second.
"""
from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from crm_tui.i18n import N_, _
from crm_tui.screens.live import FollowsChanges
from crm_tui.services.base import PageRequest, format_date
from crm_tui.services.failures import user_message
from crm_tui.services.followup_filter import DONE, PENDING, FollowupFilter
from crm_tui.widgets.button_bar import BarButton, ButtonBar
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.record_table import ColumnSpec, RecordTable
from crm_tui.widgets.safe import clean_display, plain, plain_parts

MENU_ITEM_ID = "activity_followup"

def _followup():
    """The home screen's services, loaded with the first page (in its worker), not before
    the first frame."""
    from crm_tui.services import followup

    return followup


def _status_text(record) -> str:
    from crm_tui.services.activity_records import kind_label, status_label

    if not record.is_task:
        return status_label(record.status)
    return "{kind} · {status}".format(kind=kind_label(record.kind), status=status_label(record.status))


COLUMNS = [
    ColumnSpec(N_("Date"), lambda r: format_date(r.when.date()), 10),
    ColumnSpec(N_("Time"), lambda r: r.when.strftime("%H:%M"), 5),
    ColumnSpec(N_("Contact"), lambda r: r.contact_name, 17, grow=True),
    ColumnSpec(N_("Company"), lambda r: r.client_name, 17, grow=True),
    ColumnSpec(N_("Status"), _status_text, 17),
]


def make_screen(app) -> "FollowupScreen":
    return FollowupScreen()


def describe_filter(filters: FollowupFilter, names: dict[str, str]) -> str:
    """The line over the list: what it holds ("Pending of Ana Ruiz · Café Colibrí")."""
    who = names.get("person")
    if who:
        template = {PENDING: N_("Pending of {whom}"), DONE: N_("Done of {whom}")}.get(
            filters.status, N_("All of {whom}"))
        text = _(template).format(whom=who)
    else:
        text = _({PENDING: N_("Pending activities"), DONE: N_("Done activities")}.get(
            filters.status, N_("All activities")))
    extra = [names[key] for key in ("client", "contact") if names.get(key)]
    start, end = filters.dates.start, filters.dates.end
    if start or end:
        extra.append("{start}–{end}".format(start=format_date(start), end=format_date(end)))
    return " · ".join([text, *extra])


def followup_line(record) -> str:
    """The follow-up notes; for a task, first when it is due and who has it."""
    line = "{label} {notes}".format(label=_("Follow-up:"), notes=record.followup_notes or "…")
    if not record.is_task:
        return line
    due = format_date(record.due_date)
    if record.assignee_name:
        task = _("Task due {date} for {assignee}").format(date=due, assignee=record.assignee_name)
    else:  # an assignee deactivated and renamed away, or a task imported without one
        task = _("Task due {date}, not assigned").format(date=due)
    return f"{task} · {line}"


def contact_line(name: str, card) -> str:
    """The contact's name, then their phone, mobile and e-mail once read."""
    parts = [name]
    if card is not None:
        parts += [card.phone, card.mobile, card.email]
    return " · ".join(part for part in parts if part)


def day_word(day: dt.date, today: dt.date) -> str:
    if day == today:
        return _("today")
    if day == today + dt.timedelta(days=1):
        return _("tomorrow")
    return format_date(day)


# The home screen's lines that are not the list's rows (status, buttons, the list's
# borders and header, the card, the appointments, the footer), to read as many rows
# before the first frame as the list shows.
LINES_AROUND_THE_LIST = 14
MIN_FIRST_ROWS = 5

DETAIL_LINES = 2  # the card's lines for the activity's detail


def detail_lines(detail: str, width: int) -> list[str]:
    """The detail wrapped to the card's width, at most DETAIL_LINES lines ("…" when cut)."""
    text = clean_display(detail, one_line=True).strip()
    lines = textwrap.wrap(text, max(width, 10)) or [""]
    if len(lines) > DETAIL_LINES:
        lines = lines[:DETAIL_LINES]
        lines[-1] = lines[-1][: max(width - 1, 9)] + "…"
    return lines


class ActivityCard(Static):
    """The selected activity in one widget: its contact (bold), its detail (up to two
    lines) and its follow-up (dimmed)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.contact = ""
        self.detail = ""
        self.followup = ""

    def show(self, contact: str, detail: str = "", followup: str = "") -> None:
        self.contact, self.detail, self.followup = contact, detail, followup
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_size.width or max(self.app.size.width - 2, 10)
        parts: list = [(clean_display(self.contact, one_line=True), "bold")]
        for line in detail_lines(self.detail, width) if self.detail else []:
            parts.append("\n" + line)
        if self.followup:
            parts += ["\n", (clean_display(self.followup, one_line=True), "dim")]
        self.update(plain_parts(*parts))


class FollowupTable(RecordTable):
    """The list of the home screen: Enter opens the activity (and says so in the footer)."""

    BINDINGS = [Binding("enter", "select_cursor", N_("Open record"), id="followup_open",
                        tooltip=N_("Open the selected activity"))]


class FollowupScreen(FollowsChanges, Screen):
    """The home screen: what the user has to follow up, live."""

    BINDINGS = [
        Binding("o", "mark_done", N_("Ok"), id="followup_ok", tooltip=N_("Mark the selected one done")),
        Binding("p", "mark_pending", N_("Pend"), id="followup_pend",
                tooltip=N_("Put the selected one back to pending")),
        Binding("c", "copy", N_("Copy"), id="followup_copy",
                tooltip=N_("Copy the selected activity to the clipboard")),
        Binding("l", "load", N_("Load activities"), id="followup_load"),
        Binding("f2,m", "crm_menu", N_("Menu"), id="crm_menu", tooltip=N_("The CRM menu")),
        Binding("escape", "leave", N_("Quit"), show=False, id="leave"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.menu_item_id = MENU_ITEM_ID
        self.filters = FollowupFilter()
        self.filter_names: dict[str, str] = {}
        self.card = None  # the selected activity's ContactCard, once read
        self.appointment_orders: list = []
        self._stale = False
        self._rows_drawn = False

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Before the list mounts: its first read is already the user's.
        self.filters = FollowupFilter(person_id=self.app.actor.id)
        self.filter_names = {"person": self.app.actor.full_name or self.app.actor.username}
        yield StatusLine()
        from crm_tui.screens.opportunity_status import OpportunityStatus

        yield OpportunityStatus(id="opportunity-status")  # [Nuevas 12] [En espera 3] ...
        yield ButtonBar([BarButton("load", _("Load activities"), "l"),
                         BarButton("new", _("New activity"), "ctrl+d"),
                         BarButton("ok", _("Ok"), "o"),
                         BarButton("pend", _("Pend"), "p"),
                         BarButton("menu", _("Menu"), "f2")], id="followup-bar")
        yield FollowupTable(COLUMNS, self._fetch, id="followup", read_on_mount=False)
        yield ActivityCard(id="activity-card")
        with Horizontal(id="appointments-row"):  # its list comes with the appointments
            yield Static(plain(_("Appointments:")), id="appointments-label")
        yield CrmFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self._show_title()
        self.table.focus()
        # The first page is read here, before the first frame, so that frame already
        # shows the rows: one page is a few milliseconds, while reading it in a thread
        # after the frame costs more frames and the thread's turns with the one drawing.
        # The appointments and the change watch wait for the rows.
        if not self._show_first_page():
            self.call_after_refresh(self._start_reading)

    def _show_first_page(self) -> bool:
        # About the rows the list shows (every row given to the table costs before the
        # frame); the whole first page follows right after the frame (_first_rows_drawn).
        shown = max(self.app.size.height - LINES_AROUND_THE_LIST, MIN_FIRST_ROWS)
        if not self.table.show_first_page(min(self.table.page_size, shown)):
            return False
        self._rows_in_place()
        return True

    def _first_page_short(self) -> bool:
        table = self.table
        return table.has_more_after and len(table.records) < table.page_size and not table.is_reading

    def _start_reading(self) -> None:
        if not self.is_attached:
            return
        self.table.reload()  # the appointments and the change watch follow its rows

    @property
    def table(self) -> RecordTable:
        return self.query_one("#followup", RecordTable)

    def _fetch(self, request: PageRequest):
        return _followup().list_followup(self.filters, request)

    @property
    def list_title(self) -> str:
        """What the list holds, on its top border ("Pendientes de Ana Ruiz")."""
        return describe_filter(self.filters, self.filter_names)

    def _show_title(self) -> None:
        self.table.border_title = plain(self.list_title, one_line=True)

    # --- the selected activity -------------------------------------------------------

    @property
    def selected(self):
        return self.table.current_record

    @on(RecordTable.RowHighlighted, "#followup")
    def _highlighted(self, event: RecordTable.RowHighlighted) -> None:
        self._show_card()

    @on(RecordTable.Loaded, "#followup")
    def _loaded(self, event: RecordTable.Loaded) -> None:
        self._show_card()
        if not self._rows_drawn:
            self._rows_drawn = True
            self._rows_in_place()
            self.call_after_refresh(self._first_rows_drawn)

    def _rows_in_place(self) -> None:
        rows_in_place = getattr(self.app, "rows_in_place", None)
        if rows_in_place is not None:  # the start-up benchmark of the home screen's rows
            rows_in_place()

    def _first_rows_drawn(self) -> None:
        if not self.is_attached or not self.is_running:
            return  # the screen (or the app) is leaving
        if self._first_page_short():
            self.table.reload(keep_position=True)  # the rest of the first page, in place
        home_rows_drawn = getattr(self.app, "home_rows_drawn", None)
        if home_rows_drawn is not None:
            home_rows_drawn()
        # Mounted after the first frame, which it would only slow down: it is empty until
        # the appointments are read.
        self.query_one("#appointments-row").mount(OptionList(id="appointments", compact=True))
        self._load_appointments()
        self.follow_changes()

    def _show_card(self) -> None:
        record = self.selected
        view = self.query_one("#activity-card", ActivityCard)
        if record is None:
            self.card = None
            view.show(_("Nothing to follow up here."))
            return
        card = self.card if self.card is not None and self.card.id == record.contact_id else None
        if card is None and self._rows_drawn:
            self._read_card(record.contact_id)
        elif card is None:  # a thread of its own would share the time before the first frame
            self.call_after_refresh(self._read_card_later, record.contact_id)
        view.show(contact_line(record.contact_name, card), record.detail or "", followup_line(record))

    def _show_contact(self, name: str, card) -> None:
        view = self.query_one("#activity-card", ActivityCard)
        view.show(contact_line(name, card), view.detail, view.followup)

    def _read_card_later(self, contact_id: int) -> None:
        record = self.selected
        if self.is_attached and self.card is None and record is not None and record.contact_id == contact_id:
            self._read_card(contact_id)

    @work(thread=True, exclusive=True, group="followup-card")
    def _read_card(self, contact_id: int) -> None:
        worker = get_current_worker()
        try:
            card = _followup().contact_card(contact_id)
        except Exception:  # noqa: BLE001 - the name stays; the list says what is wrong
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._card_read, card)

    def _card_read(self, card) -> None:
        self.card = card
        record = self.selected
        if record is not None and record.contact_id == card.id:
            self._show_contact(record.contact_name, card)

    # --- appointments ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="followup-appointments")
    def _load_appointments(self) -> None:
        worker = get_current_worker()
        try:
            found = _followup().appointments(self.app.actor.id)
        except Exception as exc:  # noqa: BLE001 - shown, the rest of the screen works
            if not worker.is_cancelled:
                self.app.call_from_thread(self.app.notify, user_message(exc), severity="error", markup=False)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_appointments, found)

    def _show_appointments(self, found: list) -> None:
        self.appointment_orders = found
        # The answer may arrive after the screen has left (the app closing, another screen).
        options = next(iter(self.query("#appointments").results(OptionList)), None)
        if options is None:
            return
        highlighted = options.highlighted
        options.clear_options()
        today = self.app.today()
        if not found:
            options.add_option(Option(plain(_("None in the coming days.")), disabled=True))
            return
        options.add_options([Option(plain("{day} {time} #{number} {client}".format(
            day=day_word(order.appointment_at.date(), today), time=order.appointment_at.strftime("%H:%M"),
            number=order.number, client=order.client_name), one_line=True)) for order in found])
        options.highlighted = min(highlighted or 0, len(found) - 1)

    @on(OptionList.OptionSelected, "#appointments")
    def _appointment_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.appointment_orders):
            self.app.open_order(self.appointment_orders[event.option_index].number)

    # --- other users' changes ------------------------------------------------------------

    def others_changed(self) -> None:
        if self.is_current:
            self.refresh_everything()
        else:  # under another screen: read it again when it shows
            self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self.refresh_everything()

    def refresh_everything(self) -> None:
        """Read the list, the selected contact and the appointments again, keeping the
        user's place (same record under the cursor, on the same line)."""
        if not self.is_attached:
            return
        self._stale = False
        self.card = None
        self.table.reload(keep_position=True)
        self._load_appointments()
        self.query_one("#opportunity-status").reload()

    # --- actions -------------------------------------------------------------------------

    @on(ButtonBar.Pressed, "#followup-bar")
    def _button(self, event: ButtonBar.Pressed) -> None:
        event.stop()
        actions = {"load": self.action_load, "new": self.action_new_activity, "ok": self.action_mark_done,
                   "pend": self.action_mark_pending, "menu": self.action_crm_menu}
        if event.name in actions:
            actions[event.name]()

    @on(RecordTable.RecordSelected, "#followup")
    def _open(self, event: RecordTable.RecordSelected) -> None:
        event.stop()
        self.app.open_activity(event.record.id)

    def action_new_activity(self) -> None:
        self.app.open_menu("add_activity")

    def action_crm_menu(self) -> None:
        self.app.show_crm_menu()

    def action_leave(self) -> None:
        from crm_tui.widgets.dialogs import ConfirmDialog

        def answered(leave: bool | None) -> None:
            if leave:
                self.app.exit(0)

        self.app.push_screen(ConfirmDialog(_("Leave the CRM?")), answered)

    def action_copy(self) -> None:
        record = self.selected
        if record is None:
            return
        card = self.card if self.card is not None and self.card.id == record.contact_id else None
        self.app.copy_to_clipboard(_followup().clipboard_text(record, card))
        self.notify(_("Activity {folio} copied to the clipboard.").format(folio=record.folio), markup=False)

    def action_load(self) -> None:
        from crm_tui.screens.followup_dialogs import LoadActivitiesDialog

        def chosen(answer: tuple[FollowupFilter, dict[str, str]] | None) -> None:
            if answer is None:
                return
            self.filters, self.filter_names = answer
            self._show_title()
            self.card = None
            self.table.reload()
            self.table.focus()

        self.app.push_screen(LoadActivitiesDialog(self.filters, self.filter_names), chosen)

    def action_mark_done(self) -> None:
        record = self.selected
        if record is None:
            return
        if record.status == DONE:
            self.notify(_("Activity {folio} is already done; p puts it back to pending.").format(
                folio=record.folio), severity="warning", markup=False)
            return
        self._ask_note(record, _("Ok: activity {folio} is done. How was it followed up?").format(
            folio=record.folio), _followup().mark_done_with_notes,
            _("Activity {folio} is done.").format(folio=record.folio))

    def action_mark_pending(self) -> None:
        record = self.selected
        if record is None:
            return
        if record.status != DONE:
            self.notify(_("Activity {folio} is pending already.").format(folio=record.folio),
                        severity="warning", markup=False)
            return
        self._ask_note(record, _("Pend: activity {folio} is pending again. Why?").format(folio=record.folio),
                       _followup().mark_pending_with_notes,
                       _("Activity {folio} is pending again.").format(folio=record.folio))

    def _ask_note(self, record, question: str, change, done_message: str) -> None:
        from crm_tui.screens.followup_dialogs import NoteDialog

        seen = {"version": record.version, "changed": False}

        def save(notes: str) -> Any:
            return change(self.app.actor, record.id, seen["version"], notes)

        def reread() -> str:
            from crm_tui.services import activities, conflicts

            stored = activities.get_activity(record.id)
            seen.update(version=stored.version, changed=True)
            return _("Activity {folio} was changed by {who} while this was open: it is {status} now. "
                     "F8 applies your note to it as it is now; Esc cancels.").format(
                who=conflicts.stored_by(stored), folio=stored.folio,
                status=activities.status_label(stored.status).lower())

        def saved(result: Any) -> None:
            if result is None:
                if seen["changed"]:
                    self.refresh_everything()
                return
            self.notify(done_message, markup=False)
            self.refresh_everything()

        self.app.push_screen(NoteDialog(question, record.followup_notes, save, reread), saved)
