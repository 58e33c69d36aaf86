"""A record's audit history: who changed what, when, field by field (schema step 7).

The entries are written by services/base.py in the transaction of each change; this
module reads them back as people read them (field labels, names instead of ids, dates
in the interface's format).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import peewee as pw

from crm_tui.db import models
from crm_tui.db.models import AuditEntry
from crm_tui.i18n import N_, _
from crm_tui.services.base import format_date, format_datetime, record_title
from crm_tui.services.errors import NotFound, ValidationError
from crm_tui.services.fields import Field

# The records that keep a history, by table name (what `crm history TABLE` takes).
AUDITED: dict[str, type[pw.Model]] = {
    model._meta.table_name: model
    for model in (models.User, models.Client, models.Contact, models.Category, models.Project,
                  models.Activity, models.ServiceOrder, models.OpportunityType, models.Opportunity)
}
# Shorter names people may type for a table.
TABLE_ALIASES = {"order": "service_order", "type": "opportunity_type"}

ACTION_LABELS = {
    AuditEntry.ADD: N_("added"),
    AuditEntry.MODIFY: N_("modified"),
    AuditEntry.DELETE: N_("deleted"),
    AuditEntry.STATUS: N_("status"),
}
YES, NO = N_("yes"), N_("no")
# Labels of the fields no form declares (given by the CRM, not typed).
OTHER_LABELS = {"key": N_("Key"), "number": N_("Number"), "folio": N_("Folio"), "user": N_("User"),
                "source_activity": N_("Activity it came from"), "created_order": N_("Order it created"),
                "active": N_("Active"), "status": N_("Status"), "finished_at": N_("Finished on"),
                "closed_at": N_("Closed on"), "times_reopened": N_("Times reopened")}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: str
    action: str
    record_key: str
    changes: tuple[FieldChange, ...]


def table_model(table: str) -> type[pw.Model]:
    """The audited model `table` names (a table name or a short alias)."""
    name = TABLE_ALIASES.get(table.strip().lower(), table.strip().lower())
    if name not in AUDITED:
        raise ValidationError(_("{table} keeps no history; choose one of: {tables}.").format(
            table=table, tables=", ".join(sorted(AUDITED))), "table")
    return AUDITED[name]


def record_history(model: type[pw.Model], record_id: int) -> list[HistoryEntry]:
    """Every change of one record, oldest first."""
    query = (AuditEntry.select()
             .where((AuditEntry.table_name == model._meta.table_name) & (AuditEntry.record_id == record_id))
             .order_by(AuditEntry.id))
    return [_entry(model, row) for row in query]


def history_of(table: str, record_id: int) -> list[HistoryEntry]:
    """Every change of the record of `table` with that id, oldest first."""
    return record_history(table_model(table), record_id)


def history_by_key(table: str, key: str) -> list[HistoryEntry]:
    """The history of the record of `table` known by `key` (its key, number, folio, login
    or name), even once deleted; a renamed record is found by any name it had."""
    model = table_model(table)
    latest = (AuditEntry.select(AuditEntry.record_id)
              .where((AuditEntry.table_name == model._meta.table_name)
                     & (AuditEntry.record_key == str(key).strip()))
              .order_by(AuditEntry.id.desc()).first())
    if latest is None:
        raise NotFound(_("No history of {table} {key}.").format(table=model._meta.table_name, key=key))
    return record_history(model, latest.record_id)


def _entry(model: type[pw.Model], row: AuditEntry) -> HistoryEntry:
    try:
        changes = json.loads(row.changes or "{}")
    except ValueError:
        changes = {}
    shown = []
    for name, (old, new) in changes.items():
        declared = _declared(model, name)
        old_text, new_text = _shown(model, name, declared, old), _shown(model, name, declared, new)
        if old_text or new_text:
            shown.append(FieldChange(field_label(model, name), old_text, new_text))
    return HistoryEntry(row.when, row.who, _(ACTION_LABELS.get(row.action, row.action)), row.record_key,
                        tuple(shown))


def field_label(model: type[pw.Model], name: str) -> str:
    """The label a form shows for a model's field; its name when no form declares it."""
    declared = _declared(model, name)
    if declared is not None:
        return _(declared.label)
    area_labels = _areas().get(model._meta.table_name, {}).get("labels", {})
    for candidate in (name, f"{name}_id"):
        if candidate in area_labels:
            return _(area_labels[candidate])
    return _(OTHER_LABELS[name]) if name in OTHER_LABELS else name.replace("_", " ")


def _declared(model: type[pw.Model], name: str) -> Field | None:
    for entity in _areas().get(model._meta.table_name, {}).get("entities", ()):
        for candidate in (name, f"{name}_id"):
            if candidate in entity.names():
                return entity.field(candidate)
    return None


def _areas() -> dict[str, dict[str, Any]]:
    """Per table, what its area declares: the forms' fields, the labels of the others,
    the words of its statuses."""
    from crm_tui.services import activities, catalogs, opportunities, orders, users

    return {
        "client": {"entities": (catalogs.CLIENT,)},
        "contact": {"entities": (catalogs.CONTACT,)},
        "category": {"entities": (catalogs.CATEGORY,)},
        "project": {"entities": (catalogs.PROJECT,)},
        "opportunity_type": {"entities": (catalogs.OPPORTUNITY_TYPE,)},
        "user": {"entities": (users.USER,)},
        "activity": {"entities": (activities.ACTIVITY_FIELDS,), "labels": activities.LABELS,
                     "statuses": activities.STATUS_LABELS},
        "opportunity": {"entities": (opportunities.OPPORTUNITY, opportunities.STATUS_CHANGE),
                        "labels": opportunities.LABELS, "statuses": opportunities.STATUS_LABELS},
        "service_order": {"entities": (orders.ORDER, orders.VERIFICATION, orders.REOPENING),
                          "labels": orders.LABELS, "statuses": orders.STATUS_LABELS},
    }


def _shown(model: type[pw.Model], name: str, declared: Field | None, value: Any) -> str:
    if value is None or value == "":
        return ""
    field = model._meta.fields.get(name)
    if isinstance(field, pw.ForeignKeyField):
        other = field.rel_model.get_or_none(field.rel_model.id == value)
        return record_title(other) if other is not None else f"#{value}"
    if isinstance(value, bool):
        return _(YES) if value else _(NO)
    for code, choice_label in declared.choices if declared is not None else ():
        if code == value:
            return _(choice_label)
    statuses = _areas().get(model._meta.table_name, {}).get("statuses", {})
    if name == "status" and value in statuses:
        return _(statuses[value])
    if isinstance(field, pw.DateTimeField):
        return _moment(value, format_datetime)
    if isinstance(field, pw.DateField):
        return _moment(value, format_date)
    return str(value)


def _moment(value: Any, writer) -> str:
    try:
        return writer(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)
