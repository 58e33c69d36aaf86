"""Users: who may sign in, and how admins manage them."""
from __future__ import annotations

import pytest

from crm_tui import i18n
from crm_tui.db.models import User
from crm_tui.services import ConflictError, NotAllowed, NotFound, PageRequest, ValidationError
from crm_tui.services import users
from conftest import make_user


# --- signing in ---------------------------------------------------------------------


def test_identify_returns_the_registered_active_user(db, admin, agent):
    actor = users.identify("tecnico")
    assert (actor.id, actor.username, actor.full_name, actor.role) == (agent.id, "tecnico", "Técnico de Campo", "agent")
    assert users.identify("admin").is_admin


def test_identify_refuses_an_unknown_login_and_says_how_to_get_in(db, admin):
    with pytest.raises(NotAllowed) as refused:
        users.identify("intruso")
    assert str(refused.value) == ("The user intruso is not registered in this CRM: ask an administrator "
                                  "to add you with `crm user add intruso`.")


def test_identify_refuses_a_deactivated_user(db, admin, agent):
    users.set_user_active(admin, agent.id, 1, False)
    with pytest.raises(NotAllowed) as refused:
        users.identify("tecnico")
    assert "tecnico" in str(refused.value)
    assert "deactivated" in str(refused.value)


def test_first_admin_is_made_only_on_an_empty_database(db):
    assert not users.database_has_users()
    first = users.bootstrap_first_admin("jefa", "Jefa de Soporte")
    assert first.is_admin and first.username == "jefa"
    assert users.database_has_users()
    assert users.find_user("jefa").role == "admin"
    with pytest.raises(NotAllowed):
        users.bootstrap_first_admin("otro")
    assert [u.username for u in users.list_users().rows] == ["jefa"]


def test_first_admin_needs_a_valid_login(db):
    with pytest.raises(ValidationError) as invalid:
        users.bootstrap_first_admin("mala persona")
    assert invalid.value.field == "username"
    assert not users.database_has_users()


def test_the_command_line_acts_as_the_registered_user_with_its_own_role(db, admin, agent):
    acting = users.system_actor("tecnico", login="tecnico")
    assert (acting.id, acting.username, acting.full_name, acting.role) == (
        agent.id, "tecnico", "Técnico de Campo", "agent")
    assert users.system_actor("admin", login="admin").is_admin


def test_an_unregistered_login_cannot_use_the_command_line(db, admin):
    with pytest.raises(NotAllowed) as refused:
        users.system_actor("root", login="root")
    assert str(refused.value) == ("The user root is not registered in this CRM: ask an administrator "
                                  "to add you with `crm user add root`.")


def test_only_an_admin_login_may_act_as_another_user(db, admin, agent):
    assert users.system_actor("tecnico", login="admin").id == agent.id
    with pytest.raises(NotAllowed) as refused:
        users.system_actor("admin", login="tecnico")
    assert str(refused.value) == ("Only a CRM administrator can act as another user (--user): "
                                  "you are tecnico.")
    with pytest.raises(NotAllowed):
        users.system_actor("admin", login="root")


@pytest.mark.parametrize("name", ["nadie", "admin\x1b[31m", "ad\x07min", ""])
def test_acting_as_a_user_who_is_not_registered_is_refused(db, admin, name):
    with pytest.raises(NotFound) as refused:
        users.system_actor(name, login="admin")
    assert str(refused.value).startswith("There is no user ")


def test_acting_as_a_deactivated_user_is_refused(db, admin, agent):
    users.set_user_active(admin, agent.id, 1, False)
    with pytest.raises(NotAllowed) as refused:
        users.system_actor("tecnico", login="admin")
    assert "deactivated" in str(refused.value)


def test_an_agent_acted_as_from_the_command_line_cannot_manage_users(db, admin, agent):
    as_agent = users.system_actor("tecnico", login="admin")
    with pytest.raises(NotAllowed):
        users.add_user(as_agent, users.UserInput(username="hacker", role="admin"))
    assert users.find_user("hacker") is None


def test_the_system_login_is_the_account_the_process_runs_as(monkeypatch):
    import os
    import pwd

    monkeypatch.setenv("LOGNAME", "jefa")  # what a person can set does not change who they are
    monkeypatch.setenv("USER", "jefa")
    assert users.system_login() == pwd.getpwuid(os.getuid()).pw_name


# --- managing users -----------------------------------------------------------------


def test_admin_adds_a_user_with_a_role(db, admin):
    record = users.add_user(admin, users.UserInput(username="maria.lopez", full_name="María López", role="admin"))
    assert (record.username, record.full_name, record.role, record.active, record.version) == (
        "maria.lopez", "María López", "admin", True, 1)
    assert record.label == "María López (maria.lopez)"
    assert users.get_user(record.id) == record
    stored = User.get_by_id(record.id)
    assert stored.created_by == "admin"


def test_only_admins_manage_users(db, admin, agent):
    with pytest.raises(NotAllowed):
        users.add_user(agent, users.UserInput(username="nuevo"))
    with pytest.raises(NotAllowed):
        users.modify_user(agent, agent.id, 1, users.UserInput(role="admin"))
    with pytest.raises(NotAllowed):
        users.set_user_active(agent, admin.id, 1, False)
    assert users.find_user("nuevo") is None
    assert users.get_user(agent.id).role == "agent"


