"""The lists `crm export` writes: for each, its sheet title, the filters it takes and
where its columns and rows come from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from crm_tui.i18n import N_

EXPORT_KINDS = ("contacts", "clients", "projects", "activities", "orders", "opportunities")


@dataclass(frozen=True)
class ExportList:
    kind: str
    title: str  # untranslated; _() it where shown
    # Which filters it takes: the filter's common name (status, dates, client, contact,
    # user) -> the name of that filter in the service's own filter.
    filters: dict[str, str]
    source: Callable[[dict[str, Any]], tuple[Sequence[Any], Iterable[tuple]]]


def _orders(filters: dict[str, Any]):
    from crm_tui.services import orders

    return orders.ORDER_COLUMNS, orders.iter_order_rows(orders.OrderFilter(**filters))


def _activities(filters: dict[str, Any]):
    from crm_tui.services import activities

    return activities.ACTIVITY_COLUMNS, activities.iter_activity_rows(activities.ActivityFilter(**filters))


def _opportunities(filters: dict[str, Any]):
    from crm_tui.services import opportunities

    filters = {"status": None, **filters}  # the whole list unless a status is given
    return (opportunities.OPPORTUNITY_COLUMNS,
            opportunities.iter_opportunity_rows(opportunities.OpportunityFilter(**filters)))


def _catalog(kind: str):
    def source(filters: dict[str, Any]):
        from crm_tui.services import catalogs

        columns, rows = {
            "contacts": (catalogs.CONTACT_COLUMNS, catalogs.iter_contact_rows),
            "clients": (catalogs.CLIENT_COLUMNS, catalogs.iter_client_rows),
            "projects": (catalogs.PROJECT_COLUMNS, catalogs.iter_project_rows),
        }[kind]
        return columns, rows(**filters)
    return source


EXPORT_LISTS = {
    "contacts": ExportList("contacts", N_("Contacts"), {"client": "client_id"}, _catalog("contacts")),
    "clients": ExportList("clients", N_("Clients"), {}, _catalog("clients")),
    "projects": ExportList("projects", N_("Projects"), {"client": "client_id"}, _catalog("projects")),
    "activities": ExportList("activities", N_("Activities"),
                             {"status": "status", "dates": "dates", "client": "client_id",
                              "contact": "contact_id", "user": "user_id"}, _activities),
    "orders": ExportList("orders", N_("Service orders"),
                         {"status": "status", "dates": "created", "client": "client_id",
                          "contact": "contact_id", "user": "user_id"}, _orders),
    "opportunities": ExportList("opportunities", N_("Opportunities"),
                                {"status": "status", "dates": "created", "client": "client_id",
                                 "contact": "contact_id", "user": "agent_id"}, _opportunities),
}
