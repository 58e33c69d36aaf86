"""Opportunity types (admins only)."""
from __future__ import annotations

from typing import Any

from crm_tui.export.table import BOOLEAN, TEXT, Column
from crm_tui.i18n import N_
from crm_tui.screens.catalog import NAME_ORDER, CatalogScreen, order_of, rows_from_pages, yes_no
from crm_tui.services import catalogs
from crm_tui.services.base import PageRequest
from crm_tui.services.filters import NameFilter
from crm_tui.widgets.record_table import ColumnSpec, Sort

FIELDS = list(catalogs.OPPORTUNITY_TYPE.fields)


class OpportunityTypesScreen(CatalogScreen):
    TITLE_LABEL = N_("Opportunity types")
    KIND_LABEL = N_("Opportunity type")
    HISTORY_TABLE = "opportunity_type"
    NEW_TITLE = N_("New opportunity type")
    FIELDS = FIELDS
    DEFAULT_SORT = Sort(NAME_ORDER)
    COLUMNS = [
        ColumnSpec(N_("Name"), lambda r: r.name, sort=NAME_ORDER, width=50, grow=True),
        ColumnSpec(N_("Active"), lambda r: yes_no(r.active), 8),
    ]
    DELETE_QUESTION = N_("Delete the opportunity type «{name}»?")
    EXPORT_FILE = N_("opportunity-types.xlsx")

    def fetch(self, request: PageRequest, filters: NameFilter, sort: Sort | None):
        return catalogs.list_opportunity_types(request, filters.text, **order_of(sort))

    def fresh(self, record: Any) -> Any:
        return catalogs.get_opportunity_type(record.id)

    def add(self, values: dict[str, Any]) -> Any:
        return catalogs.add_opportunity_type(self.app.actor, catalogs.OpportunityTypeInput(**values))

    def modify(self, record: Any, values: dict[str, Any]) -> Any:
        return catalogs.modify_opportunity_type(self.app.actor, record.id, record.version,
                                                catalogs.OpportunityTypeInput(**values))

    def delete_record(self, record: Any) -> None:
        catalogs.delete_opportunity_type(self.app.actor, record.id, record.version)

    def set_active(self, record: Any, active: bool) -> Any:
        return catalogs.set_opportunity_type_active(self.app.actor, record.id, record.version, active)

    def export_columns(self):
        return [Column("name", N_("Name"), TEXT, 40), Column("active", N_("Active"), BOOLEAN, 8)]

    def export_rows(self, text: str, sort: Sort | None):
        return rows_from_pages(lambda request: catalogs.list_opportunity_types(request, text, **order_of(sort)),
                               [lambda r: r.name, lambda r: r.active])


def make_screen(app) -> OpportunityTypesScreen:
    return OpportunityTypesScreen()
