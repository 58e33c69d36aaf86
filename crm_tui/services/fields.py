"""Each record's fields, declared once and without Textual.

A declaration says what a field is (name, label, kind, required, the maximum length the
model allows, choices, what it is looked up in, when it is shown). Forms, list columns and
export columns are made from it, so a field's label or length is written in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw

TEXT = "text"
MULTILINE = "multiline"  # several lines
WHOLE = "whole"  # whole number
CHOICE = "choice"
DATE = "date"
DATETIME = "datetime"  # date and time
BOOL = "bool"
LOOKUP = "lookup"  # a record of another catalog, found by key or name
KINDS = (TEXT, MULTILINE, WHOLE, CHOICE, DATE, DATETIME, BOOL, LOOKUP)

# What a LOOKUP field looks records up in.
LOOKUP_SOURCES = ("client", "contact", "project", "user", "category", "order", "opportunity_type")


@dataclass(frozen=True)
class Field:
    """One field of a record. `label` and choice labels are N_() marked, translated when shown."""

    name: str
    label: str
    kind: str = TEXT
    required: bool = False
    max_length: int | None = None
    choices: tuple[tuple[Any, str], ...] = ()  # (stored value, N_ label) for CHOICE
    lookup: str | None = None  # one of LOOKUP_SOURCES, for LOOKUP
    shown_when: str | None = None  # the field is shown only while this other field has a value
    shown_for: tuple[Any, ...] = ()  # ... and, when given, only while it holds one of these values
    # (lookup parameter, field) pairs: the lookup is narrowed by what other fields hold,
    # e.g. (("client_id", "client_id"),) looks up only the chosen client's contacts.
    lookup_filter: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None  # WHOLE
    maximum: int | None = None  # WHOLE
    help: str = ""  # N_() marked hint

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")
        if (self.kind == LOOKUP) != (self.lookup is not None):
            raise ValueError(f"{self.name}: a lookup source goes with kind LOOKUP, and only there")
        if self.lookup is not None and self.lookup not in LOOKUP_SOURCES:
            raise ValueError(f"{self.name}: unknown lookup source {self.lookup!r}")
        if self.shown_for and self.shown_when is None:
            raise ValueError(f"{self.name}: shown_for needs shown_when (the field it looks at)")


def has_value(value: Any) -> bool:
    """A field counts as filled in (for "shown when"): not empty, not unticked."""
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, False)


def is_shown(field: Field, values: dict[str, Any], entity_fields: dict[str, Field]) -> bool:
    """Whether a field is shown given the values of the others (a field shown when a
    hidden one has a value is hidden too)."""
    seen: set[str] = set()
    while field.shown_when is not None:
        if field.name in seen:
            raise ValueError(f"{field.name}: shown_when goes round in a circle")
        seen.add(field.name)
        value = values.get(field.shown_when)
        if not has_value(value) or (field.shown_for and value not in field.shown_for):
            return False
        field = entity_fields[field.shown_when]
    return True


@dataclass(frozen=True)
class Entity:
    """A record's declared fields, in the order a form shows them."""

    name: str
    label: str  # N_() marked, singular
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.name} has no field {name!r}")

    def names(self) -> tuple[str, ...]:
        return tuple(candidate.name for candidate in self.fields)


def model_length(model: type[pw.Model], column: str) -> int | None:
    """The maximum length the model stores for a text column (None for unbounded text)."""
    return getattr(model._meta.fields[column], "max_length", None)
