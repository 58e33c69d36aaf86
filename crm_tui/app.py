"""The terminal CRM: the Textual application and `run_app`, which the `crm` command calls."""
from __future__ import annotations

import datetime as dt
import sys
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import ModalScreen, Screen

from crm_tui.i18n import N_, _, set_language
from crm_tui.screens.menu import MENU_BY_ID, MenuItem, menu_for
from crm_tui.services.base import Actor, format_date
from crm_tui.widgets.first_frame import FirstFrameMark
from crm_tui.widgets.idle_collector import CollectsWhenIdle
from crm_tui.widgets.key_order import KeysInOrder
from crm_tui.widgets.safe import SafeOutput
from crm_tui.widgets.unsaved import HoldsUnsavedWork

STYLESHEET = Path(__file__).resolve().parent / "crm.tcss"  # what the first screen needs
# The other screens' styles: parsing them is a good part of the first frame's CPU time,
# so they are read just after it (or before any other screen opens, if sooner).
SCREENS_STYLESHEET = Path(__file__).resolve().parent / "crm_screens.tcss"
MENU_ACTIONS = ("open_menu",)
HOME_ITEM_ID = "activity_followup"  # the screen the CRM opens on


class MenuCommands(Provider):
    """The command palette's entries for every item of the CRM menu."""

    def _items(self) -> list[MenuItem]:
        app = self.app
        return app.visible_menu() if isinstance(app, CrmApp) else []

    async def discover(self) -> Hits:
        for item in self._items():
            label = _(item.label)
            yield DiscoveryHit(label, partial(self.app.open_menu, item.id), text=label,
                               help=_("Open this part of the CRM"))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for item in self._items():
            label = _(item.label)
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self.app.open_menu, item.id), text=label,
                          help=_("Open this part of the CRM"))


