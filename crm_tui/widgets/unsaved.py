"""What a screen says when the user is about to leave it: whether work would be lost."""
from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class HoldsUnsavedWork(Protocol):
    def unsaved_work(self) -> str | None:
        """The title of what holds changes not saved yet (a form's title), or None."""
