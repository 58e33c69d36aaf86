"""Consecutive numbers, taken inside the caller's writing transaction."""
from __future__ import annotations

from crm_tui.db.connection import database

CLIENT_KEY = "client"
CONTACT_KEY = "contact"
PROJECT_KEY = "project"
ACTIVITY_FOLIO = "activity"
ORDER_NUMBER = "service_order"
OPPORTUNITY_NUMBER = "opportunity"

# Series name -> (table, column) whose highest value the series must stay above.
SERIES = {
    CLIENT_KEY: ("client", "key"),
    CONTACT_KEY: ("contact", "key"),
    PROJECT_KEY: ("project", "key"),
    ACTIVITY_FOLIO: ("activity", "folio"),
    ORDER_NUMBER: ("service_order", "number"),
    OPPORTUNITY_NUMBER: ("opportunity", "number"),
}


def take_next(series: str) -> int:
    """Hand out the next number of `series`. Must run inside a writing transaction.

    The upsert locks the counter row until commit, so two sessions never get the same
    number; a rolled-back insert leaves a gap rather than reusing a number.
    """
    cursor = database.execute_sql(
        "INSERT INTO counter (name, value) VALUES ({p}, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value".format(p=database.param),
        (series,),
    )
    return int(cursor.fetchone()[0])


def peek_next(series: str) -> int:
    """The number the next insert will probably get (shown on a form before saving)."""
    row = database.execute_sql(
        "SELECT value FROM counter WHERE name = %s" % database.param, (series,)
    ).fetchone()
    return (int(row[0]) if row else 0) + 1


def catch_up_all() -> None:
    """Move every counter above the highest number already stored (after imports, bulk loads)."""
    for series, (table, column) in SERIES.items():
        highest = database.execute_sql(f"SELECT COALESCE(MAX({column}), 0) FROM {table}").fetchone()[0]
        database.execute_sql(
            "INSERT INTO counter (name, value) VALUES ({p}, {p}) "
            "ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counter.value > excluded.value "
            "THEN counter.value ELSE excluded.value END".format(p=database.param),
            (series, int(highest)),
        )
