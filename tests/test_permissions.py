"""Roles, enforced by the services: what an agent may not do, whoever calls (screen, CLI, script)."""
from __future__ import annotations

import dataclasses

import pytest

from conftest import make_user
from crm_tui.db.models import Activity, Client, Opportunity, User
from crm_tui.services import NotAllowed, PermissionDenied
from crm_tui.services import opportunities as ops
from crm_tui.services.activities import (
    ActivityInput,
    add_activity,
    delete_activity,
    get_activity,
    mark_done,
    mark_pending,
    may_change,
    may_delete,
    modify_activity,
)
from crm_tui.services.catalogs import (
    CategoryInput,
    ClientInput,
    ContactInput,
    OpportunityTypeInput,
    add_category,
    add_client,
    add_contact,
    add_opportunity_type,
    delete_category,
    delete_client,
    delete_contact,
    get_client,
    modify_client,
)
from crm_tui.services.users import UserInput, add_user, get_user, modify_user, set_user_active


@pytest.fixture
def office(db, admin, agent):
    """An admin, two agents, a client with a contact, a category and an opportunity type."""
    other = make_user("otro", "agent", "Otra Técnica")
    client = add_client(admin, ClientInput(name="Farmacias del Centro"))
    contact = add_contact(admin, ContactInput(client_id=client.id, name="Rosa Méndez"))
    category = add_category(admin, CategoryInput(name="Llamada"))
    kind = add_opportunity_type(admin, OpportunityTypeInput(name="Cámaras"))
    return {"admin": admin, "agent": agent, "other": other, "client": client, "contact": contact,
            "category": category, "type": kind}


def activity_of(office, actor, **changes):
    values = {"when": "2026-03-02 09:30", "contact_id": office["contact"].id,
              "category_id": office["category"].id, "detail": "Reporta que no enciende", **changes}
    return add_activity(actor, ActivityInput(**values))


def test_an_agent_cannot_add_or_change_users_and_nothing_is_stored(office):
    agent, admin = office["agent"], office["admin"]
    with pytest.raises(PermissionDenied, match="Only an administrator can add or change users."):
        add_user(agent, UserInput(username="nuevo", full_name="Nuevo", role="admin"))
    # refused before the input is even looked at: an invalid login gets the same answer
    with pytest.raises(PermissionDenied):
        add_user(agent, UserInput(username="no valid!"))
    other = get_user(office["other"].id)
    for change in (UserInput(role="admin"), UserInput(full_name="Cambiado")):
        with pytest.raises(PermissionDenied):
            modify_user(agent, other.id, other.version, change)
    with pytest.raises(PermissionDenied):  # not even its own account
        modify_user(agent, agent.id, get_user(agent.id).version, UserInput(role="admin"))
    with pytest.raises(PermissionDenied):
        set_user_active(agent, other.id, other.version, False)
    assert User.select().where(User.username == "nuevo").count() == 0
    assert [(u.role, u.active, u.full_name) for u in User.select().where(User.id == other.id)] == \
        [("agent", True, "Otra Técnica")]
    assert add_user(admin, UserInput(username="nuevo", full_name="Nuevo")).role == "agent"


def test_an_agent_changes_its_own_activities_and_those_assigned_to_it_not_another_agents(office):
    agent, other, admin = office["agent"], office["other"], office["admin"]
    theirs = activity_of(office, other)
    assigned = activity_of(office, other, kind="task", due_date="2026-03-09", assignee_id=agent.id)
    mine = activity_of(office, agent)
    refusals = [
        lambda: modify_activity(agent, theirs.id, theirs.version, ActivityInput(detail="Cambiado")),
        lambda: mark_done(agent, theirs.id, theirs.version, "Hecho"),
        lambda: mark_pending(agent, theirs.id, theirs.version),
        lambda: delete_activity(agent, theirs.id, theirs.version),
        lambda: delete_activity(agent, assigned.id, assigned.version),  # assigned, not its own
    ]
    for refused in refusals:
        with pytest.raises(PermissionDenied) as denied:
            refused()
        assert "Otra Técnica" in str(denied.value)
    stored = Activity.get_by_id(theirs.id)
    assert (stored.detail, stored.status, stored.version) == ("Reporta que no enciende", "pending", 1)
    assert not may_change(agent, theirs) and not may_delete(agent, theirs)
    assert may_change(agent, assigned) and not may_delete(agent, assigned)

    done = mark_done(agent, assigned.id, assigned.version, "Visitado")
    assert done.status == "done" and done.updated_by == agent.username
    changed = modify_activity(agent, mine.id, mine.version, ActivityInput(detail="Ya enciende"))
    assert changed.detail == "Ya enciende"
    delete_activity(agent, mine.id, changed.version)
    assert modify_activity(admin, theirs.id, theirs.version, ActivityInput(detail="Revisado")).detail == "Revisado"


