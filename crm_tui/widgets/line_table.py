"""A table drawn a line at a time: only the rows in view are ever laid out.

Textual's DataTable measures and renders every cell it is given, through several caches,
before its first frame: about a million instructions a cell, which the home screen, a
catalog's End and an order query paid on every page they showed. This table keeps the
records it is given and turns one into a line of text only when that line is drawn, with
the widths it was given (the list sizes its columns from its specs and largest values,
never from the rows).

It has what the lists use of a data table: a header (a click on it posts HeaderSelected),
a row cursor (arrows, Page Up/Down, Enter or a click on the cursor's row, or a double
click, post RowSelected; every move posts RowHighlighted), zebra stripes, and scrolling in
both directions.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

CELL_PADDING = 1  # blank columns each side of a cell
MAX_STRIPS_KEPT = 1_000  # lines kept drawn (a page of 500 rows, with and without the cursor)


class LineTable(ScrollView, can_focus=True):
    """Rows of records, each turned into cells by `cells_of(record)` when it is drawn."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header", "line-table--cursor", "line-table--even-row", "line-table--odd-row",
    }

    # The look of Textual's DataTable, so that every list looks as it did.
    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .line-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .line-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--odd-row {
        }
        & > .line-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    # No ids: these are the standard keys of any list, not the CRM's own actions (F1's help
    # lists only those).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    show_header = True
    header_height = 1
    cell_padding = CELL_PADDING

    class RowHighlighted(Message):
        """The cursor moved to another row, or the rows under it changed."""

        def __init__(self, table: "LineTable", cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row

        @property
        def control(self) -> "LineTable":
            return self.table

    class RowSelected(Message):
        """Enter on a row, a click on the cursor's row, or a double click."""

        def __init__(self, table: "LineTable", cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row

        @property
        def control(self) -> "LineTable":
            return self.table

    class HeaderSelected(Message):
        """A click on a column's header."""

        def __init__(self, table: "LineTable", column_index: int) -> None:
            super().__init__()
            self.table = table
            self.column_index = column_index

        @property
        def control(self) -> "LineTable":
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._headers: list[Text] = []
        self._column_widths: list[int] = []
        self._records: Sequence[Any] = ()
        self._cells_of: Callable[[Any], list[Text]] = lambda record: []
        self._lines: dict[int, list[Segment]] = {}  # row -> its cells as segments, unstyled
        self._header_line: list[Segment] | None = None
        # Lines drawn (header, or row and whether the cursor is on it), with the styles,
        # width and sideways scroll they were drawn with.
        self._strips: dict[Any, Strip] = {}
        self._drawn_with: tuple | None = None
        self._styles: dict[str, Style] = {}
        self._width = 0
        self.cursor_row = 0

    # --- what is shown -----------------------------------------------------------------

    def set_columns(self, headers: list[Text], widths: list[int]) -> None:
        """The columns' headers and widths (cells are cut or padded to them)."""
        if widths != self._column_widths:
            self._lines.clear()
            self._strips.clear()
        self._headers, self._column_widths = headers, list(widths)
        self._header_line = None
        self._strips.pop("header", None)
        self._update_virtual_size()
        self.refresh()

    def set_headers(self, headers: list[Text]) -> None:
        self._headers = headers
        self._header_line = None
        self._strips.pop("header", None)
        self.refresh()

    def set_rows(self, records: Sequence[Any], cells_of: Callable[[Any], list[Text]], cursor_row: int) -> None:
        """Show `records`, the cursor on `cursor_row`; nothing is laid out until drawn."""
        self._records, self._cells_of = records, cells_of
        self._lines.clear()
        self._strips.clear()
        self._update_virtual_size()
        self.cursor_row = max(0, min(cursor_row, len(records) - 1))
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.cursor_row))

    @property
    def row_count(self) -> int:
        return len(self._records)

    @property
    def headers(self) -> list[Text]:
        return list(self._headers)

    @property
    def column_widths(self) -> list[int]:
        return list(self._column_widths)

    def get_row_at(self, row: int) -> list[Text]:
        """The cells of row `row` as the table shows them (before they are cut to width)."""
        return self._cells_of(self._records[row])

    def column_region(self, index: int) -> Region:
        """Where column `index` lies in the table's whole (virtual) width."""
        widths = [width + 2 * self.cell_padding for width in self._column_widths]
        return Region(sum(widths[:index]), 0, widths[index] if index < len(widths) else 0, 1)

    def _update_virtual_size(self) -> None:
        width = sum(width + 2 * self.cell_padding for width in self._column_widths)
        self.virtual_size = Size(width, len(self._records) + self.header_height)

    # --- the cursor --------------------------------------------------------------------

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        count = len(self._records)
        row = max(0, min(row, count - 1)) if count else 0
        moved = row != self.cursor_row
        if moved:
            self._refresh_row(self.cursor_row)
            self.cursor_row = row
            self._refresh_row(row)
        if scroll:
            self.scroll_cursor_into_view()
        if moved:
            self.post_message(self.RowHighlighted(self, row))

    def visible_row_count(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_height)

    def scroll_cursor_into_view(self) -> None:
        """Scroll the least that puts the cursor's row in view (the header stays on top)."""
        top, visible = int(self.scroll_y), self.visible_row_count()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, force=True, immediate=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self.visible_row_count())

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self.visible_row_count())

    def action_select_cursor(self) -> None:
        if self._records:
            self.post_message(self.RowSelected(self, self.cursor_row))

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset.x + int(self.scroll_x), offset.y
        if y < self.header_height:
            column = self._column_at(x)
            if column is not None:
                self.post_message(self.HeaderSelected(self, column))
            return
        row = y - self.header_height + int(self.scroll_y)
        if not 0 <= row < len(self._records):
            return
        event.stop()
        if row == self.cursor_row or event.chain >= 2:
            self.move_cursor(row=row)
            self.post_message(self.RowSelected(self, row))
        else:
            self.move_cursor(row=row)

    def _column_at(self, x: int) -> int | None:
        left = 0
        for index, width in enumerate(self._column_widths):
            left += width + 2 * self.cell_padding
            if x < left:
                return index
        return None

    # --- drawing -----------------------------------------------------------------------

    def _refresh_row(self, row: int) -> None:
        self.refresh_lines(row + self.header_height)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The styles of the parts and the width, read once a frame (they follow focus, the
        # theme and the terminal); lines already drawn with them are drawn again as they were.
        try:
            styles = {name: self.get_component_styles(name).rich_style for name in self.COMPONENT_CLASSES}
        except KeyError:  # a table drawn as its screen leaves has lost its styles: plain lines
            styles = dict.fromkeys(self.COMPONENT_CLASSES, Style())
        styles["base"] = self.rich_style
        drawn_with = (styles, self.scrollable_content_region.width, int(self.scroll_x))
        if drawn_with != self._drawn_with:
            self._drawn_with, self._styles, self._width = drawn_with, styles, drawn_with[1]
            self._strips.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        if y < self.header_height:
            return self._strip("header", lambda: self._cropped(
                self._header_segments(), self._styles["base"] + self._styles["line-table--header"]))
        row = y - self.header_height + int(self.scroll_y)
        if row >= len(self._records):
            return Strip.blank(self._width, self._styles["base"])
        return self._strip((row, row == self.cursor_row), lambda: self._cropped(
            self._row_segments(row), self._row_style(row)))

    def _strip(self, key: Any, draw: Callable[[], Strip]) -> Strip:
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > MAX_STRIPS_KEPT:
                self._strips.clear()
            strip = self._strips[key] = draw()
        return strip

    def _row_style(self, row: int) -> Style:
        style = self._styles["base"] + self._styles["line-table--odd-row" if row % 2 else "line-table--even-row"]
        if row == self.cursor_row:
            style += self._styles["line-table--cursor"]
        return style

    def _cropped(self, segments: list[Segment], style: Style) -> Strip:
        scroll_x, width = int(self.scroll_x), self._width
        strip = Strip(segments).apply_style(style)
        if scroll_x:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.adjust_cell_length(width, style)

    def _header_segments(self) -> list[Segment]:
        if self._header_line is None:
            self._header_line = self._line_of(self._headers)
        return self._header_line

    def _row_segments(self, row: int) -> list[Segment]:
        segments = self._lines.get(row)
        if segments is None:
            segments = self._lines[row] = self._line_of(self._cells_of(self._records[row]))
        return segments

    def _line_of(self, cells: list[Text]) -> list[Segment]:
        """Cells cut (with an ellipsis) or padded to their columns, side by side."""
        pad = " " * self.cell_padding
        segments: list[Segment] = []
        plain = ""  # the unstyled text since the last styled cell: one segment
        for text, width in zip(cells, self._column_widths):
            if not text.spans and not text.style:
                plain += pad + _fitted(text.plain, width) + pad
                continue
            text = text.copy()  # the parts found by a search: rich lays out their styles
            text.truncate(width, overflow="ellipsis", pad=True)
            segments.append(Segment(plain + pad))
            segments.extend(text.render(self.app.console))
            plain = pad
        segments.append(Segment(plain))
        return segments


def _fitted(text: str, width: int) -> str:
    """`text` padded to `width` cells, or cut to them with an ellipsis (as rich cuts a cell)."""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    return set_cell_size(text, width - 1) + "…" if width > 0 else ""
