"""Typing dates in the language's format (dd/mm/aaaa in Spanish), with a calendar picker."""
from __future__ import annotations

import calendar
import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from crm_tui.i18n import N_, _, date_format, datetime_format
from crm_tui.services.base import parse_date, parse_datetime
from crm_tui.services.errors import ValidationError
from crm_tui.widgets.one_line import OneLineInput
from crm_tui.widgets.safe import plain

MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))
WEEKDAYS = (N_("Mo"), N_("Tu"), N_("We"), N_("Th"), N_("Fr"), N_("Sa"), N_("Su"))


def placeholder_for(pattern: str) -> str:
    """dd/mm/aaaa for '%d/%m/%Y' in Spanish, yyyy-mm-dd in English."""
    return (pattern.replace("%d", _("dd")).replace("%m", _("mm")).replace("%Y", _("yyyy"))
            .replace("%H", _("hh")).replace("%M", _("mi")))


class CalendarPicker(ModalScreen[dt.date | None]):
    """A month grid: arrows move a day or a week, PageUp/PageDown a month, Enter picks."""

    BINDINGS = [
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
        Binding("up", "move(-7)", show=False),
        Binding("down", "move(7)", show=False),
        Binding("pageup", "month(-1)", N_("Previous month"), id="calendar_previous_month"),
        Binding("pagedown", "month(1)", N_("Next month"), id="calendar_next_month"),
        Binding("t", "today", N_("Today"), id="calendar_today"),
        Binding("enter", "pick", N_("Choose"), id="calendar_pick"),
        Binding("escape", "cancel", N_("Cancel"), id="calendar_cancel"),
    ]

    def __init__(self, selected: dt.date | None = None, today: dt.date | None = None) -> None:
        super().__init__()
        self.today = today or dt.date.today()
        self.selected = selected or self.today

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog calendar"):
            yield Static(id="month-title")
            yield Static(id="month-grid")
            yield Static(plain(_("Arrows: day/week · PgUp/PgDn: month · T: today · Enter: choose")),
                         classes="hint")

    def on_mount(self) -> None:
        self.refresh_grid()

    def grid_lines(self) -> list[str]:
        weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(self.selected.year, self.selected.month)
        lines = [" ".join(f"{_(day):>2}" for day in WEEKDAYS)]
        for week in weeks:
            lines.append(" ".join(f"{day:>2}" if day else "  " for day in week))
        return lines

    def refresh_grid(self) -> None:
        title = "{month} {year}".format(month=_(MONTHS[self.selected.month - 1]), year=self.selected.year)
        self.query_one("#month-title", Static).update(plain(title))
        lines = self.grid_lines()
        content = plain("\n".join(lines))
        # Mark the chosen day with the reverse style: works without colours (NO_COLOR).
        marker = f"{self.selected.day:>2}"
        offset = len(lines[0]) + 1
        for line in lines[1:]:
            cells = [line[i:i + 2] for i in range(0, len(line), 3)]
            for index, text in enumerate(cells):
                if text == marker:
                    start = offset + index * 3
                    content = content.stylize("reverse bold", start, start + 2)
            offset += len(line) + 1
        self.query_one("#month-grid", Static).update(content)

    def action_move(self, days: int) -> None:
        self.selected += dt.timedelta(days=days)
        self.refresh_grid()

    def action_month(self, months: int) -> None:
        month_index = self.selected.year * 12 + self.selected.month - 1 + months
        year, month = divmod(month_index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        self.selected = dt.date(year, month + 1, min(self.selected.day, last_day))
        self.refresh_grid()

    def action_today(self) -> None:
        self.selected = self.today
        self.refresh_grid()

    def action_pick(self) -> None:
        self.dismiss(self.selected)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DateInput(OneLineInput):
    """A date typed as dd/mm/aaaa (Spanish) or yyyy-mm-dd; F4 opens a calendar."""

    BINDINGS = [Binding("f4", "calendar", N_("Calendar"), id="calendar")]

    def __init__(self, value: str = "", **kwargs) -> None:
        kwargs.setdefault("placeholder", placeholder_for(self.pattern()))
        super().__init__(value, **kwargs)

    @staticmethod
    def pattern() -> str:
        return date_format()

    def parsed(self, label: str = "") -> dt.date | None:
        """The date typed, None when empty; raises ValidationError when it is not a date."""
        return parse_date(self.value, self.id or "", label)

    @property
    def being_typed(self) -> bool:
        """The user is still typing it: focused and shorter than a whole date."""
        whole = len(dt.datetime(2026, 12, 31, 23, 59).strftime(self.pattern()))
        return self.has_focus and len(self.value.strip()) < whole

    def set_date(self, value: dt.date | None) -> None:
        self.value = value.strftime(self.pattern()) if value else ""
        self.cursor_position = len(self.value)

    def _current_date(self) -> dt.date | None:
        try:
            value = self.parsed()
        except ValidationError:
            return None
        return value.date() if isinstance(value, dt.datetime) else value

    def action_calendar(self) -> None:
        today = getattr(self.app, "today", None)
        today = today() if callable(today) else today

        def chosen(day: dt.date | None) -> None:
            if day is not None:
                self.apply_calendar_choice(day)
            self.focus()

        self.app.push_screen(CalendarPicker(self._current_date(), today), chosen)

    def apply_calendar_choice(self, day: dt.date) -> None:
        self.set_date(day)


class DateTimeInput(DateInput):
    """A date and time (dd/mm/aaaa hh:mm in Spanish); the calendar keeps the time typed."""

    @staticmethod
    def pattern() -> str:
        return datetime_format()

    def parsed(self, label: str = "") -> dt.datetime | None:
        return parse_datetime(self.value, self.id or "", label)

    def set_date(self, value: dt.date | None) -> None:
        if value is not None and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        super().set_date(value)

    def apply_calendar_choice(self, day: dt.date) -> None:
        current = None
        try:
            current = self.parsed()
        except ValidationError:
            pass
        moment = current.time() if current else dt.time(9, 0)
        self.set_date(dt.datetime.combine(day, moment))
