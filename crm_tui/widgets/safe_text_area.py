"""SafeTextArea (named through widgets.safe, which loads it on first use)."""
from __future__ import annotations

from typing import Any

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from crm_tui.widgets.safe import clean_display


def _bindings_but(keys: set[str]) -> list:
    return [binding for cls in reversed(TextArea.__mro__) for binding in cls.__dict__.get("BINDINGS", [])
            if getattr(binding, "key", None) not in keys]


class SafeTextArea(TextArea, inherit_bindings=False):
    """A TextArea that shows control characters as visible signs, whether the text is
    loaded from a record or pasted; tabs and line breaks stay what they are."""

    # TextArea takes F6 and F7 (select line, select all) from the screen: in a detail
    # field they would hide the screen's own F6 and F7 ([Perdida], [Historial], [Consultar]).
    BINDINGS = _bindings_but({"f6", "f7"})

    def __init__(self, text: str = "", **options: Any) -> None:
        super().__init__(clean_display(text, keep_tabs=True), **options)

    def load_text(self, text: str) -> None:
        super().load_text(clean_display(text, keep_tabs=True))

    def edit(self, edit: Edit) -> EditResult:
        shown = clean_display(edit.text, keep_tabs=True)
        if shown != edit.text:
            edit = Edit(shown, edit.from_location, edit.to_location, edit.maintain_selection_offset)
        return super().edit(edit)
