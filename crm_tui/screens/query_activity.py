"""Menu item «Look up activities» (Consultar Actividad).

Ranges and filters, [Consultar] (F7), the result read a page at a time. Enter, a double
click or [Modificar] opens the activity to change it (F8, carrying the version the user
saw); [Eliminar] deletes one logged by mistake; [Hoja] writes exactly the listed result to
a workbook in the background, with a progress bar and a way to stop it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from textual import on, work
from textual.binding import Binding

from crm_tui.i18n import N_, _, ngettext
from crm_tui.screens.add_activity import form_fields, no_invitation_to_type, show_contacts_client
from crm_tui.screens.catalog import EditScreen
from crm_tui.screens.list_screen import ListAction, ListScreen
from crm_tui.screens.list_sheet import WritesListedSheet
from crm_tui.services import activities, conflicts
from crm_tui.services.activities import ActivityFilter, ActivityRecord
from crm_tui.services.base import PageRequest, format_datetime
from crm_tui.services.errors import ConflictError, NotAllowed, ServiceError
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.dialogs import ConfirmDialog, MessageDialog
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.record_table import ColumnSpec, Sort

TITLE = N_("Look up activities")
SHEET_FILE = N_("activities.xlsx")


def activity_title(record: ActivityRecord) -> str:
    return _("{kind} {folio}").format(kind=activities.kind_label(record.kind), folio=record.folio)


class ChangeActivityScreen(EditScreen):
    """An activity's form (Modificar): F8 saves over the version shown, F9 reloads."""

    AUTO_FOCUS = "#field-contact_id-text"  # the first field, not the form around it
    HISTORY_TABLE = "activity"

    def on_mount(self) -> None:
        no_invitation_to_type(self.form)

    @on(LookupField.Changed, "#field-contact_id")
    def _contact_chosen(self, event: LookupField.Changed) -> None:
        show_contacts_client(self.form, event)


