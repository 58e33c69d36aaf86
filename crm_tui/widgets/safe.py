"""User text as data: everything shown on screen goes through these, never through markup.

Content/Text never interpret `[bold]` or `[@click=...]`; on top of that, control
characters (which a terminal would obey) are made visible instead of being sent out.
"""
from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.content import Content

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
REPLACEMENT = "\ufffd"


def clean_display(value: Any, one_line: bool = False) -> str:
    """The value as a string that a terminal shows as-is (no escape sequences)."""
    text = "" if value is None else str(value)
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    text = text.replace("\t", " ")
    return _CONTROL.sub(REPLACEMENT, text)


def plain(value: Any, one_line: bool = False) -> Content:
    """Content that shows `value` literally, whatever brackets it contains."""
    return Content(clean_display(value, one_line))


def cell(value: Any) -> Text:
    """A table cell: one line, shown literally."""
    return Text(clean_display(value, one_line=True), no_wrap=True, overflow="ellipsis")


def shorten(value: Any, width: int) -> str:
    text = clean_display(value, one_line=True)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
