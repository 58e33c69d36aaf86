"""Choosing a record by typing its key or part of its name."""
from __future__ import annotations

from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from crm_tui.i18n import _
from crm_tui.widgets.safe import clean_display, plain

LOOKUP_LIMIT = 10


def describe_record(record: Any) -> str:
    """How a looked-up record reads in the list: key, name and (for contacts) the client."""
    for attribute in ("label", "display"):
        value = getattr(record, attribute, None)
        if isinstance(value, str) and value:
            return value
    parts = []
    key = getattr(record, "key", None) or getattr(record, "number", None)
    if key not in (None, ""):
        parts.append(str(key))
    name = (getattr(record, "name", None) or getattr(record, "full_name", None)
            or getattr(record, "subject", None) or getattr(record, "username", None) or "")
    parts.append(str(name))
    client = getattr(record, "client_name", None)
    if client:
        parts.append("({client})".format(client=client))
    return " ".join(part for part in parts if part)


class _LookupInput(Input):
    BINDINGS = [Binding("down", "to_matches", show=False)]

    def action_to_matches(self) -> None:
        owner = self.parent
        if isinstance(owner, LookupField):
            owner.focus_matches()


class LookupField(Vertical):
    """An input that looks records up as you type and keeps the id of the one chosen."""

    DEFAULT_CSS = """
    LookupField { height: auto; width: 1fr; }
    LookupField > OptionList { max-height: 7; display: none; }
    LookupField.-open > OptionList { display: block; }
    """

    class Changed(Message):
        """The chosen record changed (value is None when the choice was cleared)."""

        def __init__(self, lookup: "LookupField", value: int | None) -> None:
            super().__init__()
            self.lookup = lookup
            self.value = value

        @property
        def control(self) -> "LookupField":
            return self.lookup

    def __init__(self, lookup: Callable[..., list], describe: Callable[[Any], str] = describe_record,
                 placeholder: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lookup = lookup
        self.describe = describe
        self.placeholder = placeholder or _("Type a key or part of the name")
        self.value: int | None = None
        self.chosen_text = ""
        self.chosen_record: Any = None
        self._matches: list[Any] = []
        self._quiet = False

    def compose(self) -> ComposeResult:
        yield _LookupInput(placeholder=self.placeholder, id=f"{self.id}-text" if self.id else None,
                           compact=True)
        yield OptionList(compact=True)

    @property
    def input(self) -> Input:
        return self.query_one(_LookupInput)

    @property
    def text(self) -> str:
        return self.input.value

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    def focus(self, scroll_visible: bool = True) -> "LookupField":
        self.input.focus(scroll_visible)
        return self

    def set_choice(self, value: int | None, text: str = "", record: Any = None) -> None:
        """Show an existing choice (when a form opens a saved record)."""
        self.value = value
        self.chosen_record = record
        self.chosen_text = clean_display(text, one_line=True)
        self._quiet = True
        self.input.value = self.chosen_text
        self._quiet = False
        self._close()

    def focus_matches(self) -> None:
        if self._matches:
            self.add_class("-open")
            self.options.focus()
            if self.options.highlighted is None:
                self.options.highlighted = 0

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._quiet:
            return
        if self.value is not None and event.value != self.chosen_text:
            self.value = None
            self.chosen_record = None
            self.post_message(self.Changed(self, None))
        text = event.value.strip()
        if not text:
            self._show_matches([])
            return
        self._search(text)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if self.value is None and self._matches:
            event.stop()
            self._choose(self._matches[0])

    @work(thread=True, exclusive=True, group="lookup")
    def _search(self, text: str) -> None:
        worker = get_current_worker()
        try:
            matches = list(self.lookup(text, LOOKUP_LIMIT))
        except Exception as exc:  # a bad look-up shows a message, never a traceback
            if not worker.is_cancelled:
                self.app.call_from_thread(self.app.notify, str(exc), severity="error", markup=False)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_matches, matches)

    def _show_matches(self, matches: list[Any]) -> None:
        self._matches = matches
        options = self.options
        options.clear_options()
        options.add_options([Option(plain(self.describe(match), one_line=True)) for match in matches])
        self.set_class(bool(matches) and self.value is None, "-open")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._matches):
            self._choose(self._matches[event.option_index])

    def _choose(self, record: Any) -> None:
        self.set_choice(getattr(record, "id"), self.describe(record), record)
        self.input.focus()
        self.post_message(self.Changed(self, self.value))

    def _close(self) -> None:
        self.remove_class("-open")

    def on_descendant_blur(self, event) -> None:
        if not self.has_focus_within:
            self.call_after_refresh(self._close_if_unfocused)

    def _close_if_unfocused(self) -> None:
        if not self.has_focus_within:
            self._close()
