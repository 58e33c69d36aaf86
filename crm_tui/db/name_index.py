"""The catalog search box's index: which clients and contacts have a name holding a text.

The box finds any part of a name, accents and case aside ("art" finds "Marta Ruiz"), in the
list's order (by key), a page at a time, as the user types.

SQLite: one FTS5 table per catalog with the trigram tokenizer over the folded name, whose
row id is the record's key. A text of three characters or more is a phrase of trigrams, so
the table lists the matching keys in the list's order and the page stops as soon as it is
full, whatever the size of the catalog. A shorter text has no trigram: the list is walked
in key order, which stops early too, since nearly every name holds one or two given
letters.
PostgreSQL: a pg_trgm GIN index on the folded name, which serves LIKE '%text%'. A server
without pg_trgm (or a user who may not create it) keeps the search box working by reading
the table, as it did before; `trigram_index_missing(db)` tells which. The search box first
walks a window of keys from the cursor, where a common text fills its page, on a B-tree of
the key that holds the folded name and the columns the lists filter by, so the walk never
reads the table; only a rarer text goes to the trigram index (crm_tui.services.catalogs).
"""
from __future__ import annotations

import weakref

import peewee

from crm_tui.db.connection import database

MIN_INDEXED_LENGTH = 3  # trigrams: a shorter text cannot use the index

_CATALOGS = ("client", "contact")


class _NameIndex(peewee.Model):
    """An FTS5 name table seen by Peewee, for joining a catalog to it (SQLite only)."""

    key = peewee.IntegerField(primary_key=True, column_name="rowid")
    name = peewee.TextField()

    class Meta:
        database = database


class ClientNames(_NameIndex):
    class Meta:
        table_name = "client_name_index"


class ContactNames(_NameIndex):
    class Meta:
        table_name = "contact_name_index"


INDEX_OF = {"client": ClientNames, "contact": ContactNames}


def _unwrap(db):
    return db.obj if isinstance(db, peewee.DatabaseProxy) else db


def _is_postgres(db) -> bool:
    return isinstance(_unwrap(db), peewee.PostgresqlDatabase)


def is_postgres(db: peewee.Database) -> bool:
    return _is_postgres(db)


def install(db: peewee.Database) -> None:
    """Create the name indexes (and their triggers on SQLite) and fill them."""
    db = _unwrap(db)
    if _is_postgres(db):
        _install_postgres(db)
        _trigram_index_known.pop(db, None)
        return
    drop_sync(db)
    for table in _CATALOGS:
        index = f"{table}_name_index"
        # A new table: emptying a full one would make FTS5 read every row to unindex it.
        db.execute_sql(f"DROP TABLE IF EXISTS {index}")
        db.execute_sql(f"CREATE VIRTUAL TABLE {index} USING fts5(name, tokenize = 'trigram')")
        db.execute_sql(f"INSERT INTO {index}(rowid, name) SELECT key, name_folded FROM {table} ORDER BY key")
        insert = f"INSERT INTO {index}(rowid, name) VALUES (new.key, new.name_folded);"
        delete = f"DELETE FROM {index} WHERE rowid = old.key;"
        db.execute_sql(f"CREATE TRIGGER {table}_name_ai AFTER INSERT ON {table} BEGIN {insert} END")
        db.execute_sql(f"CREATE TRIGGER {table}_name_au AFTER UPDATE OF key, name_folded ON {table} "
                       f"BEGIN {delete} {insert} END")
        db.execute_sql(f"CREATE TRIGGER {table}_name_ad AFTER DELETE ON {table} BEGIN {delete} END")


def drop_sync(db: peewee.Database) -> None:
    """Drop the triggers that keep the name indexes in sync (SQLite; a bulk load)."""
    db = _unwrap(db)
    if _is_postgres(db):
        return
    for table in _CATALOGS:
        for suffix in ("ai", "au", "ad"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_name_{suffix}")


# The columns beside the key in the walk index of each catalog: the name and the filters.
_KEY_WALK_COLUMNS = {"client": "name_folded, active", "contact": "name_folded, active, client_id"}


def install_key_walk(db: peewee.Database) -> None:
    """The B-tree of each catalog's key holding what the search box tests (PostgreSQL)."""
    db = _unwrap(db)
    if not _is_postgres(db):
        return
    for table in _CATALOGS:
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {table}_key_walk ON {table} (key) "
                       f"INCLUDE ({_KEY_WALK_COLUMNS[table]})")


def _install_postgres(db: peewee.Database) -> None:
    install_key_walk(db)
    if not _has_trigram_extension(db):
        return
    for table in _CATALOGS:
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {table}_name_trigram ON {table} "
                       "USING GIN (name_folded gin_trgm_ops)")


def _has_trigram_extension(db: peewee.Database) -> bool:
    """pg_trgm is there, or could be created here (it is a trusted extension from
    PostgreSQL 13 on: the owner of a database may create it)."""
    if db.execute_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone():
        return True
    if not db.execute_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").fetchone():
        return False
    try:
        with db.atomic():  # a savepoint: a refusal must not end the transaction around it
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except peewee.DatabaseError:
        return False
    return True


def trigram_index_missing(db: peewee.Database) -> bool:
    """True on a PostgreSQL database whose catalogs have no trigram index (no pg_trgm):
    the search box then reads the whole table."""
    db = _unwrap(db)
    if not _is_postgres(db):
        return False
    return not db.execute_sql(
        "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'contact_name_trigram'"
    ).fetchone()


# What `has_trigram_index` found for each open database: the search box asks at every rare
# text, and a question to the server costs the time of a page's read when the machine is
# busy. The answer changes only when the search structures are built (`install`); built by
# another process, the box goes on walking the keys (the same rows, slower) until the
# database is opened again.
_trigram_index_known: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def has_trigram_index(db: peewee.Database) -> bool:
    """True on a PostgreSQL database whose catalogs have their trigram index; asked of the
    server once for each database opened."""
    db = _unwrap(db)
    if db not in _trigram_index_known:
        _trigram_index_known[db] = _is_postgres(db) and not trigram_index_missing(db)
    return _trigram_index_known[db]


def uses_index(db: peewee.Database, folded_text: str) -> bool:
    """Whether a search for `folded_text` goes through the SQLite name index (a join on
    its key) rather than a condition on the catalog's own rows."""
    return not _is_postgres(db) and len(folded_text) >= MIN_INDEXED_LENGTH


def phrase(folded_text: str) -> str:
    """The FTS5 query for "the name holds this text": one quoted phrase of its trigrams."""
    return '"' + folded_text.replace('"', '""') + '"'


def matches(index: type[_NameIndex], folded_text: str) -> peewee.Expression:
    return peewee.Expression(index.name, "MATCH", phrase(folded_text))


def keys_matching(index: type[_NameIndex], folded_text: str) -> peewee.ModelSelect:
    """The keys whose name holds `folded_text` (SQLite, three characters or more)."""
    return index.select(index.key).where(matches(index, folded_text))
