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
    """The day of a date-time column, in SQL. SQLite holds date-times as ISO text, whose
    first ten characters are the day: cutting them is much cheaper than its DATE()."""
    from crm_tui.db.connection import is_sqlite

    return pw.fn.SUBSTR(column, 1, 10) if is_sqlite() else pw.fn.DATE(column)


def average(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def user_names() -> dict[int, str]:
    """Every user's name as people read it (a company has tens of users)."""
    from crm_tui.db.models import User

    return {user.id: user.full_name or user.username
            for user in User.select(User.id, User.full_name, User.username)}


def by_name(rows: list[tuple], names: dict[int, str]) -> list[tuple]:
    """Aggregate rows whose first value is a user id, as (name, …), ordered by name."""
    named = [(names.get(row[0], str(row[0])), row[0], *row[1:]) for row in rows]
    named.sort(key=lambda row: (row[0].casefold(), row[1], *(value for value in row[2:3])))
    return [(row[0], *row[2:]) for row in named]
