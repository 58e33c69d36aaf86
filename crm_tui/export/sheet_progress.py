"""The rows of a sheet as they are written: progress every few rows and a stop that the
writer sees at the next row (write_xlsx then leaves no file). Without openpyxl, so the
screens that offer a sheet do not load it before one is written."""
from __future__ import annotations

from typing import Callable, Iterable, Iterator, Protocol, Sequence

# Rows written between two reports of progress.
PROGRESS_EVERY = 500


class SheetCancelled(Exception):
    """The user stopped a sheet being written; no file was left."""


class Flag(Protocol):
    def is_set(self) -> bool: ...


def watched_rows(rows: Iterable[Sequence], progress: Callable[[int], None], cancel: Flag,
                 every: int = PROGRESS_EVERY) -> Iterator[Sequence]:
    """`rows`, calling `progress(rows_done)` every `every` rows and raising SheetCancelled
    once `cancel` (a threading.Event) is set."""
    for written, row in enumerate(rows, 1):
        if cancel.is_set():
            raise SheetCancelled()
        yield row
        if written % every == 0:
            progress(written)
    if cancel.is_set():
        raise SheetCancelled()
