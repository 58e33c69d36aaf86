"""What frames every screen: the status line at the top and the translated footer."""
from __future__ import annotations

from textual._context import NoActiveAppError
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from crm_tui.i18n import _
from crm_tui.widgets.safe import clean_display, plain


class StatusLine(Static):
    """One line: the CRM, who is using it, which database, today's date.

    The app provides the text through `status_line_text()`; a screen may add its title.
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

    def refresh_text(self) -> None:
        try:
            provider = getattr(self.app, "status_line_text", None)
        except NoActiveAppError:  # made outside an app
            provider = None
        text = provider() if callable(provider) else "CRM"
        if self.title_text:
            text = f"{text} │ {self.title_text}"
        self.update(plain(text, one_line=True))


class CrmFooter(Footer):
    """The footer, with every binding description in the user's language."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=True)
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
            self._bindings_ready = True
            return
        if will_rebuild:
            self._shown_bindings = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._shown_bindings = self._keys_shown(self.screen)
        for widget in super().compose():
            description = getattr(widget, "description", None)  # a key of the footer
            if isinstance(description, str) and description:
                widget.description = clean_display(_(description), one_line=True)
            yield widget
