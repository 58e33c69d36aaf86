"""A one-line text field that keeps every line of a multi-line paste."""
from __future__ import annotations

import re

from textual import events

from crm_tui.widgets.safe import SafeInput

_LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def one_line(text: str) -> str:
    """The lines of `text` joined with a space (blank lines and edges dropped)."""
    return _LINE_BREAKS.sub(" ", text.strip("\r\n"))


class OneLineInput(SafeInput):
    """A safe Input whose paste of several lines joins them with spaces (Textual keeps only
    the first line, silently dropping the rest of an address or a note)."""

    def on_paste(self, event: events.Paste) -> None:
        if "\n" not in event.text and "\r" not in event.text:
            return  # Input's own paste handles it
        event.prevent_default()
        event.stop()
        text = one_line(event.text)
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)
