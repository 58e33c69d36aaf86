"""Choosing a record by typing its key or part of its name."""
from __future__ import annotations

from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from crm_tui.i18n import _
from crm_tui.services.failures import user_message
from crm_tui.widgets.one_line import OneLineInput
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


def _keys_of(record: Any) -> set[str]:
    """The texts that name a record exactly: its key or number, or a user's login."""
    keys = set()
    for attribute in ("key", "number", "username"):
        value = getattr(record, attribute, None)
        if value not in (None, ""):
            keys.add(str(value).casefold())
    return keys


class _LookupInput(OneLineInput):
    BINDINGS = [
        Binding("down", "to_matches", show=False),
        Binding("tab", "accept_and_next", show=False),
    ]

    def action_to_matches(self) -> None:
        owner = self.parent
        if isinstance(owner, LookupField):
            owner.focus_matches()

    def action_accept_and_next(self) -> None:
        """Tab takes the record the text names (its exact key, or the only match) and
        always goes on to the next field: the keys typed behind it belong there. Text that
        names several records stays, with its matches shown, for the user to choose."""
        owner = self.parent
        if not isinstance(owner, LookupField):
            self.screen.focus_next()
            return
        if owner.value is None and owner.text.strip():
            owner.accept_or_ask()
        owner.focus_next_field()


class LookupField(Vertical):
    """An input that looks records up as you type and keeps the id of the one chosen."""

    DEFAULT_CSS = """
    LookupField { height: auto; width: 1fr; }
    LookupField > OptionList { max-height: 7; display: none; }
    LookupField.-open > OptionList { display: block; }
    LookupField > .lookup-hint { height: 1; display: none; }
    LookupField.-needs-choice > .lookup-hint { display: block; }
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

    class NeedsChoice(Message):
        """The field was left with a text that names several records."""

        def __init__(self, lookup: "LookupField") -> None:
            super().__init__()
            self.lookup = lookup

        @property
        def control(self) -> "LookupField":
            return self.lookup

    def __init__(self, lookup: Callable[..., list], describe: Callable[[Any], str] = describe_record,
                 placeholder: str = "", *, id: str | None = None, classes: str | None = None,
                 own_hint: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        self.own_hint = own_hint
        self.needs_choice = False
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
        yield Static("", classes="lookup-hint", markup=False)
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
        self._set_needs_choice(False)
        self._close()

    def choice_hint(self) -> str:
        """What the field says when left with a text that names several records ("" otherwise)."""
        if not self.needs_choice:
            return ""
        count = len(self._matches)
        if count >= LOOKUP_LIMIT:
            return _("{count} or more matches: choose one with ↓").format(count=count)
        return _("{count} matches: choose one with ↓").format(count=count)

    def accept_or_ask(self) -> bool:
        """Choose the record the text names; when it names several, keep them shown and
        say, at the field, that one must be chosen."""
        if self.accept_typed():
            return True
        if len(self._matches) > 1:
            self._set_needs_choice(True)
            self.post_message(self.NeedsChoice(self))
        return False

    def ask_if_several(self) -> None:
        """Look the typed text up now and, when it names several records, show them and
        say at the field that one must be chosen; nothing is chosen here."""
        text = self.text.strip()
        if self.value is not None or not text or self.needs_choice:
            return
        matches = self._look_up_now(text)
        if matches is not None and len(matches) > 1:
            self._set_needs_choice(True)

    def _set_needs_choice(self, needed: bool) -> None:
        self.needs_choice = needed
        hint = self.choice_hint()
        self.query_one(".lookup-hint", Static).update(plain(hint))
        self.set_class(needed and self.own_hint, "-needs-choice")
        self.set_class(needed and bool(self._matches), "-open")

    def focus_next_field(self) -> None:
        """Focus what follows the field, passing over its own list of matches."""
        chain = self.screen.focus_chain
        own = [index for index, widget in enumerate(chain) if self in widget.ancestors_with_self]
        if not own:
            self.screen.focus_next()
            return
        others = chain[own[-1] + 1:] + chain[:own[0]]  # the last field goes round to the first
        if others:
            self.screen.set_focus(others[0])

    def focus_matches(self) -> bool:
        if not self._matches:
            return False
        self.add_class("-open")
        self.options.focus()
        if self.options.highlighted is None:
            self.options.highlighted = 0
        return True

    def accept_typed(self) -> bool:
        """Choose the record the typed text names without a doubt: the one whose key is
        exactly the text, or the only match. Looks up now, not waiting for the list."""
        text = self.text.strip()
        matches = self._look_up_now(text)
        if matches is None:
            return False
        exact = [match for match in matches if text.casefold() in _keys_of(match)]
        chosen = exact[0] if len(exact) == 1 else matches[0] if len(matches) == 1 else None
        if chosen is None:
            return False
        self._choose(chosen, refocus=False)
        return True

    def _look_up_now(self, text: str) -> list[Any] | None:
        """The records `text` names, looked up in this thread and shown; None when the
        look-up failed (the list as typed so far stays; the form says what is wrong)."""
        try:
            matches = list(self.lookup(text, LOOKUP_LIMIT))
        except Exception:  # noqa: BLE001 - the form says what is wrong with the field
            return None
        self._show_matches(matches)
        return matches

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._quiet:
            return
        if self.needs_choice:
            self._set_needs_choice(False)
        cleared = self.value is not None and event.value != self.chosen_text
        if cleared:
            self.value = None
            self.chosen_record = None
        text = event.value.strip()
        if cleared or not text:  # an emptied field also says so: its error may be gone
            self.post_message(self.Changed(self, None))
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
                self.app.call_from_thread(self.app.notify, user_message(exc), severity="error", markup=False)
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

    def _choose(self, record: Any, refocus: bool = True) -> None:
        self.set_choice(getattr(record, "id"), self.describe(record), record)
        if refocus:
            self.input.focus()
        self.post_message(self.Changed(self, self.value))

    def _close(self) -> None:
        self.remove_class("-open")

    def on_descendant_blur(self, event) -> None:
        if not self.has_focus_within:
            self.call_after_refresh(self._close_if_unfocused)

    def _close_if_unfocused(self) -> None:
        if not self.has_focus_within and not self.needs_choice:
            self._close()
