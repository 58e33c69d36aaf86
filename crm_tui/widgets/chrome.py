"""What frames every screen: the status line at the top and the translated footer."""
from __future__ import annotations

from textual._context import NoActiveAppError
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from crm_tui.i18n import _
from crm_tui.widgets.safe import clean_display, plain


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
        # Filled now (screens are composed inside the running app), so that the screen's
        # first frame already shows it: a text set on mount waits for the next frame.
        self.refresh_text()

    def on_resize(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        try:
            app = self.app
        except NoActiveAppError:  # made outside an app
            app = None
        provider = getattr(app, "status_line_parts", None)
        parts = list(provider()) if callable(provider) else [("CRM",)]
        if self.title_text:
            parts.append((self.title_text,))
        # Before its first layout the line has no size yet: the screen's width is the terminal's.
        width = self.size.width or (app.size.width if app is not None else 80)
        clean = [tuple(clean_display(form, one_line=True) for form in forms) for forms in parts]
        self.update(plain(fitted(clean, width), one_line=True))


class CrmFooter(Footer):
    """The footer, with every binding description in the user's language."""

    def __init__(self, show_command_palette: bool = True) -> None:
        # A screen whose own keys fill the line may leave Ctrl+P out (it works all the same).
        super().__init__(compact=True, show_command_palette=show_command_palette)
        self._shown_bindings: tuple | None = None
        # Textual's Footer shows its keys only from the refresh after the screen's first
        # bindings update; composed with the screen, they are in its first frame.
        self.set_reactive(Footer._bindings_ready, True)

    @staticmethod
    def _keys_shown(screen: Screen) -> tuple:
        return tuple((key, binding.description, enabled)
                     for key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items()
                     if binding.show)

    def bindings_changed(self, screen: Screen) -> None:
        # Textual rebuilds the footer on every focus move; rebuild only when the keys it
        # shows change (opening a list screen otherwise pays for ~20 rebuilds).
        shown = self._keys_shown(screen)
        will_rebuild = screen.app.app_focus and self.is_attached and screen is self.screen
        if will_rebuild and shown == self._shown_bindings:
            return  # these keys are drawn already (by compose, or by super() below once)
        if will_rebuild:
            self._shown_bindings = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._shown_bindings = self._keys_shown(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey) and self.compact:
                # What the key's own compact watcher adds when it starts; added before, that
                # watcher has nothing to change, which spares a restyle of the key (each one
                # re-matches the whole stylesheet: a third of the first screen's CPU).
                widget.add_class("-compact", update=False)
            description = getattr(widget, "description", None)  # a key of the footer
            if isinstance(description, str) and description:
                widget.description = clean_display(_(description), one_line=True)
            yield widget