class CrmApp(FirstFrameMark, SafeOutput, CollectsWhenIdle, KeysInOrder, App[int]):
    """The CRM for one signed-in user (`actor`) on one database (`database_label`)."""

    CSS_PATH = str(STYLESHEET)
    TITLE = "CRM"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {MenuCommands}
    BINDINGS = [
        Binding("ctrl+d", "open_menu('add_activity')", N_("Activity"), priority=True, id="add_activity",
                tooltip=N_("Add activity")),
        Binding("ctrl+s", "open_menu('add_order')", N_("Order"), priority=True, id="add_order",
                tooltip=N_("Add service order")),
        Binding("ctrl+r", "open_menu('add_service')", N_("Service"), priority=True, id="add_service",
                tooltip=N_("Register service")),
        Binding("f1", "show_keys", N_("Help"), priority=True, id="help"),
        Binding("ctrl+q", "quit", N_("Quit"), show=False, priority=True, id="quit"),
    ]

    def __init__(self, actor: Actor, database_label: str, *, today: dt.date | None = None,
                 first_run: bool = False, load_sample: Callable[..., Any] | None = None,
                 config: tuple[Callable[[], dict], Callable[[dict], Any]] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.actor = actor
        self.database_label = database_label
        self._today = today
        self.first_run = first_run
        self.load_sample = load_sample
        self._config = config
        self._restoring_theme = False
        self._clock = clock

    # --- who, where, when ----------------------------------------------------------

    def today(self) -> dt.date:
        """Today's date (fixed in tests, so what the screens show is reproducible)."""
        from crm_tui.services import clock

        return self._today or clock.today()

    def monotonic(self) -> float:
        """Seconds on a clock that only goes forward (fixed by tests for keys typed in a row)."""
        if self._clock is not None:
            return self._clock()
        import time

        return time.monotonic()

    def status_line_parts(self) -> list[tuple[str, ...]]:
        """The status line's parts in order (CRM, who, the database, today), each with the
        shorter ways to say it that a narrow terminal falls back to."""
        who = self.actor.full_name or self.actor.username
        if self.actor.full_name and self.actor.full_name != self.actor.username:
            who = f"{self.actor.full_name} ({self.actor.username})"
        return [("CRM", ""), (who, self.actor.username), (self.database_label,),
                (format_date(self.today()),)]

    def visible_menu(self) -> list[MenuItem]:
        return menu_for(self.actor.is_admin)

    # --- start ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        # The home screen is the bottom of the stack itself, not a screen pushed over an
        # empty default one: one screen less to lay out and paint before the first frame.
        from crm_tui.screens.activity_followup import FollowupScreen

        return FollowupScreen()

    def on_mount(self) -> None:
        # The other screens' styles are read once the home screen's rows are drawn
        # (home_rows_drawn), or before another screen opens if that comes first.
        self._restore_settings()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        # `crm` loads with the garbage collector off (crm_tui.__main__): on once the first
        # frame is drawn.
        self.call_after_refresh(self.collect_when_idle)
        if self.first_run:
            from crm_tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self.load_sample))

    def home_rows_drawn(self) -> None:
        """The home screen's first rows are on the terminal: the rest can load now."""
        self.call_after_refresh(self.read_screens_stylesheet)

    def read_screens_stylesheet(self) -> None:
        """Add the other screens' styles (once)."""
        path = str(SCREENS_STYLESHEET)
        if self.stylesheet.has_source(path):
            return
        self.stylesheet.read(SCREENS_STYLESHEET)
        self.stylesheet.reparse()
        self.stylesheet.update_nodes(self.walk_children(with_self=True))

    def push_screen(self, screen, *args, **kwargs):
        self.read_screens_stylesheet()
        return super().push_screen(screen, *args, **kwargs)

    def _load_config(self) -> dict:
        if self._config is None:
            from crm_tui.config import load_config

            return load_config()
        return self._config[0]()

    def _save_config(self, values: dict) -> None:
        if self._config is None:
            from crm_tui.config import save_config

            save_config(values)
        else:
            self._config[1](values)

    def _restore_settings(self) -> None:
        try:
            settings = self._load_config()
        except Exception as exc:  # a broken config file must not stop the CRM
            self.notify(str(exc), severity="warning", markup=False)
            return
        theme = settings.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self._restoring_theme = True
            self.theme = theme
            self._restoring_theme = False
        keys = settings.get("keys")
        if isinstance(keys, dict):
            self.set_keymap({str(k): str(v) for k, v in keys.items()})

    def _remember_theme(self, theme) -> None:
        if self._restoring_theme:
            return
        try:
            settings = self._load_config()
            if settings.get("theme") == theme.name:
                return
            settings["theme"] = theme.name
            self._save_config(settings)
        except Exception as exc:
            self.notify(str(exc), severity="warning", markup=False)

    # --- actions -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MENU_ACTIONS and isinstance(self.screen, ModalScreen):
            return None  # shown but inactive while a question is open
        return True

    def action_open_menu(self, item_id: str) -> None:
        self.open_menu(item_id)

    def open_menu(self, item_id: str) -> None:
        """Open the screen of a menu item (from the menu, a key or the palette).

        A form with unsaved changes in front asks first; it stays open underneath."""
        item = MENU_BY_ID[item_id]
        if item.admin_only and not self.actor.is_admin:
            self.notify(_("Only an administrator can open «{item}».").format(item=_(item.label)),
                        severity="warning", markup=False)
            return
        if getattr(self.screen, "menu_item_id", None) == item_id:
            return
        unsaved = unsaved_work(self.screen)
        if unsaved is None:
            self._push_menu_item(item)
            return
        from crm_tui.widgets.dialogs import ConfirmDialog

        question = _("«{form}» has changes that are not saved. Open «{item}» on top of it? "
                     "Esc there comes back to the form.").format(form=unsaved, item=_(item.label))

        def answered(open_it: bool | None) -> None:
            if open_it:
                self._push_menu_item(item)

        self.push_screen(ConfirmDialog(question, yes=_("Open on top"), no=_("Keep editing")), answered)

    def _push_menu_item(self, item: MenuItem) -> None:
        if item.id == HOME_ITEM_ID and self._go_home():
            return
        screen = item.make_screen(self)
        screen.menu_item_id = item.id
        self.push_screen(screen)

    def _home_screen(self) -> Screen | None:
        return next((screen for screen in self.screen_stack
                     if getattr(screen, "menu_item_id", None) == HOME_ITEM_ID), None)

    def _go_home(self) -> bool:
        """Close the screens over the home screen; False (nothing closed) when there is no
        home screen underneath or a screen over it holds unsaved work."""
        home = self._home_screen()
        if home is None:
            return False
        above = self.screen_stack[self.screen_stack.index(home) + 1:]
        if any(unsaved_work(screen) for screen in above):
            return False
        while self.screen is not home:
            self.pop_screen()
        return True

    def show_crm_menu(self) -> None:
        """F2 on the home screen: the CRM menu (all its items, by number or arrows)."""
        from crm_tui.screens.home import MenuScreen

        if isinstance(self.screen, MenuScreen):
            self.screen.dismiss()
            return
        self.push_screen(MenuScreen())

    def open_order(self, number: int) -> None:
        """Open service order `number`: the single order inquiry, on that order when the
        screen can take one (its `show_order(number)`)."""
        self._open_on_record("order_inquiry", "show_order", number)

    def open_activity(self, activity_id: int) -> None:
        """Open an activity: the activity look-up, on that activity when the screen can take
        one (its `show_activity(activity_id)`)."""
        self._open_on_record("query_activity", "show_activity", activity_id)

    def _open_on_record(self, item_id: str, method: str, value: int) -> None:
        self.open_menu(item_id)
        show = getattr(self.screen, method, None)
        if getattr(self.screen, "menu_item_id", None) == item_id and callable(show):
            show(value)

    async def action_quit(self) -> None:
        """Leave the CRM (Ctrl+Q, the palette), asking first if a form holds unsaved changes."""
        unsaved = next((title for title in map(unsaved_work, reversed(self.screen_stack)) if title), None)
        if unsaved is None:
            self.exit()
            return
        from crm_tui.widgets.dialogs import ConfirmDialog

        question = _("«{form}» has changes that are not saved. Discard them and leave the CRM?").format(
            form=unsaved)

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(ConfirmDialog(question, yes=_("Discard and leave"), no=_("Keep editing")), answered)

    def action_command_palette(self) -> None:
        """Ctrl+P: the palette, its prompt in the user's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=_("Search the CRM by name (a menu item, a command)…")))

    def search_themes(self) -> None:
        from textual.command import CommandPalette
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…")))

    def action_show_keys(self) -> None:
        if getattr(self.screen, "is_help", False):
            self.screen.dismiss()
            return
        from crm_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(_("Change theme"), _("Choose the colours of the CRM (remembered)"),
                            self.action_change_theme)
        yield SystemCommand(_("Help: keys of this screen"), _("The keys you can use here (F1)"),
                            self.action_show_keys)
        yield SystemCommand(_("Quit"), _("Leave the CRM"), self.action_quit)


def unsaved_work(screen: Screen) -> str | None:
    """The title of the form on `screen` if it holds changes not saved yet, else None."""
    return screen.unsaved_work() if isinstance(screen, HoldsUnsavedWork) else None


# --- starting from the command line ---------------------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _open(db_url: str):
    from crm_tui.db import migrations, open_database
    from crm_tui.db.connection import database as connected, opened_for_writing

    # `crm` has just opened and checked it: opening it again would close it first (a
    # checkpoint, the WAL file removed and made again) for nothing.
    database = connected.obj if opened_for_writing(db_url) else open_database(db_url, create=True)
    if migrations.pending_steps(database):
        migrations.upgrade(database)
    return database


def _load_sample_data(progress: Callable[[str, int, int], None] | None = None) -> Any:
    """Fill the (new) database with the demo data set, default size."""
    from crm_tui.services import demo

    return demo.fill_demo(demo.DemoSize(), progress=progress)


def sign_in(username: str) -> tuple[Actor, bool]:
    """The Actor for an OS login, and whether this is the first user of a new database.

    Raises NotAllowed (one sentence) for an unknown or deactivated login.
    """
    from crm_tui.services import login

    if not login.database_has_users():
        from crm_tui.services import users

        return users.bootstrap_first_admin(username), True
    return login.identify(username), False


def run_app(db_url: str, actor_username: str, language: str, *, today: dt.date | None = None) -> int:
    """Open the CRM for `actor_username`; returns the exit code for the shell.

    An unknown or deactivated login never sees the application: one sentence, exit 1.
    """
    from crm_tui.db import DatabaseOpenError, describe_url
    from crm_tui.services.errors import ServiceError

    try:
        set_language(language)
    except ValueError as exc:
        _say(str(exc))
        return 2
    try:
        _open(db_url)
        actor, first_run = sign_in(actor_username)
    except DatabaseOpenError as exc:
        _say(str(exc))
        return 1
    except ServiceError as exc:
        _say(exc.message)
        return 1
    app = CrmApp(actor, describe_url(db_url), today=today, first_run=first_run,
                 load_sample=_load_sample_data)
    result = app.run()
    return int(result or app.return_code or 0)
