"""Client catalog: the companies the service is for."""
from __future__ import annotations

from typing import Any

from crm_tui.i18n import N_
from crm_tui.screens.catalog import KEY_ORDER, NAME_ORDER, CatalogScreen, order_of, yes_no
from crm_tui.services import catalogs
from crm_tui.services.base import PageRequest
from crm_tui.services.filters import NameFilter
from crm_tui.widgets.record_table import ColumnSpec, Sort

FIELDS = list(catalogs.CLIENT.fields)


class ClientsScreen(CatalogScreen):
    TITLE_LABEL = N_("Client catalog")
    KIND_LABEL = N_("Client")
    HISTORY_TABLE = "client"
    NEW_TITLE = N_("New client")
    FIELDS = FIELDS
    COLUMNS = [
        ColumnSpec(N_("Key"), lambda r: r.key, 5, sort=KEY_ORDER, widest=catalogs.largest_client_key),
        ColumnSpec(N_("Name"), lambda r: r.name, sort=NAME_ORDER, width=28, grow=True),
        ColumnSpec(N_("Phone"), lambda r: r.phone, 13, grow=True),
        ColumnSpec(N_("E-mail"), lambda r: r.email, 14, grow=True),
        ColumnSpec(N_("Active"), lambda r: yes_no(r.active), 6),
    ]
    DELETE_QUESTION = N_("Delete the client «{name}»?")
    EXPORT_FILE = N_("clients.xlsx")

    def fetch(self, request: PageRequest, filters: NameFilter, sort: Sort | None):
        return catalogs.list_clients(request, filters.text, **order_of(sort))

    def fresh(self, record: Any) -> Any:
        return catalogs.get_client(record.id)

    def next_key(self) -> int:
        return catalogs.next_client_key()

    def add(self, values: dict[str, Any]) -> Any:
        return catalogs.add_client(self.app.actor, catalogs.ClientInput(**values))

    def modify(self, record: Any, values: dict[str, Any]) -> Any:
        return catalogs.modify_client(self.app.actor, record.id, record.version, catalogs.ClientInput(**values))

    def delete_record(self, record: Any) -> None:
        catalogs.delete_client(self.app.actor, record.id, record.version)

    def set_active(self, record: Any, active: bool) -> Any:
        return catalogs.set_client_active(self.app.actor, record.id, record.version, active)

    def export_columns(self):
        return catalogs.CLIENT_COLUMNS

    def export_rows(self, text: str, sort: Sort | None):
        return catalogs.iter_client_rows(text, **order_of(sort))

    def export_count(self, text: str) -> int:
        return catalogs.count_client_rows(text)


def make_screen(app) -> ClientsScreen:
    return ClientsScreen()
