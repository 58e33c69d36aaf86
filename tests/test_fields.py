"""Field declarations: the checks that keep a declaration honest."""
from __future__ import annotations

import pytest

from crm_tui.db.models import Client
from crm_tui.services.fields import CHOICE, LOOKUP, TEXT, Entity, Field, model_length


def test_lengths_are_read_from_the_model():
    assert model_length(Client, "name") == 200
    assert model_length(Client, "notes") is None


def test_a_lookup_field_names_its_source():
    with pytest.raises(ValueError):
        Field("contact_id", "Contact", LOOKUP)
    with pytest.raises(ValueError):
        Field("name", "Name", TEXT, lookup="client")
    with pytest.raises(ValueError):
        Field("x", "X", "colour")


def test_an_entity_finds_its_fields_by_name():
    entity = Entity("thing", "Thing", (Field("name", "Name"), Field("status", "Status", CHOICE)))
    assert entity.names() == ("name", "status")
    assert entity.field("status").kind == CHOICE
    with pytest.raises(KeyError):
        entity.field("missing")
