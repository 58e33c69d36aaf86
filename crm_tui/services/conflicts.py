"""What a change that met a newer version shows the user: the fields that differ between
what they have and what is stored now, and who stored it and when.

Records carry `updated_by` and `updated_at` (the last writer and the moment), which is
what "who stored it and when" reads.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from crm_tui.i18n import _
from crm_tui.services.base import format_date, format_datetime

NOT_COMPARED = {"version", "updated_at", "updated_by", "created_at", "created_by"}


@dataclass(frozen=True)
class FieldConflict:
    """One field whose value the user has is not the one stored now."""

    name: str
    label: str  # translated
    yours: str
    stored: str
    you_changed: bool  # the user changed it (keeping theirs is the default), or only the other writer did


def differing_fields(labels: dict[str, str], yours: dict[str, str], stored: dict[str, str],
                     changed: Iterable[str]) -> list[FieldConflict]:
    """The fields (in `labels`' order) where the user's text and the stored one differ."""
    changed_by_user = set(changed)
    return [FieldConflict(name, label, yours.get(name, ""), stored.get(name, ""), name in changed_by_user)
            for name, label in labels.items() if yours.get(name, "") != stored.get(name, "")]


def stored_by(record: Any) -> str:
    """Who stored the record last, and when: "ana, 27/11/2026 10:15"."""
    moment = getattr(record, "updated_at", None)
    return _("{user}, at {time}").format(user=getattr(record, "updated_by", "") or "?",
                                         time=format_datetime(moment) if moment else "?")


def value_text(record: Any, name: str) -> str:
    """A field of a record as a person reads it: a named record by its name, not its id."""
    if name.endswith("_id"):
        for attribute in (name[:-3] + "_name", name[:-3] + "_label"):
            if hasattr(record, attribute):
                return value_text(record, attribute)
    value = getattr(record, name, None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value)


def changed_between(fields: Sequence[tuple[str, str]], before: Any, after: Any) -> list[tuple[str, str, str]]:
    """The fields ((name, translated label) pairs) whose value moved between two reads of a
    record: (label, as it was read, as stored now)."""
    changes = []
    for name, label in fields:
        if name in NOT_COMPARED:
            continue
        old, new = value_text(before, name), value_text(after, name)
        if old != new:
            changes.append((label, old, new))
    return changes


def delete_question(name: str, who: str, changes: list[tuple[str, str, str]]) -> str:
    """What a delete that met a newer version asks: what moved, by whom, and again."""
    lines = [_("{who} changed {name} since you read it:").format(who=who, name=name)]
    lines += ["  {label}: {before} → {after}".format(label=label, before=before or "—", after=after or "—")
              for label, before, after in changes] or ["  " + _("(no field shown here changed)")]
    return "\n".join([*lines, "", _("Delete it as it is now?")])
