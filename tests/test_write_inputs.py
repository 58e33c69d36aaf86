"""One shape for writes: add_x(actor, XInput) and modify_x(actor, id, version, XInput),
where a field left out is the default on adding and stays as it is on modifying."""
from __future__ import annotations

import inspect

import pytest

from crm_tui.services import ValidationError, activities, catalogs, opportunities, orders, users

WRITES = {
    catalogs: ("category", "opportunity_type", "client", "contact", "project"),
    users: ("user",),
    activities: ("activity",),
    opportunities: ("opportunity",),
    orders: ("order",),
}


@pytest.mark.parametrize("module, area", [(module, area) for module, areas in WRITES.items() for area in areas])
def test_every_add_and_modify_takes_one_input(module, area):
    add = inspect.signature(getattr(module, f"add_{area}"))
    modify = inspect.signature(getattr(module, f"modify_{area}"))
    add_input = list(add.parameters.values())[1]
    modify_params = list(modify.parameters.values())
    assert [parameter.name for parameter in modify_params][2:] == ["version", "data"]
    assert modify_params[-1].annotation == add_input.annotation  # the same dataclass for both


def test_fields_left_out_are_defaults_on_adding_and_kept_on_modifying(db, agent):
    client = catalogs.add_client(agent, catalogs.ClientInput(name="Ferretería Centro", phone="55 1234"))
    assert client.active and client.email == ""
    changed = catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(email="a@b.mx"))
    assert (changed.name, changed.phone, changed.email) == ("Ferretería Centro", "55 1234", "a@b.mx")


def test_a_users_login_is_not_renamed(db, admin):
    user = users.add_user(admin, users.UserInput(username="rosa", full_name="Rosa Díaz"))
    assert user.role == "agent" and user.active
    with pytest.raises(ValidationError) as refused:
        users.modify_user(admin, user.id, user.version, users.UserInput(username="otra", full_name="Rosa"))
    assert refused.value.field == "username"
    same = users.modify_user(admin, user.id, user.version, users.UserInput(username="rosa", full_name="Rosa D."))
    assert (same.username, same.full_name) == ("rosa", "Rosa D.")
