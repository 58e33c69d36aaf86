"""Users (admins only): who may use the CRM, with which role."""
from __future__ import annotations

from typing import Any

from crm_tui.export.table import BOOLEAN, TEXT, Column
from crm_tui.i18n import N_
from crm_tui.screens.catalog import CatalogScreen, order_of, rows_from_pages, yes_no
from crm_tui.services import users
from crm_tui.services.base import PageRequest
from crm_tui.widgets.form import form_field
from crm_tui.services.filters import NameFilter
from crm_tui.widgets.record_table import ColumnSpec, Sort

def user_fields(new: bool) -> list:
    """A login is given once: typed for a new user, read-only after; a new user starts active."""
    return [
        form_field(users.USER.field("username"), read_only=not new, help=None if new else ""),
        users.USER.field("full_name"),
        users.USER.field("role"),
        form_field(users.USER.field("active"), read_only=new),
    ]


class UsersScreen(CatalogScreen):
    TITLE_LABEL = N_("Users")
    KIND_LABEL = N_("User")
    HISTORY_TABLE = "user"
    NEW_TITLE = N_("New user")
    DEFAULT_SORT = Sort(users.USERNAME_ORDER)
    COLUMNS = [
        ColumnSpec(N_("Username"), lambda r: r.username, 16, sort=users.USERNAME_ORDER),
        ColumnSpec(N_("Full name"), lambda r: r.full_name, 30, grow=True),
        ColumnSpec(N_("Role"), lambda r: r.role_label, 14),
        ColumnSpec(N_("Active"), lambda r: yes_no(r.active), 6),
    ]
    EXPORT_FILE = N_("users.xlsx")
    CAN_DELETE = False

    def fetch(self, request: PageRequest, filters: NameFilter, sort: Sort | None):
        return users.list_users(request, filters.text, **order_of(sort))

    def fresh(self, record: Any) -> Any:
        return users.get_user(record.id)

    def record_name(self, record: Any) -> str:
        return record.username

    def form_fields(self, record: Any | None) -> list:
        return user_fields(new=record is None)

    def new_values(self) -> dict[str, Any]:
        return {"role": "agent", "active": True}

    def add(self, values: dict[str, Any]) -> Any:
        return users.add_user(self.app.actor, users.UserInput(**values))

    def modify(self, record: Any, values: dict[str, Any]) -> Any:
        return users.modify_user(self.app.actor, record.id, record.version, users.UserInput(**values))

    def set_active(self, record: Any, active: bool) -> Any:
        return users.set_user_active(self.app.actor, record.id, record.version, active)

    def export_columns(self):
        return [Column("username", N_("Username"), TEXT, 16), Column("full_name", N_("Full name"), TEXT, 30),
                Column("role", N_("Role"), TEXT, 14), Column("active", N_("Active"), BOOLEAN, 8)]

    def export_rows(self, text: str, sort: Sort | None):
        return rows_from_pages(lambda request: users.list_users(request, text, **order_of(sort)),
                               [lambda r: r.username, lambda r: r.full_name, lambda r: r.role_label,
                                lambda r: r.active])


def make_screen(app) -> UsersScreen:
    return UsersScreen()