@pytest.mark.parametrize("username", ["", "con espacio", "a/b", "ñ" * 65, "x;rm"])
def test_bad_usernames_are_refused_naming_the_field(db, admin, username):
    with pytest.raises(ValidationError) as invalid:
        users.add_user(admin, users.UserInput(username=username))
    assert invalid.value.field == "username"
    assert "Username" in str(invalid.value)


def test_usernames_follow_os_logins(db, admin):
    for name in ("j_perez", "ana-m", "x.y2", "a" * 64):
        assert users.add_user(admin, users.UserInput(username=name)).username == name


def test_usernames_are_unique(db, admin, agent):
    with pytest.raises(ValidationError) as duplicate:
        users.add_user(admin, users.UserInput(username="TECNICO"))
    assert str(duplicate.value) == "The user tecnico already exists."
    assert User.select().count() == 2


def test_bad_role_is_refused(db, admin):
    with pytest.raises(ValidationError) as invalid:
        users.add_user(admin, users.UserInput(username="pepe", role="boss"))
    assert invalid.value.field == "role"
    assert str(invalid.value) == "Role must be one of: admin, agent."


def test_full_name_is_length_checked(db, admin):
    with pytest.raises(ValidationError) as invalid:
        users.add_user(admin, users.UserInput(username="pepe", full_name="x" * 201))
    assert invalid.value.field == "full_name"
    assert "Full name can have at most 200 characters" in str(invalid.value)


def test_modify_user_checks_the_version(db, admin, agent):
    changed = users.modify_user(admin, agent.id, 1, users.UserInput(
        full_name="Técnico Senior", role="admin", active=True))
    assert (changed.full_name, changed.role, changed.version) == ("Técnico Senior", "admin", 2)
    with pytest.raises(ConflictError):
        users.modify_user(admin, agent.id, 1, users.UserInput(full_name="Otro nombre", role="agent", active=True))
    kept = users.get_user(agent.id)
    assert (kept.full_name, kept.role, kept.version) == ("Técnico Senior", "admin", 2)


def test_modify_an_unknown_user(db, admin):
    with pytest.raises(NotFound):
        users.modify_user(admin, 999, 1, users.UserInput(full_name="Nadie", role="agent", active=True))


def test_the_last_active_admin_cannot_step_down(db, admin, agent):
    with pytest.raises(NotAllowed) as refused:
        users.set_user_active(admin, admin.id, 1, False)
    assert "last active administrator" in str(refused.value)
    with pytest.raises(NotAllowed):
        users.modify_user(admin, admin.id, 1, users.UserInput(full_name="Administradora", role="agent", active=True))
    assert users.get_user(admin.id).role == "admin"
    assert users.get_user(admin.id).active


def test_an_admin_may_step_down_when_another_admin_remains(db, admin):
    other = users.add_user(admin, users.UserInput(username="segunda", role="admin"))
    demoted = users.modify_user(admin, admin.id, 1, users.UserInput(
        full_name="Administradora", role="agent", active=True))
    assert demoted.role == "agent"
    with pytest.raises(NotAllowed):
        users.set_user_active(users.identify("segunda"), other.id, other.version, False)


def test_deactivated_user_stays_listed_but_not_looked_up(db, admin, agent):
    users.set_user_active(admin, agent.id, 1, False)
    assert [u.username for u in users.list_users().rows] == ["admin", "tecnico"]
    assert [u.username for u in users.list_users(active_only=True).rows] == ["admin"]
    assert users.lookup_users("tecnico") == []
    assert users.get_user(agent.id).active is False


def test_lookup_users_ignores_accents_and_case(db, admin, agent):
    make_user("mlopez", full_name="María López")
    assert [u.username for u in users.lookup_users("LOPEZ")] == ["mlopez"]
    assert [u.username for u in users.lookup_users("tecnico de")] == ["tecnico"]
    assert [u.username for u in users.lookup_users("ADM")] == ["admin"]
    assert len(users.lookup_users("", limit=2)) == 2


def test_find_user(db, agent):
    assert users.find_user("tecnico").id == agent.id
    assert users.find_user("nadie") is None


def test_list_users_pages_by_username(db, admin):
    for number in range(120):
        make_user(f"user{number:03d}")
    names = sorted(["admin"] + [f"user{n:03d}" for n in range(120)])
    first = users.list_users(PageRequest(limit=50))
    seen = [u.username for u in first.rows]
    page = first
    while page.has_after:
        page = users.list_users(PageRequest(after=page.last_cursor, limit=50))
        seen += [u.username for u in page.rows]
    assert seen == names
    last = users.list_users(PageRequest(last=True, limit=50))
    assert [u.username for u in last.rows] == names[-50:]
    before = users.list_users(PageRequest(before=last.first_cursor, limit=50))
    assert [u.username for u in before.rows] == names[-100:-50]
    filtered = users.list_users(text="USER11")
    assert [u.username for u in filtered.rows] == [f"user11{n}" for n in range(10)]


def test_refusal_in_spanish(db):
    i18n.set_language("es")
    with pytest.raises(NotAllowed) as refused:
        users.identify("intruso")
    assert str(refused.value).startswith("El usuario intruso no está registrado en este CRM")
