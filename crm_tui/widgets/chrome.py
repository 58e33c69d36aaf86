"""What frames every screen: the status line at the top and the translated footer."""
from __future__ import annotations

from typing import NamedTuple

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from crm_tui.i18n import _
from crm_tui.widgets.safe import clean_display, plain, plain_parts


SEPARATOR = " │ "
DATABASE_PART = 2  # the database's path: the first part to give up room
SHORTEST_PATH = 12
# Which part gives up room first when the line is too long: the path, then who (the
# login alone), then "CRM". The date and the screen's title keep theirs.
GIVING_ORDER = (DATABASE_PART, 1, 0)


def _path_tail(path: str, keep: int) -> str:
    return path if len(path) <= keep else "…" + path[-(keep - 1):]


def fitted(parts: list[tuple[str, ...]], width: int) -> str:
    """The parts (each its longest form first, then shorter ones) joined on one line: a
    long line gives up room from the database's path (keeping its end, the file's name),
    then from the names, so the screen's title stays in view."""
    chosen = [forms[0] for forms in parts]

    def line() -> str:
        return SEPARATOR.join(part for part in chosen if part)

    for index in GIVING_ORDER:
        if len(line()) <= width or index >= len(parts):
            continue
        if index == DATABASE_PART:
            excess = len(line()) - width
            chosen[index] = _path_tail(chosen[index], max(len(chosen[index]) - excess, SHORTEST_PATH))
        else:
            chosen[index] = parts[index][-1]
    return line()


