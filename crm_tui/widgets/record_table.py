"""A table that reads a list one page at a time, however long the list is.

The table never holds more than MAX_PAGES pages: moving down past the last row reads
the next page after the last cursor, moving up past the first reads the page before
the first cursor, Home reads the first page and End the last one. Opening a list of a
million rows costs the same as opening one of ten.

Left and Right (← →) choose a column (its header is shown reversed); `s` sorts the list by it
(an arrow in its header, ▲ ascending, ▼ descending; `s` again reverses), as does a click
on a header. The table only says which order it wants (SortChanged): the list reads its
pages in that order from the service, which pages it on an index.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, NamedTuple, Sequence, TypeVar

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from rich.text import Text
from textual.worker import get_current_worker

from crm_tui.i18n import N_, _, ngettext
from crm_tui.services.base import FIRST_PAGE, Page, PageRequest
from crm_tui.services.failures import user_message
from crm_tui.widgets.line_table import LineTable
from crm_tui.widgets.safe import cell, clean_display, plain

R = TypeVar("R")
MAX_PAGES = 3
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500  # what one request may ask for (services clamp to it)


class ColumnSpec(NamedTuple):
    """One column of a RecordTable: its N_() label and how to read it from a record."""

    label: str
    value: Callable[[Any], Any]
    width: int | None = None
    grow: bool = False  # takes a share of the room a wide terminal leaves over
    # The largest value the column may show (a key or number: read from a counter or a
    # MAX over an index, never from the rows): the column is at least that wide.
    widest: Callable[[], Any] | None = None
    # The order the list's service reads by when the user sorts on this column (None: the
    # column does not sort, as no index serves it).
    sort: str | None = None
    # The parts of the value to highlight (offsets, as the words a search found), if any.
    highlights: Callable[[Any], Sequence[tuple[int, int]]] | None = None


class Sort(NamedTuple):
    """The order a list is read in: one of the service's order names, and its direction."""

    order: str
    descending: bool = False

    def reversed(self) -> "Sort":
        return self._replace(descending=not self.descending)


SORT_HELP = N_("Sort: ← → a column, s sorts or reverses")
ASCENDING_ARROW = "▲"
DESCENDING_ARROW = "▼"


def row_text(specs: list[ColumnSpec], record: Any) -> str:
    """A record as the table shows it, one cell after another, separated by tabs (as a
    spreadsheet pastes it); no control character reaches the clipboard."""
    return "\t".join(clean_display("" if value is None else value, one_line=True).replace("\t", " ")
                      for value in (spec.value(record) for spec in specs))


class _Place(NamedTuple):
    """Where the user is before a refresh: the record under the cursor, its row, the scroll."""

    record_id: Any
    row: int
    scroll_y: float
    end_in_view: bool  # the last row of the whole list was on screen
    follow: bool = False  # if the record moved out of the rows read, read the rows around it


@dataclass
class _Window:
    """The pages on screen, and where the first of them sits in the whole list."""

    pages: list[Page]
    first_number: int  # 1-based number of the first row (counted from the anchor)
    from_end: bool  # True when numbers count back from the end of the list

    @property
    def rows(self) -> list:
        return [row for page in self.pages for row in page.rows]