class QueryActivityScreen(WritesListedSheet, ListScreen):
    TITLE_LABEL = TITLE
    FILTER = ActivityFilter
    BINDING_PREFIX = "activities"
    COLUMNS = [
        ColumnSpec(N_("Folio"), lambda r: r.folio, 6, widest=lambda: activities_widest_folio()),
        ColumnSpec(N_("Date and time"), lambda r: format_datetime(r.when), 16),
        ColumnSpec(N_("Contact"), lambda r: r.contact_name, 12, grow=True),
        ColumnSpec(N_("Client"), lambda r: r.client_name, 12, grow=True),
        ColumnSpec(N_("Category"), lambda r: r.category_name, 9, grow=True),
        ColumnSpec(N_("Status"), lambda r: activities.status_label(r.status), 9),
    ]
    SHEET_FILE = SHEET_FILE
    SHEET_TITLE = TITLE
    SHEET_COLUMNS = activities.ACTIVITY_COLUMNS
    BINDINGS = [
        Binding("f6", "stop_sheet", N_("Stop sheet"), id="activities_stop_sheet",
                tooltip=N_("Stop writing the sheet (no file is left)")),
    ]

    def declared_actions(self) -> list[ListAction]:
        return [
            ListAction("modify", "f3", N_("Modify"), enabled=self._may_change,
                       tooltip=N_("Change an activity of yours or assigned to you (an administrator: any)")),
            ListAction("delete", "f4", N_("Delete"), enabled=self._may_delete,
                       tooltip=N_("Delete an activity logged by mistake (its author or an administrator)")),
            ListAction("sheet", "f5", N_("Sheet"), tooltip=N_("Write the listed activities to an .xlsx sheet")),
        ]

    def _may_change(self, record: ActivityRecord) -> bool:
        return activities.may_change(self.app.actor, record)

    def _may_delete(self, record: ActivityRecord) -> bool:
        return activities.may_delete(self.app.actor, record)

    def fetch(self, request: PageRequest, filters: ActivityFilter, sort: Sort | None):
        return activities.list_activities(filters, request)

    # --- modify --------------------------------------------------------------------------

    def open_record(self, record: Any) -> None:
        self.action_modify()

    def action_modify(self) -> None:
        record = self._selected()
        if record is not None:
            self._open_editor(record.id)

    def show_activity(self, activity_id: int) -> None:
        """Opened on one activity (Enter on the home screen): its form, over this list."""
        self._open_editor(activity_id)

    def _open_editor(self, activity_id: int) -> None:
        try:
            stored = activities.get_activity(activity_id)
        except FAILURES as error:
            self.app.push_screen(MessageDialog(self._refusal(error)))
            if self.is_mounted:
                self.table.reload(keep_position=True)
            return
        editor = ChangeActivityScreen(activity_title(stored), form_fields(activities.ACTIVITY_CHANGE),
                                      self._modify, stored, reload=lambda seen: activities.get_activity(seen.id))

        def closed(result: Any) -> None:
            if result is not None:
                self.table.reload(keep_position=True, follow=True)
            self.table.focus()

        self.app.push_screen(editor, closed)

    def _modify(self, record: ActivityRecord, values: dict[str, Any]) -> ActivityRecord:
        return activities.change_entry(self.app.actor, record, values)

    def _refusal(self, error: Exception) -> str:
        if not isinstance(error, ServiceError):
            return user_message(error)
        return error.message

    # --- delete --------------------------------------------------------------------------

    def action_delete(self) -> None:
        record = self._selected()
        if record is None:
            return
        question = _("Delete activity {folio} ({contact}, {when})? Only for one logged by mistake.").format(
            folio=record.folio, contact=record.contact_name, when=format_datetime(record.when))

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(record)

        self.app.push_screen(ConfirmDialog(question, yes=_("Delete"), no=_("Keep it")), answered)

    @work(thread=True, group="activity-delete")
    def _delete(self, record: ActivityRecord) -> None:
        try:
            activities.delete_activity(self.app.actor, record.id, record.version)
        except NotAllowed as error:
            self.app.call_from_thread(self._change_refused, error.message)
            return
        except ConflictError as error:
            self.app.call_from_thread(self._ask_delete_again, record, error)
            return
        except FAILURES as error:
            self.app.call_from_thread(self._change_refused, self._refusal(error))
            return
        self.app.call_from_thread(self._deleted, record)

    def _ask_delete_again(self, record: ActivityRecord, error: ConflictError) -> None:
        """Someone changed the activity since the list read it: show what moved, and ask
        again before deleting it as it is now."""
        try:
            stored = activities.get_activity(record.id)
        except FAILURES as failure:
            self._change_refused(self._refusal(failure))
            return
        if stored.version == record.version:
            self._change_refused(error.message)
            return
        fields = [(field.name, _(field.label)) for field in activities.ACTIVITY_CHANGE.fields]
        name = _("activity {folio}").format(folio=stored.folio)
        question = conflicts.delete_question(name, conflicts.stored_by(stored),
                                             conflicts.changed_between(fields, record, stored))
        self.table.reload(keep_position=True)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(stored)

        self.app.push_screen(ConfirmDialog(question, yes=_("Delete"), no=_("Keep it")), answered)

    def _deleted(self, record: ActivityRecord) -> None:
        self.app.notify(_("Activity {folio} was deleted.").format(folio=record.folio), markup=False)
        self.table.reload(keep_position=True)

    def _change_refused(self, message: str) -> None:
        self.app.push_screen(MessageDialog(message))
        self.table.reload(keep_position=True)

    # --- sheet ---------------------------------------------------------------------------

    def count_sheet_rows(self, filters: ActivityFilter) -> int:
        return activities.count_activity_rows(filters)

    def iter_sheet_rows(self, filters: ActivityFilter) -> Iterable[tuple]:
        return activities.iter_activity_rows(filters, newest_first=True)

    def sheet_written(self, count: int, path: Path) -> str:
        return ngettext("{count} activity written to {path}", "{count} activities written to {path}",
                        count).format(count=count, path=path)


def activities_widest_folio() -> int:
    return activities.largest_folio()


def make_screen(app) -> QueryActivityScreen:
    return QueryActivityScreen()
