"""What the report declarations share: reading the driver's values back as dates."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Hashable, Iterable

import peewee as pw

from crm_tui.db.models import ServiceOrder
from crm_tui.services.base import DateRange

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


def months_of(dates: DateRange, column: pw.Field, length: int = 1) -> list[DateRange]:
    """`dates` cut into pieces of `length` calendar months, from the first to the last day
    that holds a value of `column` (two look-ups on its index)."""
    ends = [dates.apply(column.model.select(column), column).where(column.is_null(False))
            .order_by(order).limit(1).scalar() for order in (column.asc(), column.desc())]
    first, last = (as_date(value) for value in ends)
    if first is None or last is None:
        return []
    months = []
    start = first
    while start <= last:
        next_month = _months_later(start, length)
        months.append(DateRange(start, min(last, next_month - dt.timedelta(days=1))))
        start = next_month
    return months


def _months_later(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def counted_by_month(dates: DateRange, column: pw.Field, month_counts: Callable[[DateRange], pw.Select],
                     keys: int = 1, months: int = 1) -> dict[Hashable, list[int]]:
    """The (key…, count…) rows of the `month_counts` query of each piece of `months`
    months of `dates`, added up by key.

    SQLite groups by sorting what it counts, in memory (temp_store); a month at a time
    that sort holds a month of records, where the whole range held all of them. The rows
    are read raw: a month of a big company has tens of thousands of groups."""
    totals: dict[Hashable, list[int]] = {}
    for month in months_of(dates, column, months):
        query = month_counts(month)
        for row in query._database.execute_sql(*query.sql()):
            key = row[0] if keys == 1 else tuple(row[:keys])
            entry = totals.get(key)
            counts = [int(value or 0) for value in row[keys:]]
            totals[key] = counts if entry is None else [a + b for a, b in zip(entry, counts)]
    return totals
