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
DATABASE_PART = 2  # the part a long status line gives up room from: the database's path


def fitted(parts: list[str], width: int) -> str:
    """The parts joined on one line; when they do not fit, the database's path keeps its
    end (the file's name) behind "…", so the screen's title stays in view."""
    text = SEPARATOR.join(parts)
    excess = len(text) - width
    if excess <= 0 or len(parts) <= DATABASE_PART:
        return text
    path = parts[DATABASE_PART]
    keep = max(len(path) - excess - 1, 12)
    if keep >= len(path):
        return text
    shortened = [*parts[:DATABASE_PART], "…" + path[-keep:], *parts[DATABASE_PART + 1:]]
    return SEPARATOR.join(shortened)


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
        parts = list(provider()) if callable(provider) else ["CRM"]
        if self.title_text:
            parts.append(self.title_text)
        # Before its first layout the line has no size yet: the screen's width is the terminal's.
        width = self.size.width or (app.size.width if app is not None else 80)
        self.update(plain(fitted([clean_display(part, one_line=True) for part in parts], width), one_line=True))


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
