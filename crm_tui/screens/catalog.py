"""What every catalog screen shares: a searchable list with Add, Modify, Delete, Export,
and the screen that edits one record.

A catalog screen subclasses CatalogScreen (a ListScreen, screens/list_screen.py) and says
what it lists (fetch, COLUMNS), how a record is edited (form_fields, save) and removed
(delete_record, set_active).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from crm_tui.export.table import Column
from crm_tui.i18n import N_, _
from crm_tui.screens.list_screen import ListAction, ListScreen
from crm_tui.screens.list_sheet import WritesListedSheet
from crm_tui.services.base import Page, PageRequest
from crm_tui.services.catalogs import KEY_ORDER, NAME_ORDER  # noqa: F401 (the catalog screens' sort choices)
from crm_tui.services import conflicts
from crm_tui.services.errors import ConflictError, NotAllowed, NotFound, ServiceError
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.services.fields import Field
from crm_tui.services.filters import NameFilter
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.dialogs import ConfirmDialog, MessageDialog
from crm_tui.widgets.form import FieldSpec, Form
from crm_tui.widgets.record_table import RecordTable, Sort
from crm_tui.widgets.safe import plain
from crm_tui.widgets.sheet_writer import SheetWords


def is_record(record: Any) -> bool:
    return record is not None


def order_of(sort: Sort | None) -> dict[str, Any]:
    """The order a catalog's list service reads in, as its keyword arguments."""
    if sort is None:
        return {}
    return {"order": sort.order, "descending": sort.descending}


def yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def close_asking_first(screen: Screen, form: Form) -> None:
    """Close a form's screen; changes not saved yet are discarded only if the user says so,
    and a save on its way is waited for (its result comes back to the screen)."""
    if form.saving:
        screen.app.notify(_("The record is still being saved."), markup=False)
        return
    if not form.dirty:
        screen.dismiss(None)
        return

    def answered(discard: bool | None) -> None:
        if discard:
            screen.dismiss(None)

    screen.app.push_screen(ConfirmDialog(_("Discard the changes?"), yes=_("Discard"), no=_("Keep editing")),
                           answered)