def test_only_an_administrator_logs_an_activity_in_another_users_name(office):
    agent, other, admin = office["agent"], office["other"], office["admin"]
    with pytest.raises(PermissionDenied, match="another user's name"):
        activity_of(office, agent, user_id=other.id)
    assert Client.select().count() == 1
    assert activity_of(office, admin, user_id=other.id).user_name == "Otra Técnica"


def test_an_agent_cannot_change_another_agents_opportunity(office):
    agent, other, admin = office["agent"], office["other"], office["admin"]
    made = ops.add_opportunity(admin, ops.OpportunityInput(
        contact_id=office["contact"].id, type_id=office["type"].id, subject="Diez cámaras", agent_id=other.id))
    with pytest.raises(PermissionDenied, match=f"Opportunity {made.number} is in the charge of Otra Técnica"):
        ops.modify_opportunity(agent, made.id, made.version, ops.OpportunityInput(subject="Mías"))
    with pytest.raises(PermissionDenied):
        ops.change_status(agent, made.id, made.version, "working", comment="La tomo yo")
    stored = Opportunity.get_by_id(made.id)
    assert (stored.subject, stored.status, stored.version) == ("Diez cámaras", "new", 1)
    working = ops.change_status(other, made.id, made.version, "working", comment="Cotizando")
    assert working.status == "working"
    mine = ops.add_opportunity(agent, ops.OpportunityInput(
        contact_id=office["contact"].id, type_id=office["type"].id, subject="Alarma"))
    assert ops.modify_opportunity(agent, mine.id, mine.version,
                                  ops.OpportunityInput(subject="Alarma y cámaras")).subject == "Alarma y cámaras"


def test_nobody_deletes_what_is_used_and_an_agent_deletes_what_is_not(office):
    agent, admin = office["agent"], office["admin"]
    activity_of(office, agent)
    client, contact, category = get_client(office["client"].id), office["contact"], office["category"]
    for actor in (agent, admin):
        for delete, record, what in ((delete_client, client, "client"), (delete_contact, contact, "contact"),
                                     (delete_category, category, "category")):
            with pytest.raises(NotAllowed, match=f"The {what} .* cannot be deleted: .*1 activity") as refused:
                delete(actor, record.id, record.version)
            assert not isinstance(refused.value, PermissionDenied)  # a rule of the data, not of roles
    spare = add_category(agent, CategoryInput(name="Visita"))
    delete_category(agent, spare.id, spare.version)
    assert Client.select().count() == 1


def test_the_stored_account_decides_not_the_role_the_caller_holds(office):
    """A session that started as admin, then was demoted or deactivated, is refused at its
    next change; a script that forges the role gets nowhere either."""
    agent, admin = office["agent"], office["admin"]
    forged = dataclasses.replace(agent, role="admin")
    with pytest.raises(PermissionDenied):
        add_user(forged, UserInput(username="colado"))
    second_admin = make_user("jefa", "admin", "Jefa")
    modify_user(admin, second_admin.id, get_user(second_admin.id).version, UserInput(role="agent"))
    with pytest.raises(PermissionDenied):
        add_user(second_admin, UserInput(username="colado"))
    set_user_active(admin, agent.id, get_user(agent.id).version, False)
    client = get_client(office["client"].id)
    with pytest.raises(PermissionDenied, match="not an active user of this CRM any more"):
        modify_client(agent, client.id, client.version, ClientInput(name="Otra"))
    with pytest.raises(PermissionDenied):
        add_client(agent, ClientInput(name="Nueva"))
    assert get_client(client.id).name == "Farmacias del Centro"
    assert User.select().where(User.username == "colado").count() == 0
    assert Client.select().count() == 1
