"""What the report declarations share: reading the driver's values back as dates."""
from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw

from crm_tui.db.models import ServiceOrder

# Rows read per query of a long report: a screenful comes with the first one.
CHUNK = 2000


def as_date(value: Any) -> dt.date | None:
    """A day as the database gives it (SQLite: text; PostgreSQL: a date)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ServiceOrder.created_at.python_value(value)


def day_of(column: pw.Field) -> pw.Node:
    """The day of a date-time column, in SQL (both databases know DATE())."""
    return pw.fn.DATE(column)


def average(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None
