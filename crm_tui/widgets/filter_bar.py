"""A list's filter bar, built from the service's filter dataclass (see services/filters.py).

Text filters are inputs, a choice (a status) is a drop-down with «any», a date range is two
dates, a day is one date, a record (user, client, contact, project) is a lookup. Filters
marked live apply as they are typed (the catalogs' search box); the others apply with Enter
in any of them or [Query] (F7 on the list), so a half-typed date never reads the list.
"""
from __future__ import annotations

from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from crm_tui.i18n import _
from crm_tui.services.base import DateRange
from crm_tui.services.errors import ValidationError
from crm_tui.services.filters import CHOICE, DATE, DATE_RANGE, LOOKUP, TEXT, FilterField, filter_fields
from crm_tui.widgets.dates import DateInput
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.one_line import OneLineInput
from crm_tui.widgets.safe import plain

QUERY_KEY = "f7"


def widget_id(spec: FilterField) -> str:
    # The catalogs' search box keeps the id it always had.
    return "search" if spec.live and spec.kind == TEXT and spec.name == "text" else f"filter-{spec.name}"


class FilterBar(Vertical):
    """The filters of a list, and [Query] when some of them are not applied as typed."""

    class Applied(Message):
        """The filters changed: `live` when a search box changed as it was typed."""

        def __init__(self, bar: "FilterBar", filters: Any, live: bool) -> None:
            super().__init__()
            self.bar = bar
            self.filters = filters
            self.live = live

        @property
        def control(self) -> "FilterBar":
            return self.bar

    # More filters than this go two to a line, so that a list keeps room for its rows at 80x24.
    ONE_COLUMN_MOST = 3

    def __init__(self, filter_class: type, lookups: dict[str, Callable[..., list]], *,
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="filter-bar")
        self.filter_class = filter_class
        self.specs = filter_fields(filter_class)
        self.lookups = lookups
        self._error_shown = ""
        if self.has_query_button:
            self.add_class("-query")
            if len(self.specs) > self.ONE_COLUMN_MOST:
                self.add_class("-grid")

    @property
    def has_query_button(self) -> bool:
        return any(not spec.live for spec in self.specs)

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            with Horizontal(classes="search-row filter-row", id=f"row-{spec.name}"):
                yield Label(plain(_(spec.label)), classes="filter-label")
                yield from self._inputs(spec)
        if self.has_query_button:
            with Horizontal(classes="search-row filter-row query-row"):
                yield Static(id="filter-error", classes="filter-error")
                yield Button(plain(_("F7 Query")), id="query", compact=True)

    def _inputs(self, spec: FilterField) -> ComposeResult:
        placeholder = _(spec.placeholder) if spec.placeholder else ""
        if spec.kind == TEXT:
            yield OneLineInput(placeholder=placeholder, id=widget_id(spec), compact=True)
        elif spec.kind == CHOICE:
            yield Select([(_(text), value) for value, text in spec.choices], prompt=_("(any)"),
                         id=widget_id(spec), compact=True)
        elif spec.kind == DATE_RANGE:
            yield DateInput(id=f"{widget_id(spec)}-start", compact=True)
            yield Label(plain(_("to")), classes="filter-label range-to")
            yield DateInput(id=f"{widget_id(spec)}-end", compact=True)
        elif spec.kind == DATE:
            yield DateInput(id=widget_id(spec), compact=True)
        elif spec.kind == LOOKUP:
            yield LookupField(self.lookups[spec.lookup], placeholder=placeholder, id=widget_id(spec))

    def focus_first(self) -> None:
        for widget in self.query("Input, Select"):
            if widget.focusable:
                widget.focus()
                return

    # --- reading --------------------------------------------------------------------

    def read(self) -> Any:
        """The filter dataclass as the bar holds it; a ValidationError names the field
        whose text is not a filter (a wrong date, a record not chosen from the list)."""
        values = {spec.name: self._value(spec) for spec in self.specs}
        self._show_error("")
        return self.filter_class(**values)

    def _value(self, spec: FilterField) -> Any:
        label = _(spec.label)
        if spec.kind == TEXT:
            return self.query_one(f"#{widget_id(spec)}", Input).value.strip()
        if spec.kind == CHOICE:
            value = self.query_one(f"#{widget_id(spec)}", Select).value
            return None if value is Select.NULL else value
        if spec.kind == DATE_RANGE:
            start = self.query_one(f"#{widget_id(spec)}-start", DateInput).parsed(label)
            end = self.query_one(f"#{widget_id(spec)}-end", DateInput).parsed(label)
            return DateRange(start, end).check(spec.name, label)
        if spec.kind == DATE:
            return self.query_one(f"#{widget_id(spec)}", DateInput).parsed(label)
        lookup = self.query_one(f"#{widget_id(spec)}", LookupField)
        if lookup.value is None and lookup.text.strip():
            raise ValidationError(_("{field}: choose a record from the list.").format(field=label), spec.name)
        return lookup.value

    def _show_error(self, message: str) -> None:
        # Only a change is written: updating the line lays the whole screen out again,
        # a good part of the time from [Query] to the rows drawn.
        if message == self._error_shown:
            return
        self._error_shown = message
        for line in self.query("#filter-error"):
            line.update(plain("✗ " + message if message else ""))

    def show_error(self, message: str, field: str | None = None) -> None:
        """A refusal of what the bar holds, shown under it, the cursor on the field it names
        (a filter's name or its input's id)."""
        self._show_error(message)
        for candidate in (field, f"filter-{field}", f"filter-{field}-start"):
            found = self.query(f"#{candidate}") if candidate else None
            if found:
                found.first().focus()
                return

    def apply(self, live: bool = False) -> bool:
        """Post the filters as the bar holds them; False (the error shown) when one is wrong."""
        try:
            filters = self.read()
        except ValidationError as error:
            self._show_error(error.message)
            self.app.notify(error.message, severity="error", markup=False)
            return False
        self.post_message(self.Applied(self, filters, live))
        return True

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        spec = self._spec_of(event.input.id)
        if spec is not None and spec.live:
            event.stop()
            self.apply(live=True)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        spec = self._spec_of(event.input.id)
        if spec is not None and spec.live:
            return  # the list decides what Enter in its search box does
        event.stop()
        self.apply()

    @on(Button.Pressed, "#query")
    def _query_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.apply()

    def _spec_of(self, input_id: str | None) -> FilterField | None:
        return next((spec for spec in self.specs if widget_id(spec) == input_id), None)

    def clear_live(self) -> bool:
        """Esc in a list: empty its search box (True), if it holds something."""
        for spec in self.specs:
            if spec.live and spec.kind == TEXT:
                box = self.query_one(f"#{widget_id(spec)}", Input)
                if box.value:
                    box.value = ""
                    return True
        return False
