"""A row of buttons drawn as one line of text, each clickable and showing its key.

One widget instead of one Button each: a Button is a widget with its own styles (its
stylesheet alone is some 60 rules), and the home screen's first frame waits for all of
them. The labels are the program's own translated words, never user text.
"""
from __future__ import annotations

from typing import NamedTuple

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from crm_tui.widgets.safe import clean_display, plain_parts

GAP = "  "


class BarButton(NamedTuple):
    name: str  # what Pressed says was clicked
    label: str  # translated already
    key: str = ""  # the key that does the same, as a binding spells it ("l", "ctrl+d")


class ButtonBar(Static):
    """One line of buttons; a click on a button's label or key posts `ButtonBar.Pressed`."""

    class Pressed(Message):
        def __init__(self, bar: "ButtonBar", name: str) -> None:
            super().__init__()
            self.bar = bar
            self.name = name

        @property
        def control(self) -> "ButtonBar":
            return self.bar

    def __init__(self, buttons: list[BarButton], *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.buttons = list(buttons)
        self.spans: dict[str, tuple[int, int]] = {}  # name -> [start, end) columns in the line
        # Built now, so that the screen's first frame already shows it.
        self.update(plain_parts(*self._parts()))

    def _key_text(self, key: str) -> str:
        if not key:
            return ""
        try:
            return self.app.get_key_display(Binding(key, ""))
        except Exception:  # noqa: BLE001 - made outside an app: the key as written
            return key

    def _parts(self) -> list:
        parts: list[tuple[str, str] | str] = []
        column = 0
        self.spans = {}
        for button in self.buttons:
            if parts:
                parts.append(GAP)
                column += len(GAP)
            label = f" {clean_display(button.label, one_line=True)} "
            key = self._key_text(button.key)
            start = column
            parts.append((label, "reverse"))
            column += len(label)
            if key:
                parts.append((f" {key}", "bold"))
                column += len(key) + 1
            self.spans[button.name] = (start, column)
        return parts

    def column_of(self, name: str) -> int:
        """A column inside the named button (in the widget, padding included)."""
        start, _end = self.spans[name]
        return start + 1 + self.styles.padding.left

    def button_at(self, column: int) -> str | None:
        for name, (start, end) in self.spans.items():
            if start <= column < end:
                return name
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        name = self.button_at(offset.x)
        if name is not None:
            event.stop()
            self.post_message(self.Pressed(self, name))