class StatusLine(Static):
    """One line: the CRM, who is using it, which database, today's date.

    The app provides the parts through `status_line_parts()`; a screen may add its title.
    """

    DEFAULT_CSS = """
    StatusLine { dock: top; height: 1; width: 100%; }
    """

    def __init__(self, title: str = "", *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.title_text = title
        self._shown = None
        # Filled now (screens are composed inside the running app), so that the screen's
        # first frame already shows it: a text set on mount waits for the next frame.
        self.refresh_text()

    def on_resize(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        try:
            app = self.app
        except Exception:  # noqa: BLE001 - made outside an app (Textual's NoActiveAppError)
            app = None
        provider = getattr(app, "status_line_parts", None)
        parts = list(provider()) if callable(provider) else [("CRM",)]
        if self.title_text:
            parts.append((self.title_text,))
        # Before its first layout the line has no size yet: the screen's width is the terminal's.
        width = self.size.width or (app.size.width if app is not None else 80)
        clean = [tuple(clean_display(form, one_line=True) for form in forms) for forms in parts]
        line = fitted(clean, width)
        if line != self._shown:  # an update lays the whole screen out again
            self._shown = line
            self.update(plain(line, one_line=True))


class FooterKey(NamedTuple):
    key: str  # as the binding spells it: what a click presses
    display: str  # as the user reads it ("^p", "f8")
    description: str  # translated
    enabled: bool
    tooltip: str = ""


class CrmFooter(Widget, can_focus=False):
    """The screen's keys, each described in the user's language; a click on one presses
    it, a disabled one is dimmed (and rings the bell when clicked).

    Every key the screen shows goes in: when one line cannot hold them, the footer grows
    to two lines (or more), so that at 80 columns no key is left out of view.

    One widget drawing its lines, where Textual's Footer makes a widget per key: every
    screen, the home screen's first frame included, is faster to build and style.
    """

    DEFAULT_CSS = """
    CrmFooter { dock: bottom; height: auto; max-height: 4; text-wrap: nowrap; text-overflow: ellipsis;
                color: $footer-foreground; background: $footer-background; }
    """
    ALLOW_SELECT = False

    def __init__(self, show_command_palette: bool = True) -> None:
        # A screen whose own keys fill the line may leave Ctrl+P out (it works all the same).
        super().__init__()
        self.show_command_palette = show_command_palette
        # (row, start, end, key): [start, end) columns of each key on its row
        self.spans: list[tuple[int, int, int, FooterKey]] = []
        self._drawn: tuple | None = None
        self._rows = 1

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        # Textual signals on every focus move; draw again only when the keys shown change.
        if self.is_attached and screen is self.screen and self.keys() != self._drawn:
            self.refresh(layout=self._row_count(self.size.width) != self._rows)

    def keys(self) -> tuple[tuple[FooterKey, ...], FooterKey | None]:
        """The keys of the footer (one per action, in the screen's order) and the palette's."""
        app = self.app
        active = self.screen.active_bindings
        shown: dict[str, FooterKey] = {}
        # The screen's own keys first, the CRM-wide ones (the app's) after them.
        ordered = sorted(active.values(), key=lambda active_binding: active_binding[0] is app)
        for _node, binding, enabled, tooltip in ordered:
            if binding.show and binding.action not in shown:
                shown[binding.action] = self._footer_key(binding, enabled, tooltip)
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = self._footer_key(binding, enabled, binding.tooltip or tooltip)
        return tuple(shown.values()), palette

    def _footer_key(self, binding, enabled: bool, tooltip: str) -> FooterKey:
        return FooterKey(binding.key, self.app.get_key_display(binding),
                         clean_display(_(binding.description), one_line=True), enabled,
                         _(tooltip) if tooltip else "")

    @property
    def line_width(self) -> int:
        """The cells the widest row of keys needs (the palette's key included)."""
        keys, palette = self.keys()
        rows = self._layout(keys, palette, self.size.width or self.app.size.width)
        return max((self._row_width(row) for row in rows), default=0)

    @property
    def text(self) -> str:
        """What the footer reads, its rows joined by line breaks."""
        return self.render().plain

    def get_content_height(self, container, viewport, width: int) -> int:
        return self._row_count(width)

    def _row_count(self, width: int) -> int:
        keys, palette = self.keys()
        return max(len(self._layout(keys, palette, width or self.app.size.width)), 1)

    def render(self) -> Content:
        keys, palette = self.keys()
        self._drawn = (keys, palette)
        rows = self._layout(keys, palette, self.size.width or self.app.size.width)
        self._rows = max(len(rows), 1)
        return self._draw(rows, palette, self.size.width)

    @staticmethod
    def _text_of(key: FooterKey) -> str:
        return f"{key.display} {key.description}" if key.description else key.display

    def _row_width(self, row: list[FooterKey]) -> int:
        return sum(len(self._text_of(key)) for key in row) + max(len(row) - 1, 0)

    def _layout(self, keys: tuple[FooterKey, ...], palette: FooterKey | None,
                width: int) -> list[list[FooterKey]]:
        """The keys in rows of at most `width` cells, in order; the palette's key ends the
        last row (after a gap and a bar), or makes a row of its own when it has no room."""
        rows: list[list[FooterKey]] = [[]]
        for key in keys:
            row = rows[-1]
            if row and self._row_width(row) + 1 + len(self._text_of(key)) > width:
                rows.append([])
            rows[-1].append(key)
        if palette is not None:
            if rows[-1] and self._row_width(rows[-1]) + 2 + len(self._text_of(palette)) > width:
                if len(rows) > 1:  # a row of its own would take one from the screen: F1 lists it
                    return rows
                rows.append([])
            rows[-1].append(palette)
        return [row for row in rows if row]

    def _draw(self, rows: list[list[FooterKey]], palette: FooterKey | None, width: int) -> Content:
        parts: list = []
        spans: list[tuple[int, int, int, FooterKey]] = []
        for number, row in enumerate(rows):
            if number:
                parts.append("\n")
            column = 0
            for key in row:
                if key is palette:
                    palette_text = self._text_of(palette)
                    gap = max(width - column - len(palette_text) - 1, 1)
                    parts.append(" " * gap + "│")
                    column += gap + 1
                elif column:
                    parts.append(" ")
                    column += 1
                column = self._add_key(parts, spans, key, number, column)
        self.spans = spans
        return plain_parts(*parts)

    def _add_key(self, parts: list, spans: list, key: FooterKey, row: int, column: int) -> int:
        dim = "" if key.enabled else " dim"
        text = self._text_of(key)
        parts.append((key.display, "bold $footer-key-foreground" + dim))
        if key.description:
            parts.append((" " + key.description, "dim" if dim else ""))
        spans.append((row, column, column + len(text), key))
        return column + len(text)

    def key_at(self, column: int, row: int = 0) -> FooterKey | None:
        for key_row, start, end, key in self.spans:
            if key_row == row and start <= column < end:
                return key
        return None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        offset = event.get_content_offset(self)
        key = self.key_at(offset.x, offset.y) if offset is not None else None
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        offset = event.get_content_offset(self)
        key = self.key_at(offset.x, offset.y) if offset is not None else None
        self.tooltip = plain(key.tooltip) if key is not None and key.tooltip else None
