"""The audit history: every write leaves its entry in the same transaction (schema step 7)."""
from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Static

from crm_tui.screens.catalog import EditScreen
from crm_tui.screens.record_history import HistoryScreen

from crm_tui.db.models import AuditEntry, Client
from crm_tui.services import activities, catalogs, history
from crm_tui.services.activities import ActivityInput
from crm_tui.services.base import update_versioned, writing
from crm_tui.services.errors import ConflictError, NotFound, ValidationError
from test_app_support import HOSTILE, SIZE, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401


def _entries(table: str) -> list[tuple[str, str, str, dict]]:
    return [(row.table_name, row.action, row.who, json.loads(row.changes))
            for row in AuditEntry.select().where(AuditEntry.table_name == table).order_by(AuditEntry.id)]


@pytest.fixture
def client(db, agent):
    return catalogs.add_client(agent, catalogs.ClientInput(name="Ferretería López", phone="55 1234"))


def test_add_modify_status_delete_of_a_client_leave_their_entries(db, agent, admin, client):
    changed = catalogs.modify_client(admin, client.id, 1, catalogs.ClientInput(
        name="Ferretería López [bold]", phone="55 1234"))
    inactive = catalogs.set_client_active(agent, client.id, changed.version, False)
    catalogs.delete_client(agent, client.id, inactive.version)

    added, modified, status, deleted = _entries("client")
    assert added[:3] == ("client", "add", "tecnico")
    assert added[3]["name"] == [None, "Ferretería López"] and added[3]["key"] == [None, client.key]
    # Only what changed, not the phone typed again nor the stamps.
    assert modified[1:] == ("modify", "admin", {"name": ["Ferretería López", "Ferretería López [bold]"]})
    assert status[1:] == ("status", "tecnico", {"active": [True, False]})
    assert deleted[1:3] == ("delete", "tecnico")
    assert deleted[3]["name"] == ["Ferretería López [bold]", None]
    assert deleted[3]["phone"] == ["55 1234", None] and deleted[3]["version"] == [3, None]
    assert {row.record_key for row in AuditEntry.select()} == {str(client.key)}


def test_a_rolled_back_or_refused_write_leaves_no_entry(db, agent, client):
    with pytest.raises(RuntimeError), writing():
        update_versioned(Client, client.id, 1, agent, {"name": "Otra"})
        raise RuntimeError("the rest of the change failed")
    with pytest.raises(ConflictError):
        catalogs.modify_client(agent, client.id, 7, catalogs.ClientInput(name="Vieja"))
    with pytest.raises(ValidationError):
        catalogs.modify_client(agent, client.id, 1, catalogs.ClientInput(name=""))
    assert Client.get_by_id(client.id).name == "Ferretería López"
    assert [entry[1] for entry in _entries("client")] == ["add"]


def test_activity_status_and_history_read_back_with_labels_and_names(db, agent, client):
    contact = catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Llamada"))
    activity = activities.add_activity(agent, ActivityInput(
        when="2026-12-01 09:30", contact_id=contact.id, category_id=category.id, detail="No imprime"))
    done = activities.mark_done(agent, activity.id, activity.version, "Se cambió el rodillo")

    entries = history.history_by_key("activity", str(done.folio))
    assert [entry.action for entry in entries] == ["added", "status"]
    added = {change.field: change.new for change in entries[0].changes}
    assert added["Contact"] == f"{contact.key} Ana Ruiz"
    assert added["Date and time"] == "2026-12-01 09:30" and "Due date" not in added
    status = {change.field: (change.old, change.new) for change in entries[1].changes}
    assert status["Status"] == ("Pending", "Done")
    assert status["Follow-up notes"] == ("", "Se cambió el rodillo")
    assert entries[1].who == "tecnico"


def test_history_by_key_finds_a_deleted_or_renamed_record(db, agent):
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Visita"))
    renamed = catalogs.modify_category(agent, category.id, 1, catalogs.CategoryInput(name="Visita técnica"))
    catalogs.delete_category(agent, category.id, renamed.version)
    assert [entry.action for entry in history.history_by_key("category", "Visita")] == [
        "added", "modified", "deleted"]
    assert len(history.history_by_key("category", "Visita técnica")) == 3
    with pytest.raises(NotFound):
        history.history_by_key("category", "Nunca")
    with pytest.raises(ValidationError):
        history.history_by_key("counter", "1")


def test_crm_history_prints_each_change_field_by_field(db_url, db, agent, client, capsys, monkeypatch):
    from crm_tui.cli import main
    from crm_tui.db import close_database
    from crm_tui.services import login, users

    catalogs.modify_client(agent, client.id, 1, catalogs.ClientInput(name="López \x1b[31m[bold]"))
    close_database()
    monkeypatch.setattr(login, "system_login", lambda: "tecnico")
    monkeypatch.setenv("CRM_LANG", "en")

    assert main(["--db", db_url, "history", "client", str(client.key)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("  tecnico  added")
    assert "    Name:  → Ferretería López" in lines
    assert lines[-2].endswith("  tecnico  modified")
    assert lines[-1] == "    Name: Ferretería López → López [31m[bold]"

    assert main(["--db", db_url, "history", "order", "999"]) == 2
    assert "No history of service_order 999." in capsys.readouterr().err


async def test_ctrl_t_on_a_clients_form_shows_its_history_with_names_shown_literally(ui_admin):
    added = catalogs.add_client(ui_admin, catalogs.ClientInput(name="Ferretería López", phone="55 1234"))
    catalogs.modify_client(ui_admin, added.id, 1, catalogs.ClientInput(name=HOSTILE))
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one("#history-table", DataTable)
        rows = [[str(value) for value in table.get_row_at(index)] for index in range(table.row_count)]
        assert [row[1:3] for row in rows] == [["ana", "added"], ["ana", "modified"]]
        assert rows[0][3] == "Key, Name, Phone, Active" and rows[1][3] == "Name"
        # The latest change is selected, field by field below the table, markup as typed.
        changes = app.screen.query_one("#history-changes", Static)
        assert str(changes.render()) == f"Name: Ferretería López → {HOSTILE}"
        await pilot.press("up")
        await settle(pilot)
        assert str(changes.render()).splitlines() == [
            f"Key:  → {added.key}", "Name:  → Ferretería López", "Phone:  → 55 1234", "Active:  → yes"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)


def test_two_users_editing_one_order_both_changes_are_in_its_history(db, agent, admin, client):
    from crm_tui.services import orders

    contact = catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name="Ana Ruiz"))
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Soporte"))
    def typed(**changes):
        values = {"contact_id": contact.id, "category_id": category.id, "detail": "La cámara no graba"}
        return orders.OrderInput(**{**values, **changes})

    order = orders.add_order(agent, typed())
    # Both read version 1; the agent saves first, the admin's stale save is refused, and
    # after reloading the admin knowingly replaces the detail.
    orders.modify_order(agent, order.id, 1, typed(priority="high"))
    with pytest.raises(ConflictError):
        orders.modify_order(admin, order.id, 1, typed(detail="La cámara 2 no graba"))
    orders.modify_order(admin, order.id, 2, typed(detail="La cámara 2 no graba", priority="high"))

    entries = history.history_by_key("order", str(order.number))
    assert [(entry.who, entry.action) for entry in entries] == [
        ("tecnico", "added"), ("tecnico", "modified"), ("admin", "modified")]
    assert [(c.field, c.old, c.new) for c in entries[1].changes] == [("Priority", "Normal", "High")]
    assert [(c.field, c.old, c.new) for c in entries[2].changes] == [
        ("Detail", "La cámara no graba", "La cámara 2 no graba")]
