"""The whole lists `crm export` writes (contacts, clients, projects, activities, orders,
opportunities), declared in the registry as sheets: a row per record, every column."""
from __future__ import annotations

import importlib
from typing import Any, Iterator

from crm_tui.services.exports import EXPORT_LISTS, ExportList
from crm_tui.services.reports import (
    CLIENT,
    CONTACT,
    DATES,
    LIST_REPORTS,
    STATUS,
    USER,
    Report,
    ReportFilter,
    declare,
)

# Each list's columns: the module and constant that declare them.
_COLUMNS = {
    "contacts": ("crm_tui.services.catalogs", "CONTACT_COLUMNS"),
    "clients": ("crm_tui.services.catalogs", "CLIENT_COLUMNS"),
    "projects": ("crm_tui.services.catalogs", "PROJECT_COLUMNS"),
    "activities": ("crm_tui.services.activities", "ACTIVITY_COLUMNS"),
    "orders": ("crm_tui.services.orders", "ORDER_COLUMNS"),
    "opportunities": ("crm_tui.services.opportunities", "OPPORTUNITY_COLUMNS"),
}
_RESTRICTION_OF_FILTER = {"status": STATUS, "dates": DATES, "client": CLIENT, "contact": CONTACT, "user": USER}
_VALUE_OF_FILTER = {"status": "status", "dates": "dates", "client": "client_id", "contact": "contact_id",
                    "user": "user_id"}


def service_filters(listed: ExportList, filters: ReportFilter) -> dict[str, Any]:
    """The list's own filter values for what `filters` restricts."""
    values = {}
    for name, service_name in listed.filters.items():
        value = getattr(filters, _VALUE_OF_FILTER[name])
        if value is not None and value != ReportFilter().dates:
            values[service_name] = value
    return values


def _declare(listed: ExportList) -> None:
    module, constant = _COLUMNS[listed.kind]

    def rows(filters: ReportFilter) -> Iterator[tuple]:
        current = EXPORT_LISTS[listed.kind]  # read when run: the lists stay the one source
        return iter(current.source(service_filters(current, filters))[1])

    def count(filters: ReportFilter) -> int:
        current = EXPORT_LISTS[listed.kind]
        return current.count(service_filters(current, filters))

    declare(Report(
        name=listed.kind, title=listed.title, group=LIST_REPORTS,
        restrictions=tuple(_RESTRICTION_OF_FILTER[name] for name in listed.filters),
        columns=getattr(importlib.import_module(module), constant), rows=rows,
        statuses=listed.statuses, count=count,
        sheet_only=True))


for _listed in EXPORT_LISTS.values():
    _declare(_listed)
