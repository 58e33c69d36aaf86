"""User text as data: everything shown on screen goes through here, never through markup.

Content/Text never interpret `[bold]` or `[@click=...]`. On top of that, no control
character reaches the terminal, which would obey it (ESC ] 52 sets the clipboard, ESC [ 2J
clears the screen): each is shown as a visible sign instead, its Unicode control picture
(ESC as ␛, NUL as ␀, BEL as ␇, DEL as ␡) or, for the C1 controls that have none, as �.

The services store no control characters; these signs show the ones a record got before
that rule, or from another program. Every way stored text reaches the screen uses this
module: plain() and cell() for Static, Label, Button, Option and table cells; SafeInput
and SafeTextArea for the fields of a form; SafeOutput for the app's notifications and
titles.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from rich.text import Text
from textual.content import Content
from textual.widgets import Input

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINE_END = re.compile(r"\r\n?")
_BREAK_OR_TAB = re.compile(r"[\t\n\r]")
C1_SIGN = "\ufffd"
DEL_SIGN = "\u2421"


def control_sign(character: str) -> str:
    """The visible sign of one control character."""
    code = ord(character)
    if code < 0x20:
        return chr(0x2400 + code)
    return DEL_SIGN if code == 0x7F else C1_SIGN


def _signs(match: re.Match) -> str:
    return control_sign(match.group())


def clean_display(value: Any, one_line: bool = False, keep_tabs: bool = False) -> str:
    """`value` as text a terminal shows as it is: no control character is left in it.

    One line: each line break and tab becomes one space, so the text keeps its length (a
    cursor inside it stays where it was). Several lines: CR LF and CR become a line feed,
    and tabs become spaces unless `keep_tabs` (a text area lays out tabs itself).
    """
    text = "" if value is None else str(value)
    if one_line:
        text = _BREAK_OR_TAB.sub(" ", text)
    else:
        text = _LINE_END.sub("\n", text)
        if not keep_tabs:
            text = text.replace("\t", " ")
    kept = "\t\n" if keep_tabs else "\n"
    return _CONTROL.sub(lambda match: match.group() if match.group() in kept else _signs(match), text)


def plain(value: Any, one_line: bool = False) -> Content:
    """Content that shows `value` literally, whatever brackets or control characters it holds."""
    return Content(clean_display(value, one_line))


def plain_parts(*parts: str | tuple[str, str]) -> Content:
    """Content of several texts, each shown literally, some styled: `("Ana", "bold")`."""
    cleaned = [(clean_display(part[0]), part[1]) if isinstance(part, tuple) else clean_display(part)
               for part in parts]
    return Content.assemble(*cleaned)


HIGHLIGHT_STYLE = "bold underline"  # holds in every colour mode, NO_COLOR included


def cell(value: Any, highlights: Sequence[tuple[int, int]] = ()) -> Text:
    """A table cell: one line, shown literally; `highlights` ([start, end) offsets in the
    text) are the parts to stand out (the words a search found)."""
    text = Text(clean_display(value, one_line=True), no_wrap=True, overflow="ellipsis")
    for start, end in highlights:
        text.stylize(HIGHLIGHT_STYLE, start, end)
    return text


def shorten(value: Any, width: int) -> str:
    text = clean_display(value, one_line=True)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class SafeInput(Input):
    """An Input whose value never holds a control character: whatever sets it (a record
    shown in a form, a paste, a program) gets the visible signs instead.

    An Input writes its value to the terminal as it is, so an ESC in a stored name would
    otherwise become a live escape sequence.
    """

    def validate_value(self, value: str) -> str:
        return clean_display(value, one_line=True)


class SafeOutput:
    """For the App (list it before App): every notification, title and clipboard copy
    holds visible signs for control characters, whichever screen or worker sends it."""

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        super().notify(clean_display(message), title=clean_display(title, one_line=True),  # type: ignore[misc]
                       severity=severity, timeout=timeout, markup=markup)

    def copy_to_clipboard(self, text: str) -> None:
        # What is copied is pasted into another terminal or a shell: an escape written into
        # a record outside the CRM must arrive there as the visible sign the screen shows.
        super().copy_to_clipboard(clean_display(text, keep_tabs=True))  # type: ignore[misc]

    def validate_title(self, title: Any) -> str:
        return clean_display(title, one_line=True)

    def validate_sub_title(self, sub_title: Any) -> str:
        return clean_display(sub_title, one_line=True)


def __getattr__(name: str) -> Any:
    # SafeTextArea lives in its own module: Textual's TextArea is slow to import and the
    # first screen has none, so it loads with the first form that has one.
    if name == "SafeTextArea":
        from crm_tui.widgets.safe_text_area import SafeTextArea

        return SafeTextArea
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
