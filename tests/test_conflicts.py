"""A save or a delete that meets another user's newer version: what the user is shown
(each differing field, who stored it and when) and that nothing is overwritten silently."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.services.base import format_datetime
from crm_tui.services import ConflictError, NotFound, catalogs, clock, conflicts

MORNING = dt.datetime(2026, 11, 27, 10, 15)


@pytest.fixture
def client(db, admin):
    return catalogs.add_client(admin, catalogs.ClientInput(name="Ferretería Centro", phone="55 1234"))


def test_a_stale_save_is_refused_and_the_stored_record_says_who_stored_it_and_when(client, admin, agent):
    with clock.frozen(MORNING):
        catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(phone="55 9999"))
    with pytest.raises(ConflictError):
        catalogs.modify_client(admin, client.id, client.version, catalogs.ClientInput(phone="55 0000"))
    stored = catalogs.get_client(client.id)
    assert stored.phone == "55 9999"
    assert conflicts.stored_by(stored) == f"tecnico, at {format_datetime(MORNING)}"


def test_keeping_mine_saves_over_the_version_stored_now(client, admin, agent):
    theirs = catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(phone="55 9999"))
    mine = catalogs.modify_client(admin, client.id, theirs.version, catalogs.ClientInput(phone="55 0000"))
    assert catalogs.get_client(client.id).phone == mine.phone == "55 0000"


def test_a_stale_delete_is_refused_and_names_the_fields_that_moved(client, admin, agent):
    theirs = catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(phone="55 9999"))
    with pytest.raises(ConflictError):
        catalogs.delete_client(admin, client.id, client.version)
    assert conflicts.changed_between([("name", "Name"), ("phone", "Phone")], client, theirs) == [
        ("Phone", "55 1234", "55 9999")]
    catalogs.delete_client(admin, client.id, theirs.version)  # asked again, on what is stored now
    with pytest.raises(NotFound):
        catalogs.get_client(client.id)


def test_the_differing_fields_are_those_whose_texts_differ_and_say_who_changed_them():
    labels = {"name": "Name", "phone": "Phone", "email": "Email"}
    yours = {"name": "Ferretería", "phone": "55 0000", "email": "a@b.mx"}
    stored = {"name": "Ferretería", "phone": "55 9999", "email": "c@d.mx"}
    found = conflicts.differing_fields(labels, yours, stored, changed=["phone"])
    assert [(item.name, item.yours, item.stored, item.you_changed) for item in found] == [
        ("phone", "55 0000", "55 9999", True), ("email", "a@b.mx", "c@d.mx", False)]
