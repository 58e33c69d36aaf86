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


def write_watched_sheet(path, columns: Sequence, rows: Iterable[Sequence], sheet_title: str,
                        progress: Callable[[int], None], cancel: Flag) -> int:
    """`rows` written to the .xlsx file `path` as watched_rows gives them; the rows written."""
    from crm_tui.export.xlsx import write_xlsx  # openpyxl: only once a sheet is written

    return write_xlsx(path, columns, watched_rows(rows, progress, cancel), sheet_title=sheet_title)
