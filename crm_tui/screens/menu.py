"""The CRM menu: every item, in the order of the old module, with its screen factory."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable, NamedTuple

from crm_tui.i18n import N_

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen


class MenuItem(NamedTuple):
    """One entry of the CRM menu.

    `module` is a module under crm_tui.screens with `make_screen(app) -> Screen`;
    `binding_id` names the App binding that opens it from anywhere (if any).
    """

    id: str
    label: str  # N_() marked; translate where shown
    module: str
    admin_only: bool = False
    binding_id: str | None = None

    def make_screen(self, app: "App") -> "Screen":
        module = importlib.import_module(f"crm_tui.screens.{self.module}")
        return module.make_screen(app)

    @property
    def factory(self) -> Callable[["App"], "Screen"]:
        return self.make_screen


MENU: tuple[MenuItem, ...] = (
    MenuItem("categories", N_("Configure categories"), "categories"),
    MenuItem("clients", N_("Client catalog"), "clients"),
    MenuItem("contacts", N_("Contact catalog"), "contacts"),
    MenuItem("projects", N_("Project catalog"), "projects"),
    MenuItem("add_activity", N_("Add activity"), "add_activity", binding_id="add_activity"),
    MenuItem("query_activity", N_("Look up activities"), "query_activity"),
    MenuItem("add_order", N_("Add service order"), "add_order", binding_id="add_order"),
    MenuItem("add_service", N_("Register service"), "add_service", binding_id="add_service"),
    MenuItem("activity_followup", N_("Activity follow-up"), "activity_followup"),
    MenuItem("order_inquiry", N_("Single order inquiry"), "order_inquiry"),
    MenuItem("order_list", N_("General order inquiry"), "order_list"),
    MenuItem("reports", N_("Reports"), "reports"),
    MenuItem("order_reports", N_("Order reports"), "order_reports"),
    MenuItem("add_opportunity", N_("Add opportunity"), "add_opportunity"),
    MenuItem("query_opportunities", N_("Look up opportunities"), "query_opportunities"),
    MenuItem("users", N_("Users"), "users", admin_only=True),
    MenuItem("opportunity_types", N_("Opportunity types"), "opportunity_types", admin_only=True),
)

MENU_BY_ID = {item.id: item for item in MENU}


def menu_for(is_admin: bool) -> list[MenuItem]:
    """The items a user sees: admins see every item, others all but the admin ones."""
    return [item for item in MENU if is_admin or not item.admin_only]
