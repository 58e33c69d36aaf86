"""What a list's filter bar shows, read from the service's filter dataclass (no Textual).

Each field of a filter dataclass becomes one filter of the bar. Its kind comes from the
field's type and name: a `DateRange` is a date range, an `..._id` names a record looked
up in its catalog (user, client, contact, project, category; `assignee_id` is a user), a
`str` is text. A field may say more with `metadata=filter_field(...)`: its label, its
choices (a status), that it applies as it is typed (a catalog's search box). A `date`
is one day.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from dataclasses import dataclass
from typing import Any

from crm_tui.i18n import N_
from crm_tui.services.base import DateRange

TEXT = "text"
CHOICE = "choice"
DATE_RANGE = "date_range"
DATE = "date"
LOOKUP = "lookup"

# The catalog an `..._id` filter looks its record up in, when its name does not say it.
LOOKUP_OF_NAME = {"assignee_id": "user", "assigned_user_id": "user", "agent_id": "user"}
LOOKUP_SOURCES = ("user", "client", "contact", "project", "category", "opportunity_type")

DEFAULT_LABELS = {
    "text": N_("Search"),
    "status": N_("Status"),
    "kind": N_("Kind"),
    "dates": N_("Dates"),
    "created": N_("Created"),
    "finished": N_("Finished"),
    "user_id": N_("User"),
    "client_id": N_("Client"),
    "contact_id": N_("Contact"),
    "project_id": N_("Project"),
    "category_id": N_("Category"),
    "assignee_id": N_("Assigned to"),
}

_METADATA_KEY = "filter"


@dataclass(frozen=True)
class FilterField:
    """One filter of a list's filter bar."""

    name: str
    label: str  # N_() marked
    kind: str
    choices: tuple[tuple[Any, str], ...] = ()  # (value, N_ label) for CHOICE
    lookup: str | None = None  # one of LOOKUP_SOURCES, for LOOKUP
    live: bool = False  # applied as it is typed (the catalogs' search box), not by [Query]
    placeholder: str = ""  # N_() marked


def filter_field(label: str | None = None, *, choices: tuple[tuple[Any, str], ...] | dict | None = None,
                 lookup: str | None = None, live: bool = False, placeholder: str = "") -> dict:
    """Metadata for a field of a filter dataclass: `field(default=..., metadata=filter_field(...))`."""
    if isinstance(choices, dict):
        choices = tuple(choices.items())
    return {_METADATA_KEY: {"label": label, "choices": tuple(choices or ()), "lookup": lookup,
                            "live": live, "placeholder": placeholder}}


def filter_fields(filter_class: type) -> list[FilterField]:
    """The filters of a filter dataclass, in the order its fields are declared."""
    hints = typing.get_type_hints(filter_class)
    return [_filter_of(field, hints.get(field.name)) for field in dataclasses.fields(filter_class)]


def _filter_of(field: dataclasses.Field, hint: Any) -> FilterField:
    said = dict(field.metadata.get(_METADATA_KEY, {}))
    label = said.get("label") or DEFAULT_LABELS.get(field.name, field.name)
    choices = said.get("choices") or ()
    lookup = said.get("lookup")
    if hint is DateRange:
        kind = DATE_RANGE
    elif hint in (dt.date, dt.date | None):
        kind = DATE
    elif choices:
        kind = CHOICE
    elif lookup or field.name.endswith("_id"):
        kind = LOOKUP
        lookup = lookup or LOOKUP_OF_NAME.get(field.name) or field.name[:-3]
        if lookup not in LOOKUP_SOURCES:
            raise ValueError(f"{field.name}: no catalog to look up {lookup!r} in")
    else:
        kind = TEXT
    return FilterField(field.name, label, kind, choices, lookup, bool(said.get("live")),
                       said.get("placeholder") or "")


@dataclass(frozen=True)
class NameFilter:
    """A catalog's filter: the search box, applied as it is typed."""

    text: str = dataclasses.field(default="", metadata=filter_field(
        N_("Search:"), live=True, placeholder=N_("key or part of the name")))
