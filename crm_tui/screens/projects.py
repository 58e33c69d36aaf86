"""Project catalog: a client's projects, with their pending and completed service orders."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TabbedContent, TabPane

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import KEY_ORDER, NAME_ORDER, CatalogScreen, EditScreen, order_of
from crm_tui.services import catalogs, orders
from crm_tui.services.base import PageRequest, format_date
from crm_tui.services.filters import NameFilter
from crm_tui.widgets.record_table import ColumnSpec, Sort, RecordTable

STATUS_LABELS = {"open": N_("Open"), "finished": N_("Finished"), "closed": N_("Closed")}

ORDER_COLUMNS = [
    ColumnSpec(N_("Number"), lambda o: o.number, 7, widest=orders.largest_order_number),
    ColumnSpec(N_("Status"), lambda o: _(STATUS_LABELS.get(o.status, o.status)), 10),
    ColumnSpec(N_("Created"), lambda o: format_date(o.created_at), 10),
    ColumnSpec(N_("Contact"), lambda o: o.contact_name, 18, grow=True),
    ColumnSpec(N_("Category"), lambda o: o.category_name, 16, grow=True),
]


def client_of(record: Any) -> str:
    return "{key} {name}".format(key=record.client_key, name=record.client_name)


FIELDS = list(catalogs.PROJECT.fields)


class ProjectEditScreen(EditScreen):
    """The project's data and, for a saved project, its pending and completed orders."""

    BINDINGS = [Binding("f7", "next_tab", N_("Next tab"), id="project_next_tab",
                        tooltip=N_("Next tab: the project, its pending orders, its completed orders"))]
    TABS = ("tab-data", "tab-pending", "tab-completed")

    def compose_body(self) -> ComposeResult:
        form = self.make_form()
        if self.record is None:
            yield form
            return
        project_id = self.record.id
        with TabbedContent(id="project-tabs"):
            with TabPane(_("Project"), id="tab-data"):
                yield form
            with TabPane(_("Pending orders"), id="tab-pending"):
                yield RecordTable(ORDER_COLUMNS, lambda request: orders.project_orders(project_id, True, request),
                                  id="pending-orders")
            with TabPane(_("Completed orders"), id="tab-completed"):
                yield RecordTable(ORDER_COLUMNS, lambda request: orders.project_orders(project_id, False, request),
                                  id="completed-orders")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_tab":
            return self.record is not None  # a new project has no orders yet, and no tabs
        return super().check_action(action, parameters)

    def action_next_tab(self) -> None:
        tabs = self.query_one("#project-tabs", TabbedContent)
        following = self.TABS[(self.TABS.index(tabs.active) + 1) % len(self.TABS)]
        tabs.active = following
        if following == "tab-data":
            self._focus_first()
        else:
            self.query_one(f"#{following} RecordTable", RecordTable).focus()

    def on_record_table_record_selected(self, event: RecordTable.RecordSelected) -> None:
        """Enter or a double click on an order opens it whole (Single order inquiry)."""
        event.stop()
        from crm_tui.screens.order_inquiry import OrderInquiryScreen

        self.app.push_screen(OrderInquiryScreen(event.record.number), self._order_closed)

    def _order_closed(self, _result: Any) -> None:
        # The order may have moved between the pending and the completed list meanwhile.
        for table in self.query(RecordTable):
            table.reload(keep_position=True)


class ProjectsScreen(CatalogScreen):
    TITLE_LABEL = N_("Project catalog")
    KIND_LABEL = N_("Project")
    HISTORY_TABLE = "project"
    COLUMNS = [
        ColumnSpec(N_("Key"), lambda r: r.key, 5, sort=KEY_ORDER, widest=catalogs.largest_project_key),
        ColumnSpec(N_("Name"), lambda r: r.name, sort=NAME_ORDER, width=24, grow=True),
        ColumnSpec(N_("Client"), lambda r: r.client_name, 18, grow=True),
        ColumnSpec(N_("Goal date"), lambda r: format_date(r.goal_date), 10),
        ColumnSpec(N_("In charge"), lambda r: r.user_in_charge_name, 10, grow=True),
    ]
    DELETE_QUESTION = N_("Delete the project «{name}»?")
    EXPORT_FILE = N_("projects.xlsx")
    CAN_DEACTIVATE = False
    NEW_TITLE = N_("New project")
    FIELDS = FIELDS
    EDIT_SCREEN = ProjectEditScreen

    def fetch(self, request: PageRequest, filters: NameFilter, sort: Sort | None):
        return catalogs.list_projects(request, filters.text, **order_of(sort))

    def fresh(self, record: Any) -> Any:
        return catalogs.get_project(record.id)

    def next_key(self) -> int:
        return catalogs.next_project_key()

    def new_values(self) -> dict[str, Any]:
        return {}

    def editor_info(self, record: Any | None) -> str:
        if record is None:
            return super().editor_info(record)
        return _("Key: {key} · Client: {client}").format(key=record.key, client=client_of(record))

    def add(self, values: dict[str, Any]) -> Any:
        return catalogs.add_project(self.app.actor, catalogs.ProjectInput(**values))

    def modify(self, record: Any, values: dict[str, Any]) -> Any:
        return catalogs.modify_project(self.app.actor, record.id, record.version, catalogs.ProjectInput(**values))

    def delete_record(self, record: Any) -> None:
        catalogs.delete_project(self.app.actor, record.id, record.version)

    def export_columns(self):
        return catalogs.PROJECT_COLUMNS

    def export_rows(self, text: str, sort: Sort | None):
        return catalogs.iter_project_rows(text, **order_of(sort))

    def export_count(self, text: str) -> int:
        return catalogs.count_project_rows(text)


def make_screen(app) -> ProjectsScreen:
    return ProjectsScreen()