class EditScreen(Screen):
    """A record's form on its own screen: F8 saves, Esc goes back (asking if changed).

    `save(record, values)` stores the form; `record` is the record as the form read it
    (None for a new one), so a save carries the version the user saw. `reload(record)`
    reads it again as stored (F9, after another user changed it).
    """

    BINDINGS = [
        Binding("f8", "save", N_("Save"), id="process"),
        Binding("f9", "reload", N_("Reload"), show=False, id="form_reload",
                tooltip=N_("Read the stored record again (what you typed stays in view)")),
        Binding("escape", "back", N_("Back"), id="back"),
        Binding("ctrl+t", "history", N_("Changes"), id="record_history",
                tooltip=N_("Who changed this record, when, and what")),
    ]
    # The table whose audit history Ctrl+T shows for the record (None: no history).
    HISTORY_TABLE: str | None = None

    def __init__(self, title: str, specs: Sequence[Field | FieldSpec], save: Callable[[Any, dict], Any],
                 record: Any = None, *, initial: dict | None = None, info: str = "",
                 reload: Callable[[Any], Any] | None = None, history_table: str | None = None) -> None:
        super().__init__()
        self.history_table = history_table or self.HISTORY_TABLE
        self.title_text = title
        self.specs = specs
        self.save_callable = save
        self.record = record
        self.initial = initial
        self.info = info
        self.reload_callable = reload

    def compose(self) -> ComposeResult:
        yield StatusLine(self.title_text)
        if self.info:
            yield Static(plain(self.info), classes="info-line", id="info")
        yield from self.compose_body()
        with Horizontal(classes="buttons"):
            yield Button(plain(_("F8 Save")), id="save", variant="primary", compact=True)
            yield Button(plain(_("Esc Cancel")), id="cancel", compact=True)
        yield CrmFooter()

    def make_form(self) -> Form:
        shown = self.record if self.record is not None else self.initial
        return Form(self.specs, lambda values: self.save_callable(self.record, values), shown, id="form")

    def compose_body(self) -> ComposeResult:
        yield self.make_form()

    @property
    def form(self) -> Form:
        return self.query_one(Form)

    def on_mount(self) -> None:
        # At once, not after a refresh: keys typed right after the one that opened the
        # form go to its first field.
        self.focus_start()

    def focus_start(self) -> None:
        """Where typing starts when the screen opens."""
        self._focus_first()

    def _focus_first(self) -> None:
        for widget in self.form.query("Input, TextArea, Select, Checkbox"):
            if widget.focusable:
                widget.focus()
                return

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload":
            return self.reload_callable is not None and self.record is not None
        if action == "history":
            return self.history_table is not None and self.record is not None
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_back()

    def action_save(self) -> None:
        self.form.save()

    @on(Form.Saved)
    def _saved(self, event: Form.Saved) -> None:
        event.stop()
        if self.form.dirty:  # typed while the save was on its way: that stays, unsaved
            self.saved_while_typing(event.result)
            return
        self.saved(event.result)

    def saved(self, result: Any) -> None:
        """The form is stored as it stands: say so and go back."""
        self.app.notify(_("Saved."), markup=False)
        self.dismiss(result)

    def saved_while_typing(self, result: Any) -> None:
        """Stored what the form held at F8; what was typed since stays in the form, and the
        next F8 saves it over the record just stored (its version)."""
        if getattr(result, "version", None) is not None:
            self.record = result
        self.app.notify(_("Saved. What you typed while it was being saved is still in the form: "
                          "F8 saves it too."), markup=False)

    @on(Form.SaveRefused)
    def _save_refused(self, event: Form.SaveRefused) -> None:
        event.stop()
        if isinstance(event.error, ConflictError) and self._offer_conflict_choice():
            return
        message = self._explain(event.error)
        self.form.show_form_error(message)
        self.app.notify(message, severity="error", markup=False)

    def _explain(self, error: ServiceError) -> str:
        """What the user reads when the save was refused: the record named as they know it."""
        if self.record is None:
            return error.message
        if isinstance(error, NotFound):
            return self._gone_message()
        if isinstance(error, ConflictError) and self.reload_callable is not None and self._changed_since_read():
            return "{reason} {offer}".format(
                reason=error.message,
                offer=_("F9 reloads it; what you typed stays in view under each field."))
        return error.message

    # --- a save that met a newer version -----------------------------------------------

    def _offer_conflict_choice(self) -> bool:
        """Another user stored the record since the form read it: show, field by field,
        what the user has and what is stored now, and let them choose (False: there is no
        newer version to choose from)."""
        if self.record is None or self.reload_callable is None:
            return False
        try:
            stored = self.reload_callable(self.record)
        except ServiceError:
            return False
        if getattr(stored, "version", None) == getattr(self.record, "version", None):
            return False
        form = self.form
        labels = {name: _(spec.label) for name, spec in form.specs.items() if form.is_shown(name)}
        yours, as_read = form.shown_texts(), form.texts_of(self.record)
        changed = [name for name in labels if yours[name] != as_read[name]]
        found = conflicts.differing_fields(labels, yours, form.texts_of(stored), changed)
        who = conflicts.stored_by(stored)
        from crm_tui.widgets.conflict_dialog import ConflictDialog

        form.show_form_error(_("Stored by {who} while you were editing: nothing was saved yet.").format(who=who))
        self.app.push_screen(ConflictDialog(found, who), lambda choice: self._conflict_chosen(stored, choice))
        return True

    def _conflict_chosen(self, stored: Any, choice: dict[str, bool] | None) -> None:
        form = self.form
        if choice is None:
            form.show_form_error(_("Nothing was saved; what you typed is still in the form "
                                   "(F8 asks again, F9 shows the stored record)."))
            return
        held = {name: form.field_state(name) for name in form.specs}
        changed = set(form.changed_fields())
        self.record = stored
        form.fill(stored)
        for name, state in held.items():
            if choice.get(name, name in changed):
                form.put_back(name, state)
        form.show_typed({})
        form.show_form_error("")
        if form.dirty:
            form.save()  # over the version stored now: what was kept replaces it knowingly
        else:
            self.app.notify(_("The form shows the record as stored now; nothing of yours to save."),
                            markup=False)

    def _gone_message(self) -> str:
        return _("{record} no longer exists: another user deleted it while you were editing. "
                 "Nothing was saved.").format(record=self.title_text)

    def _changed_since_read(self) -> bool:
        try:
            stored = self.reload_callable(self.record)
        except ServiceError:
            return False
        return getattr(stored, "version", None) != getattr(self.record, "version", None)

    def action_reload(self) -> None:
        """Show the record as stored now; what the user typed differently stays in view."""
        if self.reload_callable is None or self.record is None:
            return
        if self.form.saving:
            self.app.notify(_("The record is still being saved."), markup=False)
            return
        try:
            stored = self.reload_callable(self.record)
        except NotFound:
            self.form.show_form_error(_("{record} no longer exists: another user deleted it.").format(
                record=self.title_text))
            return
        except ServiceError as error:
            self.form.show_form_error(error.message)
            return
        typed = {name: self.form.shown_text(name) for name in self.form.changed_fields()}
        self.record = stored
        self.form.fill(stored)
        stored_texts = self.form.shown_texts()
        self.form.show_typed({name: text for name, text in typed.items() if text != stored_texts[name]})
        self.form.show_form_error("")
        self.app.notify(_("Reloaded as stored now."), markup=False)

    def action_history(self) -> None:
        if self.history_table is None or self.record is None:
            return
        from crm_tui.screens.record_history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.history_table, self.record.id, self.history_title()))

    def history_title(self) -> str:
        """The record as its history names it."""
        return self.title_text

    def unsaved_work(self) -> str | None:
        """The form's title while it holds changes not saved yet (or a save on its way)."""
        return self.title_text if self.form.saving or self.form.dirty else None

    def action_back(self) -> None:
        close_asking_first(self, self.form)


