"""Field declarations: the checks that keep a declaration honest."""
from __future__ import annotations

import pytest

from crm_tui.db.models import Activity, Category, Client, Contact, Opportunity, OpportunityType, Project, User
from crm_tui.services import activities, catalogs, opportunities, users
from crm_tui.services.fields import BOOL, CHOICE, LOOKUP, TEXT, Entity, Field, is_shown, model_length, part


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


def test_a_part_of_another_record_is_renamed_and_shown_with_its_switch():
    inside = (Field("client_id", "Client", LOOKUP, lookup="client"),
              Field("contact_id", "Contact", LOOKUP, lookup="contact", lookup_filter=(("client_id", "client_id"),)),
              Field("reason", "Reason", TEXT, shown_when="contact_id"))
    order = part(inside, shown_when="with_order", prefix="order_")
    assert [field.name for field in order] == ["order_client_id", "order_contact_id", "order_reason"]
    assert [field.shown_when for field in order] == ["with_order", "with_order", "order_contact_id"]
    assert order[1].lookup_filter == (("client_id", "order_client_id"),)


def test_a_field_inside_a_hidden_one_is_hidden_too():
    fields = {field.name: field for field in (
        Field("with_task", "Task", BOOL),
        Field("due", "Due", TEXT, shown_when="with_task"),
        Field("note", "Note", TEXT, shown_when="due"),
        Field("status", "Status", CHOICE, choices=(("closed", "Closed"), ("lost", "Lost"))),
        Field("invoice", "Invoice", TEXT, shown_when="status", shown_for=("closed",)))}
    values = {"with_task": False, "due": "mañana", "status": "lost"}
    assert not is_shown(fields["note"], values, fields)
    assert is_shown(fields["note"], dict(values, with_task=True), fields)
    assert not is_shown(fields["invoice"], values, fields)
    assert is_shown(fields["invoice"], dict(values, status="closed"), fields)


DECLARED = [(catalogs.CLIENT, Client), (catalogs.CONTACT, Contact), (catalogs.CATEGORY, Category),
            (catalogs.PROJECT, Project), (catalogs.OPPORTUNITY_TYPE, OpportunityType), (users.USER, User),
            (activities.ACTIVITY_FIELDS, Activity), (opportunities.OPPORTUNITY, Opportunity)]


@pytest.mark.parametrize("entity, model", DECLARED, ids=[entity.name for entity, _model in DECLARED])
def test_every_declared_text_field_has_the_models_length(entity, model):
    for field in entity.fields:
        if field.kind == TEXT:
            assert field.max_length == model_length(model, field.name), field.name


def test_the_activity_form_shows_the_task_or_the_order_part_that_was_chosen():
    fields = {field.name: field for field in activities.ACTIVITY_ENTRY.fields}

    def shown(pending: str) -> list[str]:
        return [name for name, field in fields.items()
                if name.startswith(("task_", "order_")) and is_shown(field, {"pending": pending}, fields)]

    assert shown(activities.PENDING_NOTHING) == []
    assert shown(activities.PENDING_TASK) == ["task_assignee_id", "task_due_date", "task_detail"]
    assert shown(activities.PENDING_ORDER)[:2] == ["order_project_id", "order_priority"]
    assert all(name.startswith("order_") for name in shown(activities.PENDING_ORDER))


def test_the_opportunity_status_fields_follow_what_each_status_needs():
    fields = {field.name: field for field in opportunities.STATUS_CHANGE.fields}
    shown = {status: [name for name, field in fields.items() if is_shown(field, {"to_status": status}, fields)]
             for status in opportunities.REQUIRED_FOR}
    assert shown == {"waiting": ["to_status", "comment", "next_contact_date"],
                     "working": ["to_status", "comment", "next_contact_date"],
                     "closed": ["to_status", "comment", "invoice_number"],
                     "lost": ["to_status", "comment", "why_lost", "to_improve"]}
