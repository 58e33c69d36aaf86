"""Schema versions: an ordered list of steps, each run once, in its own transaction.

A new database runs every step; a database made by an older version runs the steps it
lacks, keeping its data. Steps are never edited once released: a change to the schema
is a new step at the end.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import peewee

from crm_tui.db import changes, models
from crm_tui.db.connection import database

SCHEMA_VERSION_KEY = "schema_version"


class Step(NamedTuple):
    version: int
    description: str
    apply: Callable[[peewee.Database], None]


def _create_base_tables(db: peewee.Database) -> None:
    db.create_tables(models.ALL_MODELS, safe=True)


def _create_search_index(db: peewee.Database) -> None:
    from crm_tui.db import search  # loaded when a step needs it: `crm` only reads the version

    search.install(db)


def _search_by_record_and_name_index(db: peewee.Database) -> None:
    # One index row per order or activity, keyed newest first, and the catalogs' name
    # indexes: install() replaces the older layout and refills everything.
    from crm_tui.db import search

    search.install(db)


def _name_order_indexes(db: peewee.Database) -> None:
    # The lists of clients, contacts and projects by name page on (name_folded, id), which
    # replaces the index on name_folded alone (a new database has it from step 1 already).
    for model in (models.Client, models.Contact, models.Project):
        db.execute_sql(f"DROP INDEX IF EXISTS {model._meta.table_name}_name_folded")
        model._schema.create_indexes(safe=True)


def _home_screen(db: peewee.Database) -> None:
    # PostgreSQL: screens that follow other users' changes hear of each commit (SQLite
    # needs nothing: PRAGMA data_version tells).
    changes.install_notify_triggers(db)
    # The home screen's list: a person's pending activities, and the tasks assigned to
    # them, newest first, each on its own index.
    db.execute_sql('CREATE INDEX IF NOT EXISTS activity_user_status_when_id '
                   'ON activity (user_id, status, "when", id)')
    db.execute_sql('CREATE INDEX IF NOT EXISTS activity_assignee_status_when_id '
                   'ON activity (assignee_id, status, "when", id)')


def _report_indexes(db: peewee.Database) -> None:
    # The indexes models.py declares that an older database lacks (IF NOT EXISTS).
    for model in (models.Activity, models.ServiceOrder, models.ServiceEntry):
        model._schema.create_indexes(safe=True)


def _audit_history(db: peewee.Database) -> None:
    # Every change to a record, written with it; then the indexes models.py may have
    # gained since step 6, and (PostgreSQL) change notifications from every table a list
    # shows, now that every list follows other users' changes.
    db.create_tables([models.AuditEntry], safe=True)
    _report_indexes(db)
    changes.install_notify_triggers(db)


def _search_box_key_walk(db: peewee.Database) -> None:
    # PostgreSQL: the catalogs' search box walks the key with the name beside it.
    from crm_tui.db import name_index

    name_index.install_key_walk(db)


STEPS: list[Step] = [
    Step(1, "records of the CRM", _create_base_tables),
    Step(2, "concept search index", _create_search_index),
    Step(3, "concept search newest first, catalog name index", _search_by_record_and_name_index),
    Step(4, "catalog lists by name on (name, id)", _name_order_indexes),
    Step(5, "the home screen: change notifications, a person's pending activities", _home_screen),
    Step(6, "indexes the counting reports read alone", _report_indexes),
    Step(7, "audit history of every change; every list hears of changes", _audit_history),
    Step(8, "catalog search box: the key with the name beside it (PostgreSQL)", _search_box_key_walk),
]
LATEST_VERSION = STEPS[-1].version


def schema_version(db: peewee.Database | None = None) -> int:
    """The version stored in the database; 0 for an empty one."""
    db = db or database
    if not db.table_exists(models.Meta._meta.table_name):
        return 0
    row = models.Meta.get_or_none(models.Meta.key == SCHEMA_VERSION_KEY)
    return int(row.value) if row else 0


def _store_version(version: int) -> None:
    models.Meta.insert(key=SCHEMA_VERSION_KEY, value=str(version)).on_conflict(
        conflict_target=[models.Meta.key], update={models.Meta.value: str(version)}
    ).execute()


def pending_steps(db: peewee.Database | None = None) -> list[Step]:
    current = schema_version(db)
    return [step for step in STEPS if step.version > current]


def upgrade(db: peewee.Database | None = None, upto: int | None = None) -> tuple[int, int]:
    """Run the missing steps (up to `upto`, for tests) and return (old, new) versions."""
    db = db or database
    before = schema_version(db)
    if before > LATEST_VERSION:
        raise RuntimeError(
            f"This database has schema version {before}, newer than this program knows "
            f"({LATEST_VERSION}): upgrade crm_tui"
        )
    for step in pending_steps(db):
        if upto is not None and step.version > upto:
            break
        with db.atomic():
            _run(step, db)
            _store_version(step.version)
    return before, schema_version(db)


def _run(step: Step, db: peewee.Database) -> None:
    step.apply(db)
    if step.version == 1:
        db.create_tables([models.Meta], safe=True)


def build_schema(db: peewee.Database, upto: int = LATEST_VERSION) -> None:
    """Run every step up to `upto` on an empty database (or schema) that the models are
    bound to, storing no version: the schema this code makes, built apart so that
    `crm check` can compare a database with it."""
    for step in STEPS:
        if step.version <= upto:
            _run(step, db)