class RecordTable(LineTable, Generic[R]):
    """A table fed by `fetch(PageRequest) -> Page`; posts RecordSelected on Enter."""

    BINDINGS = [
        # Bindings that share a description share a line of F1's help: at 80x24 every key
        # of a list fits in it.
        Binding("home,g", "first_page", N_("First rows of the list"), show=False, id="list_first",
                tooltip=N_("First / last rows of the list")),
        Binding("end,G", "last_page", N_("Last rows of the list"), show=False, id="list_last",
                tooltip=N_("First / last rows of the list")),
        Binding("j", "cursor_down", N_("Next row"), show=False, id="list_next_row",
                tooltip=N_("Next / previous row (as the arrows)")),
        Binding("k", "cursor_up", N_("Previous row"), show=False, id="list_previous_row",
                tooltip=N_("Next / previous row (as the arrows)")),
        Binding("left", "previous_column", N_("Previous column"), show=False, id="list_previous_column",
                tooltip=SORT_HELP),
        Binding("right", "next_column", N_("Next column"), show=False, id="list_next_column",
                tooltip=SORT_HELP),
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

    class SortChanged(Message):
        """The user asked for the list in another order (`s` on a column, or a header click)."""

        def __init__(self, table: "RecordTable", sort: Sort) -> None:
            super().__init__()
            self.table = table
            self.sort = sort

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
                 page_size: int = PAGE_SIZE, *, id: str | None = None, classes: str | None = None,
                 identity: Callable[[Any], Any] | None = None, sort: Sort | None = None,
                 read_on_mount: bool = True, first_page_now: bool = False) -> None:
        super().__init__(id=id, classes=classes)
        self.specs = columns
        self.read_on_mount = read_on_mount  # False: the screen calls reload() when it wants the rows
        # True: the first page is read on mount, in this thread, so that the screen's first
        # frame already shows its rows. For a list read on an index: a page is a few
        # milliseconds, where a read in a thread costs the frames of an empty table first.
        self.first_page_now = first_page_now
        self.sort = sort
        self.chosen_column = 0
        self._identity = identity or (lambda record: getattr(record, "id", None))
        self.fetch = fetch
        self.page_size = page_size
        self._window: _Window | None = None
        self._loading = False
        self.error: str = ""
        self._base_widths: list[int | None] = [self._room_for_label(spec) for spec in columns]
        self._widths: list[int | None] = list(self._base_widths)

    # --- public --------------------------------------------------------------------

    def on_mount(self) -> None:
        self._add_columns()
        if self.fetch is not None and self.read_on_mount:
            if not (self.first_page_now and self.show_first_page()):
                self.reload()

    @staticmethod
    def _room_for_label(spec: ColumnSpec) -> int | None:
        """A sortable column is wide enough for its label and the arrow of the order."""
        if spec.width is None or spec.sort is None:
            return spec.width
        return max(spec.width, len(_(spec.label)) + 2)

    def _add_columns(self) -> None:
        headers = [self._header(index) for index in range(len(self.specs))]
        self.set_columns(headers, [width or 0 for width in self._widths])

    def _header(self, index: int) -> Text:
        spec = self.specs[index]
        label = cell(_(spec.label))
        if self.sort is not None and spec.sort == self.sort.order:
            label.append(" " + (DESCENDING_ARROW if self.sort.descending else ASCENDING_ARROW))
        if index == self.chosen_column and self.sortable:
            label.stylize("reverse")
        return label

    def _refresh_headers(self) -> None:
        """The order's arrow, the chosen column."""
        self.set_headers([self._header(index) for index in range(len(self.specs))])

    # --- sorting -------------------------------------------------------------------

    def action_previous_column(self) -> None:
        self._choose_column(self.chosen_column - 1)

    def action_next_column(self) -> None:
        self._choose_column(self.chosen_column + 1)

    def _choose_column(self, index: int) -> None:
        self.chosen_column = max(0, min(index, len(self.specs) - 1))
        self._refresh_headers()
        self.scroll_to_region(self.column_region(self.chosen_column), animate=False, force=True)

    def sort_by_column(self, index: int | None = None) -> bool:
        """Sort by the chosen column (or column `index`): ascending, or reversed when the
        list is already in its order. False when that column does not sort."""
        if index is not None:
            self.chosen_column = index
        order = self.specs[self.chosen_column].sort
        if order is None:
            self._refresh_headers()
            return False
        if self.sort is not None and self.sort.order == order:
            self.sort = self.sort.reversed()
        else:
            self.sort = Sort(order)
        self._refresh_headers()
        self.post_message(self.SortChanged(self, self.sort))
        return True

    @property
    def sortable(self) -> bool:
        return any(spec.sort is not None for spec in self.specs)

    def on_line_table_header_selected(self, event: LineTable.HeaderSelected) -> None:
        if event.table is not self:
            return
        event.stop()
        if not self.sort_by_column(event.column_index):
            self.app.notify(_("The list does not sort by this column."), markup=False)

    def current_row_text(self) -> str | None:
        """The selected row as tab-separated text, as the table shows it."""
        record = self.current_record
        return None if record is None else row_text(self.specs, record)

    def on_resize(self) -> None:
        """On a wide terminal the growing columns share the room left over, so names are
        not cut while the right half of the table stays empty."""
        self._refit_columns()

    def _refit_columns(self) -> None:
        widths = self._fitted_widths()
        if widths == self._widths:
            return
        self._widths = widths
        self._add_columns()

    def _fitted_widths(self) -> list[int | None]:
        widths = list(self._base_widths)
        growing = [index for index, spec in enumerate(self.specs) if spec.grow and spec.width]
        if not growing or any(width is None for width in widths):
            return widths
        # The vertical scrollbar's room is kept even before the rows need it.
        room = self.content_region.width - self.styles.scrollbar_size_vertical
        spare = room - sum(widths) - 2 * self.cell_padding * len(widths)
        if spare <= 0:
            return widths
        growing_total = sum(widths[index] for index in growing)
        shares = {index: spare * widths[index] // growing_total for index in growing}
        shares[growing[0]] += spare - sum(shares.values())
        return [width + shares.get(index, 0) for index, width in enumerate(widths)]

    def set_fetch(self, fetch: Callable[[PageRequest], Page]) -> None:
        self.fetch = fetch
        self.reload()

    def show_first_page(self, limit: int | None = None) -> bool:
        """Read the first page (`limit` rows, the page size unless told) here, in the
        screen's thread, and show it: the next frame shows the rows. False when the read
        failed: a read in the worker then tells the user why."""
        request = PageRequest(limit=limit or self.page_size)
        try:
            page = self.fetch(request)
        except Exception:  # noqa: BLE001 - read again in the worker, which tells the user
            return False
        self.show_page(page, request)
        return True

    def reload(self, keep_position: bool = False, follow: bool = False) -> None:
        """Read the list again: from the first page or, with keep_position, the rows the
        table shows now (with what others added or changed), the cursor on the same
        record and that record on the same line of the screen. With follow, a record
        that moved elsewhere in the list (renamed, say) is followed there."""
        window = self._window
        if not keep_position or not window or not window.pages:
            self._load(PageRequest(limit=self.page_size), "replace", keep_row=0)
            return
        span = min(max(self.page_size, len(window.rows)), MAX_PAGE_SIZE)
        end_in_view = not window.pages[-1].has_after and self.scroll_y >= self.max_scroll_y
        place = _Place(self._identity(self.current_record), self.cursor_row, self.scroll_y, end_in_view,
                       follow)
        if not window.pages[-1].has_after:  # the end is in view: new rows at the end appear
            self._load(PageRequest(last=True, limit=span), "refresh", place=place)
        elif window.pages[0].has_before:
            self._load(PageRequest(limit=span), "refresh", place=place, anchor=window.pages[0].first_cursor)
        else:
            self._load(PageRequest(limit=span), "refresh", place=place)

    def show_page(self, page: Page, request: PageRequest) -> None:
        """Show a page already read for `request` (the home screen reads its first one
        before its first frame, so that frame shows the rows)."""
        self._widen_for(self._widest_values())
        self._apply(page, request, "replace", 0, 1)

    def show_record(self, record_id: Any) -> None:
        """Read the rows around the record `record_id` and put the cursor on it, wherever
        it is in the list (as after adding it)."""
        self._load(PageRequest(around=record_id, limit=self.page_size * 2), "around",
                   place=_Place(record_id, 0, 0.0, False))

    @property
    def is_reading(self) -> bool:
        """A page is being read (the table is about to change)."""
        return self._loading

    @property
    def records(self) -> list:
        return self._window.rows if self._window else []

    @property
    def has_more_after(self) -> bool:
        """Rows follow the last one read."""
        return bool(self._window and self._window.pages and self._window.pages[-1].has_after)

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
                self.cursor_row + self.visible_row_count() >= self.row_count:
            self._load(PageRequest(after=window.pages[-1].last_cursor, limit=self.page_size), "append",
                       move=self.visible_row_count())
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        window = self._window
        if window and window.pages and window.pages[0].has_before and \
                self.cursor_row - self.visible_row_count() < 0:
            self._load(PageRequest(before=window.pages[0].first_cursor, limit=self.page_size), "prepend",
                       move=-self.visible_row_count())
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

    def on_line_table_row_selected(self, event: LineTable.RowSelected) -> None:
        if event.table is not self:
            return
        event.stop()
        record = self.current_record
        if record is not None:
            self.post_message(self.RecordSelected(self, record))

    # --- loading -------------------------------------------------------------------

    def _page_of_cursor(self) -> tuple[int, int]:
        row = self.cursor_row
        for index, page in enumerate(self._window.pages if self._window else []):
            if row < len(page.rows):
                return index, row
            row -= len(page.rows)
        return 0, 0

    def _load(self, request: PageRequest, mode: str, keep_row: int = 0, move: int = 1,
              anchor: tuple | None = None, place: _Place | None = None) -> None:
        if self.fetch is None or (self._loading and mode in ("append", "prepend")):
            return
        self._loading = True
        self._fetch_page(self.fetch, request, mode, keep_row, move, anchor, place)

    @work(thread=True, exclusive=True, group="record-table")
    def _fetch_page(self, fetch, request: PageRequest, mode: str, keep_row: int, move: int,
                    anchor: tuple | None, place: _Place | None) -> None:
        worker = get_current_worker()
        try:
            if anchor is not None:
                # Start again at the window's first row: read the row before it, then after that.
                before = fetch(PageRequest(before=anchor, limit=1))
                request = PageRequest(after=before.last_cursor, limit=request.limit) if before.rows \
                    else PageRequest(limit=request.limit)
            page = fetch(request)
            widest = self._widest_values() if mode in ("replace", "refresh", "around") else None
        except Exception as exc:  # shown to the user; the table stays as it was
            message = user_message(exc)
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, message)
            return
        if not worker.is_cancelled:
            if widest is not None:
                self.app.call_from_thread(self._widen_for, widest)
            self.app.call_from_thread(self._apply, page, request, mode, keep_row, move, place)

    def _widest_values(self) -> dict[int, int]:
        """Width of the largest value of each column that can say so (runs with the read)."""
        return {index: len(str(spec.widest())) for index, spec in enumerate(self.specs)
                if spec.widest is not None}

    def _widen_for(self, widest: dict[int, int]) -> None:
        base = [max(self._room_for_label(spec), widest[index]) if index in widest and spec.width
                else self._room_for_label(spec) for index, spec in enumerate(self.specs)]
        if base != self._base_widths:
            self._base_widths = base
            self._refit_columns()

    def _failed(self, message: str) -> None:
        self._loading = False
        self.error = message
        self.app.notify(message, severity="error", markup=False)

    def _apply(self, page: Page, request: PageRequest, mode: str, keep_row: int, move: int,
               place: _Place | None = None) -> None:
        self._loading = False
        self.error = ""
        window = self._window
        if mode == "around" and place is not None:
            self._apply_around(page, place.record_id)
            return
        if mode == "refresh" and window is not None and place is not None:
            self._apply_refresh(page, request, window, place)
            return
        if mode in ("replace", "refresh") or window is None:
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

    def _apply_refresh(self, page: Page, request: PageRequest, old: _Window, place: _Place) -> None:
        if request.last:
            window = _Window(self._split(page), 1, page.has_before)
        else:
            window = _Window(self._split(page), old.first_number, old.from_end)
        rows = window.rows
        target = next((index for index, record in enumerate(rows)
                       if place.record_id is not None and self._identity(record) == place.record_id), None)
        if target is None and place.follow and place.record_id is not None:
            self.show_record(place.record_id)
            return
        if target is None:  # the record is gone (deleted, or no longer matches): same line
            target = min(place.row, max(0, len(rows) - 1))
        if window.from_end and not window.pages[0].has_before:
            window.from_end = False
            window.first_number = 1
        self._window = window
        self._show(window, target)
        # The record stays on the line of the screen where it was; when the end of the list
        # was in view, rows added at the end come into view too (the cursor's row stays in view).
        scroll_y = max(0.0, place.scroll_y + target - place.row)
        self.call_after_refresh(self._restore_scroll, scroll_y, target if place.end_in_view else None)
        self.post_message(self.Loaded(self))

    def _apply_around(self, page: Page, record_id: Any) -> None:
        if page.offset is not None:
            window = _Window(self._split(page), page.offset + 1, False)
        else:  # the rows reach the end of the list: they are numbered from there
            window = _Window(self._split(page), 1, page.has_before)
        target = next((index for index, record in enumerate(window.rows)
                       if self._identity(record) == record_id), 0)
        self._window = window
        self._show(window, target)
        self.post_message(self.Loaded(self))

    def _restore_scroll(self, scroll_y: float, follow_end_up_to_row: int | None) -> None:
        if follow_end_up_to_row is not None:
            scroll_y = max(scroll_y, min(self.max_scroll_y, follow_end_up_to_row))
        self.scroll_to(y=scroll_y, animate=False, immediate=True)

    def _split(self, page: Page) -> list[Page]:
        """A long page (a refresh reads every row in view at once) as pages of page_size."""
        size = self.page_size
        if len(page.rows) <= size:
            return [page]
        pieces = []
        for start in range(0, len(page.rows), size):
            end = start + size
            pieces.append(Page(page.rows[start:end], page.cursors[start:end],
                               has_before=start > 0 or page.has_before,
                               has_after=end < len(page.rows) or page.has_after))
        return pieces

    def _show(self, window: _Window, target_row: int) -> None:
        rows = window.rows
        if None in self._widths:
            self._size_unsized_columns(rows)
        self.set_rows(rows, self._cells, target_row)
        self.scroll_cursor_into_view()
        self.position = self._describe(window)

    def _cells(self, record: Any) -> list[Text]:
        return [cell(spec.value(record), spec.highlights(record) if spec.highlights else ())
                for spec in self.specs]

    def _size_unsized_columns(self, rows: list) -> None:
        """A column declared without a width is as wide as its label and the values read."""
        widths = [width if width is not None else
                  max([len(_(spec.label))] + [len(clean_display(spec.value(record), one_line=True)) for record in rows])
                  for spec, width in zip(self.specs, self._widths)]
        self.set_columns([self._header(index) for index in range(len(self.specs))], widths)

    def _describe(self, window: _Window) -> str:
        count = len(window.rows)
        if count == 0:
            return _("No records")
        if window.from_end:
            # first_number counts rows from the end for the *last* row of the window.
            last_from_end = window.first_number
            first_from_end = last_from_end + count - 1
            if last_from_end == 1:
                return ngettext("the last row", "last {count} rows", count).format(count=count)
            return _("rows {first}–{last} from the end").format(first=last_from_end, last=first_from_end)
        first = window.first_number
        if count == 1:
            return _("row {number}").format(number=first)
        return _("rows {first}–{last}").format(first=first, last=first + count - 1)

    def watch_position(self, value: str) -> None:
        self.border_subtitle = plain(value, one_line=True)
