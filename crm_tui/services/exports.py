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
    # How many rows the filters give (for the progress of a long export).
    count: Callable[[dict[str, Any]], int]
    # The list's statuses (code -> N_() label) and the function reading a status word.
    statuses: Callable[[], tuple[dict[str, str], Callable[[str], str]]] | None = None


def _orders(filters: dict[str, Any]):
    from crm_tui.services import orders

    return orders.ORDER_COLUMNS, orders.iter_order_rows(orders.OrderFilter(**filters))


def _count_orders(filters: dict[str, Any]) -> int:
    from crm_tui.services import orders

    return orders.count_order_rows(orders.OrderFilter(**filters))


def _order_statuses():
    from crm_tui.services import orders

    return orders.STATUS_LABELS, orders.status_from_word


def _activities(filters: dict[str, Any]):
    from crm_tui.services import activities

    return activities.ACTIVITY_COLUMNS, activities.iter_activity_rows(activities.ActivityFilter(**filters))


def _count_activities(filters: dict[str, Any]) -> int:
    from crm_tui.services import activities

    return activities.count_activity_rows(activities.ActivityFilter(**filters))


def _activity_statuses():
    from crm_tui.services import activities

    return activities.STATUS_LABELS, activities.status_from_word


def _opportunities(filters: dict[str, Any]):
    from crm_tui.services import opportunities

    return (opportunities.OPPORTUNITY_COLUMNS,
            opportunities.iter_opportunity_rows(opportunities.OpportunityFilter(**_every_status(filters))))


def _count_opportunities(filters: dict[str, Any]) -> int:
    from crm_tui.services import opportunities

    return opportunities.count_opportunity_rows(opportunities.OpportunityFilter(**_every_status(filters)))


def _every_status(filters: dict[str, Any]) -> dict[str, Any]:
    return {"status": None, **filters}  # the whole list unless a status is given


def _opportunity_statuses():
    from crm_tui.services import opportunities

    return opportunities.STATUS_LABELS, opportunities.status_from_word


_CATALOG_FUNCTIONS = {
    "contacts": ("CONTACT_COLUMNS", "iter_contact_rows", "count_contact_rows"),
    "clients": ("CLIENT_COLUMNS", "iter_client_rows", "count_client_rows"),
    "projects": ("PROJECT_COLUMNS", "iter_project_rows", "count_project_rows"),
}


def _catalog(kind: str):
    def source(filters: dict[str, Any]):
        from crm_tui.services import catalogs

        columns, rows, _count = _CATALOG_FUNCTIONS[kind]
        return getattr(catalogs, columns), getattr(catalogs, rows)(**filters)
    return source


def _catalog_count(kind: str):
    def count(filters: dict[str, Any]) -> int:
        from crm_tui.services import catalogs

        return getattr(catalogs, _CATALOG_FUNCTIONS[kind][2])(**filters)
    return count


EXPORT_LISTS = {
    "contacts": ExportList("contacts", N_("Contacts"), {"client": "client_id"}, _catalog("contacts"),
                           _catalog_count("contacts")),
    "clients": ExportList("clients", N_("Clients"), {}, _catalog("clients"), _catalog_count("clients")),
    "projects": ExportList("projects", N_("Projects"), {"client": "client_id"}, _catalog("projects"),
                           _catalog_count("projects")),
    "activities": ExportList("activities", N_("Activities"),
                             {"status": "status", "dates": "dates", "client": "client_id",
                              "contact": "contact_id", "user": "user_id"}, _activities, _count_activities,
                             _activity_statuses),
    "orders": ExportList("orders", N_("Service orders"),
                         {"status": "status", "dates": "created", "client": "client_id",
                          "contact": "contact_id", "user": "user_id"}, _orders, _count_orders,
                         _order_statuses),
    "opportunities": ExportList("opportunities", N_("Opportunities"),
                                {"status": "status", "dates": "created", "client": "client_id",
                                 "contact": "contact_id", "user": "agent_id"}, _opportunities,
                                _count_opportunities, _opportunity_statuses),
}
