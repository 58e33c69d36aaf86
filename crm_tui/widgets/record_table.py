"""A table that reads a list one page at a time, however long the list is.

The table never holds more than MAX_PAGES pages: moving down past the last row reads
the next page after the last cursor, moving up past the first reads the page before
the first cursor, Home reads the first page and End the last one. Opening a list of a
million rows costs the same as opening one of ten.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable
from textual.worker import get_current_worker

from crm_tui.i18n import N_, _
from crm_tui.services.base import FIRST_PAGE, Page, PageRequest
from crm_tui.widgets.safe import cell

R = TypeVar("R")
MAX_PAGES = 3
PAGE_SIZE = 50


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a RecordTable: its N_() label and how to read it from a record."""

    label: str
    value: Callable[[Any], Any]
    width: int | None = None


@dataclass
class _Window:
    """The pages on screen, and where the first of them sits in the whole list."""

    pages: list[Page]
    first_number: int  # 1-based number of the first row (counted from the anchor)
    from_end: bool  # True when numbers count back from the end of the list

    @property
    def rows(self) -> list:
        return [row for page in self.pages for row in page.rows]


class RecordTable(DataTable, Generic[R]):
    """A DataTable fed by `fetch(PageRequest) -> Page`; posts RecordSelected on Enter."""

    BINDINGS = [
        Binding("home", "first_page", N_("First rows of the list"), show=False, id="list_first"),
        Binding("end", "last_page", N_("Last rows of the list"), show=False, id="list_last"),
    ]

    position = reactive("")

    class RecordSelected(Message):
        def __init__(self, table: "RecordTable", record: Any) -> None:
            super().__init__()
            self.table = table
            self.record = record

        @property
        def control(self) -> "RecordTable":
            return self.table

    class Loaded(Message):
        """A page arrived and is on screen."""

        def __init__(self, table: "RecordTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "RecordTable":
            return self.table

    def __init__(self, columns: list[ColumnSpec], fetch: Callable[[PageRequest], Page] | None = None,
                 page_size: int = PAGE_SIZE, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.specs = columns
        self.fetch = fetch
        self.page_size = page_size
        self._window: _Window | None = None
        self._loading = False
        self.error: str = ""

    # --- public --------------------------------------------------------------------

    def on_mount(self) -> None:
        for spec in self.specs:
            self.add_column(_(spec.label), width=spec.width)
        if self.fetch is not None:
            self.reload()

    def set_fetch(self, fetch: Callable[[PageRequest], Page]) -> None:
        self.fetch = fetch
        self.reload()

    def reload(self, keep_position: bool = False) -> None:
        """Read the list again: from the first page, or from where the window starts."""
        window = self._window
        if keep_position and window and window.pages and window.pages[0].has_before:
            self._load(PageRequest(limit=self.page_size), "refresh", keep_row=self.cursor_row,
                       anchor=window.pages[0].first_cursor)
        else:
            self._load(PageRequest(limit=self.page_size), "replace",
                       keep_row=self.cursor_row if keep_position else 0)

    @property
    def records(self) -> list:
        return self._window.rows if self._window else []

    @property
    def current_record(self) -> Any | None:
        rows = self.records
        if not rows or not (0 <= self.cursor_row < len(rows)):
            return None
        return rows[self.cursor_row]

    # --- keys ----------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        window = self._window
        if window and self.cursor_row >= self.row_count - 1 and window.pages and window.pages[-1].has_after:
            self._load(PageRequest(after=window.pages[-1].last_cursor, limit=self.page_size), "append")
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        window = self._window
        if window and self.cursor_row <= 0 and window.pages and window.pages[0].has_before:
            self._load(PageRequest(before=window.pages[0].first_cursor, limit=self.page_size), "prepend")
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        window = self._window
        if window and window.pages and window.pages[-1].has_after and \
                self.cursor_row + self._visible_rows() >= self.row_count:
            self._load(PageRequest(after=window.pages[-1].last_cursor, limit=self.page_size), "append",
                       move=self._visible_rows())
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        window = self._window
        if window and window.pages and window.pages[0].has_before and \
                self.cursor_row - self._visible_rows() < 0:
            self._load(PageRequest(before=window.pages[0].first_cursor, limit=self.page_size), "prepend",
                       move=-self._visible_rows())
            return
        super().action_page_up()

    def action_first_page(self) -> None:
        window = self._window
        if window and window.pages and not window.pages[0].has_before:
            self.move_cursor(row=0)
            return
        self._load(PageRequest(limit=self.page_size), "replace", keep_row=0)

    def action_last_page(self) -> None:
        window = self._window
        if window and window.pages and not window.pages[-1].has_after:
            self.move_cursor(row=max(0, self.row_count - 1))
            return
        self._load(PageRequest(last=True, limit=self.page_size), "replace", keep_row=-1)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table is not self:
            return
        event.stop()
        record = self.current_record
        if record is not None:
            self.post_message(self.RecordSelected(self, record))

    # --- loading -------------------------------------------------------------------

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - (1 if self.show_header else 0))

    def _page_of_cursor(self) -> tuple[int, int]:
        row = self.cursor_row
        for index, page in enumerate(self._window.pages if self._window else []):
            if row < len(page.rows):
                return index, row
            row -= len(page.rows)
        return 0, 0

    def _load(self, request: PageRequest, mode: str, keep_row: int = 0, move: int = 1,
              anchor: tuple | None = None) -> None:
        if self.fetch is None or (self._loading and mode in ("append", "prepend")):
            return
        self._loading = True
        self._fetch_page(self.fetch, request, mode, keep_row, move, anchor)

    @work(thread=True, exclusive=True, group="record-table")
    def _fetch_page(self, fetch, request: PageRequest, mode: str, keep_row: int, move: int,
                    anchor: tuple | None) -> None:
        worker = get_current_worker()
        try:
            if anchor is not None:
                # Start again at the window's first row: read the row before it, then after that.
                before = fetch(PageRequest(before=anchor, limit=1))
                request = PageRequest(after=before.last_cursor, limit=self.page_size) if before.rows \
                    else PageRequest(limit=self.page_size)
            page = fetch(request)
        except Exception as exc:  # shown to the user; the table stays as it was
            message = str(exc) or exc.__class__.__name__
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, message)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._apply, page, request, mode, keep_row, move)

    def _failed(self, message: str) -> None:
        self._loading = False
        self.error = message
        self.app.notify(message, severity="error", markup=False)

    def _apply(self, page: Page, request: PageRequest, mode: str, keep_row: int, move: int) -> None:
        self._loading = False
        self.error = ""
        window = self._window
        if mode == "refresh" and window is not None:
            window = _Window([page], window.first_number, window.from_end)
            target = keep_row
        elif mode in ("replace", "refresh") or window is None:
            from_end = request.last and page.has_before
            window = _Window([page], 1, from_end)
            target = keep_row if keep_row >= 0 else len(page.rows) - 1
        elif mode == "append":
            if not page.rows:
                window.pages[-1].has_after = False
                return
            target = self.cursor_row + move
            window.pages.append(page)
            if window.from_end:
                window.first_number = max(1, window.first_number - len(page.rows))
            if len(window.pages) > MAX_PAGES:
                dropped = window.pages.pop(0)
                target -= len(dropped.rows)
                if not window.from_end:
                    window.first_number += len(dropped.rows)
        else:  # prepend
            if not page.rows:
                window.pages[0].has_before = False
                return
            target = self.cursor_row + len(page.rows) + (move if move < 0 else -1)
            window.pages.insert(0, page)
            if not window.from_end:
                window.first_number = max(1, window.first_number - len(page.rows))
            if len(window.pages) > MAX_PAGES:
                dropped = window.pages.pop()
                if window.from_end:
                    window.first_number += len(dropped.rows)
        if window.from_end and not window.pages[0].has_before:
            window.from_end = False
            window.first_number = 1
        self._window = window
        self._show(window, target)
        self.post_message(self.Loaded(self))

    def _show(self, window: _Window, target_row: int) -> None:
        self.clear()
        for row_index, record in enumerate(window.rows):
            self.add_row(*(cell(spec.value(record)) for spec in self.specs), key=str(row_index))
        if self.row_count:
            self.move_cursor(row=max(0, min(target_row, self.row_count - 1)), animate=False)
        self.position = self._describe(window)

    def _describe(self, window: _Window) -> str:
        count = len(window.rows)
        if count == 0:
            return _("No records")
        if window.from_end:
            # first_number counts rows from the end for the *last* row of the window.
            last_from_end = window.first_number
            first_from_end = last_from_end + count - 1
            if last_from_end == 1:
                return _("last {count} rows").format(count=count)
            return _("rows {first}–{last} from the end").format(first=last_from_end, last=first_from_end)
        first = window.first_number
        return _("rows {first}–{last}").format(first=first, last=first + count - 1)

    def watch_position(self, value: str) -> None:
        self.border_subtitle = value