class CatalogScreen(WritesListedSheet, ListScreen):
    """A catalog: the list screen with a search box and Add, Modify, Delete, Excel, (De)activate.
    Excel writes the listed rows in the background (F10 stops it, leaving no file)."""

    TITLE_LABEL = N_("Catalog")
    KIND_LABEL = N_("Record")
    FILTER = NameFilter
    DEFAULT_SORT = Sort(KEY_ORDER)
    DELETE_QUESTION = N_("Delete «{name}»?")
    EXPORT_FILE = N_("list.xlsx")
    CAN_DELETE = True
    CAN_DEACTIVATE = True
    BINDING_PREFIX = "catalog"
    FIRST_PAGE_BEFORE_FRAME = True  # every catalog is read on an index

    SHEET_WORDS = SheetWords()
    SHEET_STOP_LABEL = N_("F10 Stop")
    SHEET_ROW_ID = "export-row"

    BINDINGS = [
        Binding("f9", "refresh", N_("Refresh"), id="catalog_refresh", tooltip=N_("Read the list again")),
        Binding("f10", "stop_sheet", N_("Cancel sheet"), id="catalog_stop_sheet",
                tooltip=N_("Stop writing the sheet (no file is left)")),
    ]

    def declared_actions(self) -> list[ListAction]:
        actions = [
            ListAction("add", "f2", N_("Add")),
            ListAction("modify", "f3", N_("Modify"), enabled=is_record),
        ]
        if self.CAN_DELETE:
            actions.append(ListAction("delete", "f4", N_("Delete"), enabled=is_record))
        actions.append(ListAction("export", "f5", N_("Excel"), tooltip=N_("Export to Excel")))
        if self.CAN_DEACTIVATE:
            actions.append(ListAction("toggle_active", "f6", N_("(De)activate"), enabled=is_record,
                                      tooltip=N_("Activate or deactivate")))
        return actions

    @property
    def search_text(self) -> str:
        return self.query_one("#search", Input).value.strip()

    @property
    def _search_snapshot(self) -> str:
        """The search the list was last read with (what an export writes)."""
        return self.filters.text

    # --- to fill in by each catalog --------------------------------------------------
    # A catalog says what it lists (fetch, COLUMNS), which fields its form has
    # (FIELDS or form_fields), and how a record is read, added, changed and removed.
    # Every change carries the record as the user saw it: its version is checked.

    NEW_TITLE = N_("New record")
    HISTORY_TABLE: str | None = None  # the table of its records, for their history (Ctrl+T)
    FIELDS: Sequence[Field] = ()
    EDIT_SCREEN: type[EditScreen] = EditScreen

    def fresh(self, record: Any) -> Any:
        """The record as it is stored now (raises NotFound when it was deleted)."""
        raise NotImplementedError

    def add(self, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def modify(self, record: Any, values: dict[str, Any]) -> Any:
        """Store the form's values over `record` (the version the form read)."""
        raise NotImplementedError

    def delete_record(self, record: Any) -> None:
        """Delete `record` as the list showed it (its version)."""
        raise NotImplementedError

    def set_active(self, record: Any, active: bool) -> Any:
        """(De)activate `record` as the list showed it (its version)."""
        raise NotImplementedError

    def export_columns(self) -> Sequence[Column]:
        raise NotImplementedError

    def export_rows(self, text: str, sort: Sort | None) -> Iterable[Sequence]:
        """The rows the list holds for the search `text`, in the list's order `sort`."""
        raise NotImplementedError

    def export_count(self, text: str) -> int | None:
        """How many rows export_rows() gives for `text` (None: not known before)."""
        return None

    def form_fields(self, record: Any | None) -> Sequence[Field | FieldSpec]:
        return self.FIELDS

    def new_values(self) -> dict[str, Any]:
        """What a new record's form starts with."""
        return {"active": True}

    def next_key(self) -> int | None:
        """The key a new record would get (shown as a proposal), if the catalog has keys."""
        return None

    def record_name(self, record: Any) -> str:
        return getattr(record, "name", "") or str(getattr(record, "id", ""))

    def record_title(self, record: Any) -> str:
        """The record as the user knows it: kind, key (if it has one) and name."""
        key = getattr(record, "key", None)
        if key is None:
            return _("{kind} «{name}»").format(kind=_(self.KIND_LABEL), name=self.record_name(record))
        return _("{kind} {key} «{name}»").format(kind=_(self.KIND_LABEL), key=key, name=self.record_name(record))

    def editor_info(self, record: Any | None) -> str:
        if record is not None:
            key = getattr(record, "key", None)
            return _("Key: {key}").format(key=key) if key is not None else ""
        key = self.next_key()
        return _("Proposed key: {key} (given for good when you save)").format(key=key) if key else ""

    def editor(self, record: Any | None, initial: Any = None) -> EditScreen:
        """The screen that adds (record None, starting from `initial` or new_values())
        or modifies a record."""
        if record is None:
            # Once stored (text typed during a slow save keeps the form open), it is modified.
            return self.EDIT_SCREEN(_(self.NEW_TITLE), self.form_fields(None), self._add_or_modify,
                                    initial=initial if initial is not None else self.new_values(),
                                    info=self.editor_info(None), reload=self.fresh,
                                    history_table=self.HISTORY_TABLE)
        return self.EDIT_SCREEN(self.record_title(record), self.form_fields(record), self.modify, record,
                                info=self.editor_info(record), reload=self.fresh,
                                history_table=self.HISTORY_TABLE)

    def _add_or_modify(self, stored: Any, values: dict[str, Any]) -> Any:
        return self.add(values) if stored is None else self.modify(stored, values)

    def refusal(self, record: Any, error: Exception) -> str:
        """Why a change from the list was refused, naming the record as the user knows it."""
        if not isinstance(error, ServiceError):  # the database itself failed
            return user_message(error)
        if record is None:
            return error.message
        if isinstance(error, NotFound):
            return _("{record} no longer exists: another user deleted it.").format(record=self.record_title(record))
        if isinstance(error, ConflictError) and self._changed_since_listed(record):
            return _("{record} was changed by another user since the list showed it; nothing was done. "
                     "The list now shows it as stored: check it and try again.").format(
                record=self.record_title(record))
        return error.message

    def _changed_since_listed(self, record: Any) -> bool:
        try:
            return self.fresh(record).version != record.version
        except ServiceError:
            return False

    # --- search ---------------------------------------------------------------------

    _open_single_when_read = False

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        """Enter: the only match opens; with several, the list takes the keys to choose."""
        event.stop()
        if self.table.is_reading:  # the matches of what was just typed are on their way
            self._open_single_when_read = True
            return
        self._open_single_or_choose()

    def on_record_table_loaded(self, event: RecordTable.Loaded) -> None:
        super().on_record_table_loaded(event)
        if self._open_single_when_read and not self.table.is_reading:
            self._open_single_when_read = False
            self._open_single_or_choose()

    def _open_single_or_choose(self) -> None:
        records = self.table.records
        self.table.focus()
        if len(records) == 1:
            self._open_editor(records[0])

    def open_record(self, record: Any) -> None:
        self._open_editor(record)

    # --- actions -------------------------------------------------------------------

    def action_add(self) -> None:
        self._open_editor(None)

    def action_modify(self) -> None:
        record = self._chosen()
        if record is not None:
            self._open_editor(record)

    def _chosen(self) -> Any | None:
        record = self.table.current_record
        if record is None:
            self.app.notify(_("There is no record selected."), severity="warning", markup=False)
        return record

    def _open_editor(self, record: Any | None, initial: Any = None) -> None:
        try:
            screen = self.editor(self.fresh(record) if record is not None else None, initial)
        except FAILURES as error:
            self.app.push_screen(MessageDialog(self.refusal(record, error)))
            if isinstance(error, ServiceError):  # the record may be gone: show the list as it is now
                self.table.reload(keep_position=True)
            return

        def closed(result: Any) -> None:
            saved_id = getattr(result, "id", None)
            if record is None and saved_id is not None:
                self.table.show_record(saved_id)  # the new record, wherever the list puts it
            elif result is not None:
                self.table.reload(keep_position=True, follow=True)
            self.table.focus()

        self.app.push_screen(screen, closed)

    def action_delete(self) -> None:
        if not self.CAN_DELETE:
            return
        record = self._chosen()
        if record is None:
            return
        question = _(self.DELETE_QUESTION).format(name=self.record_name(record))

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(record)

        self.app.push_screen(ConfirmDialog(question), answered)

    # Deleting and (de)activating write to the database, which may be waiting for another
    # user's change: they run in a worker, and come back to the screen when done.

    @work(thread=True, group="catalog-change")
    def _delete(self, record: Any) -> None:
        try:
            self.delete_record(record)
        except NotAllowed as error:
            self.app.call_from_thread(self._offer_deactivation, record, error.message)
            return
        except ConflictError as error:
            self.app.call_from_thread(self._ask_delete_again, record, error)
            return
        except FAILURES as error:
            self.app.call_from_thread(self._change_refused, self.refusal(record, error))
            return
        self.app.call_from_thread(self._changed, _("«{name}» was deleted.").format(name=self.record_name(record)))

    def _ask_delete_again(self, record: Any, error: ConflictError) -> None:
        """Someone changed the record since the list read it: show what moved, and ask
        again before deleting it as it is now."""
        try:
            stored = self.fresh(record)
        except FAILURES as failure:
            self._change_refused(self.refusal(record, failure))
            return
        if getattr(stored, "version", None) == getattr(record, "version", None):
            self._change_refused(error.message)
            return
        fields = [(spec.name, _(spec.label)) for spec in self.form_fields(stored)]
        question = conflicts.delete_question(self.record_name(stored), conflicts.stored_by(stored),
                                             conflicts.changed_between(fields, record, stored))
        self.table.reload(keep_position=True)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(stored)

        self.app.push_screen(ConfirmDialog(question, yes=_("Delete"), no=_("Keep it")), answered)

    def _changed(self, message: str) -> None:
        self.app.notify(message, markup=False)
        self.table.reload(keep_position=True)

    def _change_refused(self, message: str) -> None:
        self.app.push_screen(MessageDialog(message))
        self.table.reload(keep_position=True)

    def _offer_deactivation(self, record: Any, reason: str) -> None:
        if not self.CAN_DEACTIVATE or not getattr(record, "active", False):
            self.app.push_screen(MessageDialog(reason))
            return

        def answered(deactivate: bool | None) -> None:
            if deactivate:
                self._set_active(record, False)

        question = "{reason}\n\n{question}".format(reason=reason, question=_("Deactivate it now?"))
        self.app.push_screen(ConfirmDialog(question, yes=_("Deactivate"), no=_("Cancel")), answered)

    def action_toggle_active(self) -> None:
        if not self.CAN_DEACTIVATE:
            return
        record = self._chosen()
        if record is not None:
            self._set_active(record, not getattr(record, "active", True))

    @work(thread=True, group="catalog-change")
    def _set_active(self, record: Any, active: bool) -> None:
        try:
            self.set_active(record, active)
        except FAILURES as error:
            self.app.call_from_thread(self._change_refused, self.refusal(record, error))
            return
        message = _("«{name}» is active again.") if active else _("«{name}» was deactivated.")
        self.app.call_from_thread(self._changed, message.format(name=self.record_name(record)))

    # --- export: the listed rows, in the list's order, through the one sheet writer ------

    def action_export(self) -> None:
        self.action_sheet()

    def sheet_file(self) -> str:
        return self.EXPORT_FILE

    def sheet_title(self) -> str:
        return self.TITLE_LABEL

    def sheet_columns(self) -> Sequence[Column]:
        return self.export_columns()

    def sheet_query(self) -> tuple[str, Sort | None]:
        """What the list shows now: the search it was read with, in the order chosen."""
        return self._search_snapshot, self.sort

    def count_sheet_rows(self, query: tuple[str, Sort | None]) -> int | None:
        return self.export_count(query[0])

    def iter_sheet_rows(self, query: tuple[str, Sort | None]) -> Iterable[Sequence]:
        return self.export_rows(*query)


def rows_from_pages(fetch: Callable[[PageRequest], Page], values: Sequence[Callable[[Any], Any]],
                    page_size: int = 500) -> Iterable[tuple]:
    """Every record of a paged list as export rows, one page in memory at a time."""
    request = PageRequest(limit=page_size)
    while True:
        page = fetch(request)
        for record in page.rows:
            yield tuple(value(record) for value in values)
        if not page.has_after or not page.rows:
            return
        request = PageRequest(after=page.last_cursor, limit=page_size)
