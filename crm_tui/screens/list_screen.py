"""One list screen for every list of the CRM: a filter and its result, with declared actions.

A list screen says what it lists (COLUMNS, fetch), which filter it takes (FILTER: the
service's filter dataclass; the filter bar is built from its fields), and which actions
it offers (ListAction: key, label, when it is enabled for the selected row, what it runs).
Each action becomes a key (in F1's help), a clickable button and, if asked, a key of the
footer. What users of terminal list tools expect works on every list: `/` goes to the
filter, Left/Right choose a column and `s` sorts by it (again: reversed), `y` copies the
selected row, `?` is F1, j/k and g/G move like the arrows and Home/End, Enter or a double
click opens the selected row.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button

from crm_tui.i18n import N_, _
from crm_tui.screens.help import key_name
from crm_tui.screens.live import FollowsChanges
from crm_tui.screens.lookups import LOOKUPS
from crm_tui.services.base import Page, PageRequest
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.filter_bar import QUERY_KEY, FilterBar
from crm_tui.widgets.record_table import SORT_HELP, ColumnSpec, RecordTable, Sort
from crm_tui.widgets.safe import plain


@dataclass(frozen=True)
class ListAction:
    """An action of a list: `key` runs `action_<name>` on the screen (the button's id is
    `name`). `enabled(record)` says whether it applies to the selected record (None: always,
    even with no record selected)."""

    name: str
    key: str
    label: str  # N_() marked
    enabled: Callable[[Any], bool] | None = None
    tooltip: str = ""  # N_() marked: what F1's help says, when the label is too short

    def applies_to(self, record: Any | None) -> bool:
        if self.enabled is None:
            return True
        return record is not None and bool(self.enabled(record))


def key_label(key: str) -> str:
    """f2 -> F2, ctrl+o -> Ctrl+O: the key as a button shows it."""
    return key_name(key.split(",")[0])


class ListScreen(FollowsChanges, Screen):
    """A filter bar, the paged result and the list's action buttons."""

    TITLE_LABEL = N_("List")
    COLUMNS: list[ColumnSpec] = []
    FILTER: type | None = None  # the service's filter dataclass
    DEFAULT_SORT: Sort | None = None
    # When another user's change is heard (FollowsChanges), the list reads itself again
    # while it is in front and the user has not moved in it for IDLE_SECONDS.
    IDLE_SECONDS = 1.0
    # A list read on an index (a catalog) reads its first page before the screen's first
    # frame; one that may take long (a query over orders) reads it in a thread.
    FIRST_PAGE_BEFORE_FRAME = False

    BINDINGS = [
        Binding(QUERY_KEY, "query", N_("Query"), id="list_query",
                tooltip=N_("Read the list with the filters as they are")),
        Binding("f9", "refresh", N_("Refresh"), id="list_refresh", tooltip=N_("Read the list again")),
        Binding("slash,ctrl+f", "filter", N_("Filter"), show=False, id="list_filter",
                tooltip=N_("Go to the filter (search) box")),
        Binding("s", "sort", N_("Sort"), show=False, id="list_sort",
                tooltip=SORT_HELP),  # one line of F1 with ← →
        Binding("y", "copy_row", N_("Copy"), show=False, id="list_copy",
                tooltip=N_("Copy the selected row to the clipboard")),
        Binding("question_mark", "app.show_keys", N_("Help"), show=False, id="list_help"),  # F1's line
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    _last_input = 0.0
    _others_changed = False  # others changed the database since the list was last read
    _shown_before = False  # the screen has been in front before (a resume is a return)
    _table_found: RecordTable | None = None
    _filter_bar_found: FilterBar | None = None
    _action_buttons: dict[str, list[Button]] | None = None

    BINDING_PREFIX = "list"  # a declared action's binding id is <prefix>_<name> (for keymaps)
    # The rows have the keys from the first frame on (focus moved there later would style and
    # draw the screen twice).
    AUTO_FOCUS = "#records"

    def __init__(self) -> None:
        super().__init__()
        self.list_actions = self.declared_actions()
        self.filters = self.FILTER() if self.FILTER is not None else None
        self.sort = self.DEFAULT_SORT
        # The declared actions are this screen's own bindings (Textual keeps a copy of the
        # class's bindings per screen): keys, footer and F1 read them like any other.
        for action in self.list_actions:
            for key in action.key.split(","):
                self._bindings.key_to_bindings.setdefault(key, []).insert(0, Binding(
                    key, action.name, action.label, show=True,
                    id=f"{self.BINDING_PREFIX}_{action.name}", tooltip=action.tooltip))

    # --- to fill in by each list -------------------------------------------------------

    def declared_actions(self) -> list[ListAction]:
        return []

    def fetch(self, request: PageRequest, filters: Any, sort: Sort | None) -> Page:
        raise NotImplementedError

    def open_record(self, record: Any) -> None:
        """Enter or a double click on a row."""

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(_(self.TITLE_LABEL))
        with Vertical(classes="catalog"):
            if self.FILTER is not None:
                yield FilterBar(self.FILTER, self.filter_lookups(), id="filter-bar")
            yield from self.compose_below_filters()
            yield RecordTable(self.COLUMNS, self._fetch_current, id="records", sort=self.sort,
                              first_page_now=self.FIRST_PAGE_BEFORE_FRAME)
            yield from self.compose_below_table()
            with Horizontal(classes="buttons"):
                for action in self.list_actions:
                    yield Button(plain("{key} {label}".format(key=key_label(action.key), label=_(action.label))),
                                 id=action.name, compact=True, tooltip=_(action.tooltip) if action.tooltip else None)
        yield CrmFooter()

    def compose_below_filters(self) -> ComposeResult:
        """What a list shows between its filter bar and its rows (a search box of its own)."""
        yield from ()

    def compose_below_table(self) -> ComposeResult:
        """What a list shows between its rows and its buttons (the selected row's detail)."""
        yield from ()

    def filter_lookups(self) -> dict[str, Callable[..., list]]:
        """What each lookup of the filter bar looks records up with, by lookup source."""
        return LOOKUPS

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    @property
    def filter_bar(self) -> FilterBar | None:
        # Found once: the footer asks (check_action) on every change of the keys it shows.
        if self._filter_bar_found is None and self.FILTER is not None:
            found = self.query(FilterBar)
            self._filter_bar_found = found.first() if found else None
        return self._filter_bar_found

    def on_mount(self) -> None:
        self.table.focus()
        self._update_actions()
        self.follow_changes()

    def _fetch_current(self, request: PageRequest) -> Page:
        # Runs in a worker: the filters and the order as they were when the read was asked for.
        return self.fetch(request, self.filters, self.sort)

    # --- actions: enabled for the selected row -------------------------------------------

    def action_for(self, name: str) -> ListAction | None:
        return next((action for action in self.list_actions if action.name == name), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "query":
            bar = self.filter_bar
            return bar is not None and bar.has_query_button
        declared = self.action_for(action)
        if declared is not None and not declared.applies_to(self._selected()):
            return None  # shown dimmed: not for this row
        return True

    def _selected(self) -> Any | None:
        # Found once: a query walks the whole screen, and this runs on every row the cursor meets.
        if self._table_found is None:
            tables = self.query(RecordTable)
            if not tables:
                return None
            self._table_found = tables.first()
        return self._table_found.current_record

    def _update_actions(self) -> None:
        record = self._selected()
        if self._action_buttons is None:
            self._action_buttons = {action.name: list(self.query(f"Button#{action.name}"))
                                    for action in self.list_actions}
        for action in self.list_actions:
            disabled = self.button_disabled(action, record)
            for button in self._action_buttons[action.name]:
                if button.disabled != disabled:
                    button.disabled = disabled
        self.refresh_bindings()

    def button_disabled(self, action: ListAction, record: Any | None) -> bool:
        """Whether the action's button is dimmed, for the selected `record`."""
        return not action.applies_to(record)

    @on(RecordTable.RowHighlighted)
    def _row_highlighted(self, event: RecordTable.RowHighlighted) -> None:
        self._update_actions()

    def on_record_table_loaded(self, event: RecordTable.Loaded) -> None:
        self._update_actions()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        declared = self.action_for(event.button.id or "")
        if declared is not None:
            self.run_list_action(declared)

    def run_list_action(self, declared: ListAction) -> None:
        if not declared.applies_to(self._selected()):
            return
        getattr(self, f"action_{declared.name}")()

    def on_record_table_record_selected(self, event: RecordTable.RecordSelected) -> None:
        event.stop()
        self.open_record(event.record)

    # --- filter -----------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.filter_bar
        if bar is not None:
            bar.focus_first()

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        event.stop()
        self.filters = event.filters
        self.table.reload()
        if not event.live:
            self.table.focus()

    def action_query(self) -> None:
        """[Query]: read the list with what the filter bar holds (a wrong date, say, is
        refused with a message and the list stays as it was)."""
        bar = self.filter_bar
        if bar is not None:
            bar.apply()

    # --- sort, copy --------------------------------------------------------------------

    def action_sort(self) -> None:
        if not self.table.sort_by_column():
            self.app.notify(_("The list does not sort by this column."), markup=False)

    def on_record_table_sort_changed(self, event: RecordTable.SortChanged) -> None:
        event.stop()
        self.sort = event.sort
        record = self.table.current_record
        record_id = getattr(record, "id", None)
        if record_id is not None:
            self.table.show_record(record_id)  # the same record under the cursor, in the new order
        else:
            self.table.reload()

    def action_copy_row(self) -> None:
        text = self.table.current_row_text()
        if text is None:
            self.app.notify(_("There is no record selected."), severity="warning", markup=False)
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(_("The row was copied to the clipboard."), markup=False)

    # --- refresh: what other users changed -----------------------------------------------

    def action_refresh(self) -> None:
        self.table.reload(keep_position=True)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Back in front (an editor, a dialog or another menu item closed): others may have
        # changed the list meanwhile. Skipped when the screen opens (its first read has
        # just been done or asked for) and while a read is on its way (the one an editor's
        # save asked for).
        if not self._shown_before:
            self._shown_before = True
            return
        if self.table.fetch is not None and not self.table.is_reading:
            self._others_changed = False
            self.table.reload(keep_position=True)

    def on_key(self, event: events.Key) -> None:
        self._last_input = time.monotonic()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._last_input = time.monotonic()

    def wants_change_check(self) -> bool:
        return not self._others_changed  # one heard is enough until the list reads again

    def check_changes(self) -> None:
        super().check_changes()
        self._refresh_when_idle()

    def others_changed(self) -> None:
        self._others_changed = True
        self._refresh_when_idle()

    def _refresh_when_idle(self) -> None:
        """Read the list again after others changed the database: only while this list is
        in front (back in front, it reads itself anyway) and the user is not moving in it."""
        if not self.is_attached or not self.query(RecordTable):
            return  # the answer came while the screen was leaving (the app closing)
        if not self._others_changed or self.app.screen is not self or self.table.is_reading:
            return
        if time.monotonic() - self._last_input < self.IDLE_SECONDS:
            return
        self._others_changed = False
        self.table.reload(keep_position=True)

    def action_back(self) -> None:
        """Esc clears a filter first; with none, it leaves the list."""
        bar = self.filter_bar
        if bar is not None and bar.clear_live():
            return
        self.dismiss()
