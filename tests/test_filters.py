"""A filter bar's filters, read from a service's filter dataclass (no Textual)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from crm_tui.services.activities import ActivityFilter
from crm_tui.services.base import DateRange
from crm_tui.services.filters import CHOICE, DATE_RANGE, LOOKUP, TEXT, NameFilter, filter_field, filter_fields
from crm_tui.services.orders import OrderFilter


def kinds(filter_class) -> list[tuple]:
    return [(spec.name, spec.kind, spec.lookup) for spec in filter_fields(filter_class)]


def test_the_order_filter_gives_a_status_choice_record_lookups_and_date_ranges():
    assert kinds(OrderFilter) == [
        ("status", CHOICE, None), ("user_id", LOOKUP, "user"), ("client_id", LOOKUP, "client"),
        ("contact_id", LOOKUP, "contact"), ("project_id", LOOKUP, "project"),
        ("category_id", LOOKUP, "category"), ("created", DATE_RANGE, None), ("finished", DATE_RANGE, None)]
    status = filter_fields(OrderFilter)[0]
    assert [value for value, _label in status.choices] == ["open", "finished", "closed"]
    assert [spec.label for spec in filter_fields(OrderFilter)][:3] == ["Status", "User", "Client"]


def test_the_activity_filter_looks_the_assignee_up_among_users():
    assert ("assignee_id", LOOKUP, "user") in kinds(ActivityFilter)
    assert ("kind", CHOICE, None) in kinds(ActivityFilter)


def test_a_catalog_searches_as_it_is_typed():
    text, = filter_fields(NameFilter)
    assert (text.name, text.kind, text.live) == ("text", TEXT, True)


def test_a_filter_may_say_its_label_and_an_unknown_catalog_is_refused():
    @dataclass(frozen=True)
    class Labelled:
        words: str = field(default="", metadata=filter_field("Words"))
        when: DateRange = DateRange()

    assert [(spec.label, spec.kind) for spec in filter_fields(Labelled)] == [("Words", TEXT), ("when", DATE_RANGE)]

    @dataclass(frozen=True)
    class Unknown:
        planet_id: int | None = None

    with pytest.raises(ValueError):
        filter_fields(Unknown)
