"""Contact catalog: the people at each client."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from crm_tui.i18n import N_, _
from crm_tui.screens.catalog import KEY_ORDER, NAME_ORDER, CatalogScreen, order_of, EditScreen, yes_no
from crm_tui.services import catalogs
from crm_tui.services.base import PageRequest
from crm_tui.services.filters import NameFilter
from crm_tui.widgets.dialogs import ConfirmDialog
from crm_tui.widgets.record_table import ColumnSpec, Sort


FIELDS = list(catalogs.CONTACT.fields)


class ContactsScreen(CatalogScreen):
    TITLE_LABEL = N_("Contact catalog")
    KIND_LABEL = N_("Contact")
    HISTORY_TABLE = "contact"
    NEW_TITLE = N_("New contact")
    FIELDS = FIELDS
    COLUMNS = [
        ColumnSpec(N_("Key"), lambda r: r.key, 5, sort=KEY_ORDER, widest=catalogs.largest_contact_key),
        ColumnSpec(N_("Name"), lambda r: r.name, sort=NAME_ORDER, width=24, grow=True),
        ColumnSpec(N_("Client"), lambda r: r.client_name, 20, grow=True),
        ColumnSpec(N_("Phone"), lambda r: r.phone or r.mobile, 12, grow=True),
        ColumnSpec(N_("Active"), lambda r: yes_no(r.active), 6),
    ]
    DELETE_QUESTION = N_("Delete the contact «{name}»?")
    EXPORT_FILE = N_("contacts.xlsx")

    def fetch(self, request: PageRequest, filters: NameFilter, sort: Sort | None):
        return catalogs.list_contacts(request, filters.text, **order_of(sort))

    def action_add(self) -> None:
        """A contact belongs to a client: with none yet, offer to add the client first."""
        if catalogs.lookup_clients("", 1):
            super().action_add()
            return

        def answered(add_client: bool | None) -> None:
            if add_client:
                self._add_client_first()

        question = _("There are no clients yet, and every contact belongs to one. Add the client first?")
        self.app.push_screen(ConfirmDialog(question, yes=_("Add a client"), no=_("Cancel")), answered)

    def _add_client_first(self) -> None:
        """The client's form; once saved, the contact's form opens with that client chosen."""
        from crm_tui.screens import clients

        actor = self.app.actor
        client_form = EditScreen(_(clients.ClientsScreen.NEW_TITLE), clients.FIELDS,
                                 lambda _seen, values: catalogs.add_client(actor, catalogs.ClientInput(**values)),
                                 initial={"active": True},
                                 info=_("Proposed key: {key} (given for good when you save)").format(
                                     key=catalogs.next_client_key()))

        def client_saved(client: Any) -> None:
            if client is not None:
                self._open_editor(None, SimpleNamespace(client_id=client.id, client_key=client.key,
                                                        client_name=client.name, active=True))

        self.app.push_screen(client_form, client_saved)

    def fresh(self, record: Any) -> Any:
        return catalogs.get_contact(record.id)

    def next_key(self) -> int:
        return catalogs.next_contact_key()

    def add(self, values: dict[str, Any]) -> Any:
        return catalogs.add_contact(self.app.actor, catalogs.ContactInput(**values))

    def modify(self, record: Any, values: dict[str, Any]) -> Any:
        return catalogs.modify_contact(self.app.actor, record.id, record.version, catalogs.ContactInput(**values))

    def delete_record(self, record: Any) -> None:
        catalogs.delete_contact(self.app.actor, record.id, record.version)

    def set_active(self, record: Any, active: bool) -> Any:
        return catalogs.set_contact_active(self.app.actor, record.id, record.version, active)

    def export_columns(self):
        return catalogs.CONTACT_COLUMNS

    def export_rows(self, text: str, sort: Sort | None):
        return catalogs.iter_contact_rows(text, **order_of(sort))

    def export_count(self, text: str) -> int:
        return catalogs.count_contact_rows(text)


def make_screen(app) -> ContactsScreen:
    return ContactsScreen()
