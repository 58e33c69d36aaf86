"""Concept search over order details, service entries and activity details.

SQLite: an FTS5 table (unicode61, diacritics removed) kept in sync by triggers.
PostgreSQL: a tsvector column with a GIN index, an unaccent text-search configuration and
triggers. Both fold accents and case ("camara" finds "Cámara"), and both take any text a
user types: the words are pulled out of it and quoted, so no input is a syntax error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import peewee

HIT_START = "\x02"
HIT_END = "\x03"

ORDER, ACTIVITY = "order", "activity"

# Each source row owns one index row whose id is derived from its own id, so a trigger can
# replace or delete it by primary key instead of scanning.
_SOURCES = (
    # table, text column, slot, target kind, target id expression
    ("service_order", "detail", 1, ORDER, "id"),
    ("service_entry", "work_done", 2, ORDER, "order_id"),
    ("activity", "detail", 3, ACTIVITY, "id"),
)
_SLOTS = 4

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12


@dataclass(frozen=True)
class SearchHit:
    target_kind: str  # ORDER or ACTIVITY
    target_id: int
    score: float  # higher is better
    snippet: str  # the matching text, hits wrapped in HIT_START / HIT_END


def query_words(text: str) -> list[str]:
    """The searchable words in what the user typed (punctuation and operators dropped)."""
    return _WORD.findall(text or "")[:MAX_QUERY_WORDS]


def _is_phrase(text: str) -> bool:
    stripped = (text or "").strip()
    return len(stripped) > 1 and stripped[0] == stripped[-1] == '"'


def _unwrap(db):
    return db.obj if isinstance(db, peewee.DatabaseProxy) else db


def install(db: peewee.Database) -> None:
    """Create the index, its triggers, and fill it from the rows already there."""
    db = _unwrap(db)
    if isinstance(db, peewee.PostgresqlDatabase):
        _install_postgres(db)
    else:
        _install_sqlite(db)


def drop_sync(db: peewee.Database) -> None:
    """Drop the triggers that keep the index in sync, before a bulk load.

    The index is stale until `install(db)` recreates the triggers and refills it.
    """
    db = _unwrap(db)
    postgres = isinstance(db, peewee.PostgresqlDatabase)
    for table, *_rest in _SOURCES:
        if postgres:
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_search ON {table}")
        else:
            for suffix in ("ai", "au", "ad"):
                db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")


def search(db: peewee.Database, text: str, limit: int = 50) -> list[SearchHit]:
    """Orders and activities whose text matches `text`, best first, one hit per record."""
    words = query_words(text)
    if not words or limit <= 0:
        return []
    phrase = _is_phrase(text)
    db = _unwrap(db)
    if isinstance(db, peewee.PostgresqlDatabase):
        rows = _search_postgres(db, words, phrase, limit * 3)
    else:
        rows = _search_sqlite(db, words, phrase, limit * 3)
    best: dict[tuple[str, int], SearchHit] = {}
    for kind, target_id, score, snippet in rows:
        hit = SearchHit(kind, int(target_id), float(score), snippet or "")
        key = (hit.target_kind, hit.target_id)
        if key not in best or hit.score > best[key].score:
            best[key] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.target_kind, -h.target_id))[:limit]


# --- SQLite -------------------------------------------------------------------------


def _install_sqlite(db: peewee.Database) -> None:
    db.execute_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
        "body, target_kind UNINDEXED, target_id UNINDEXED, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table, column, slot, kind, target in _SOURCES:
        row_id = f"{{row}}.id * {_SLOTS} + {slot}"
        insert = (
            f"INSERT INTO search_index(rowid, body, target_kind, target_id) "
            f"VALUES ({row_id.format(row='new')}, new.{column}, '{kind}', new.{target});"
        )
        delete = f"DELETE FROM search_index WHERE rowid = {row_id.format(row='old')};"
        db.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {table}_search_ai AFTER INSERT ON {table} BEGIN {insert} END")
        db.execute_sql(
            f"CREATE TRIGGER IF NOT EXISTS {table}_search_au AFTER UPDATE OF {column}, {target} ON {table} "
            f"BEGIN {delete} {insert} END"
        )
        db.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {table}_search_ad AFTER DELETE ON {table} BEGIN {delete} END")
    rebuild_sqlite(db)


# FTS5 keeps this many bytes of new terms in memory before writing a segment. A big
# buffer while refilling writes fewer, larger segments (a third faster on a million
# rows); everyday small transactions go back to the default.
_REFILL_HASH_BYTES = 64 * 1024 * 1024
_DEFAULT_HASH_BYTES = 1024 * 1024


def rebuild_sqlite(db: peewee.Database) -> None:
    """Refill the FTS table from its sources (also used after a bulk load)."""
    db.execute_sql("DELETE FROM search_index")
    _set_fts_hash_size(db, _REFILL_HASH_BYTES)
    try:
        for table, column, slot, kind, target in _SOURCES:
            db.execute_sql(
                f"INSERT INTO search_index(rowid, body, target_kind, target_id) "
                f"SELECT id * {_SLOTS} + {slot}, {column}, '{kind}', {target} FROM {table}"
            )
    finally:
        _set_fts_hash_size(db, _DEFAULT_HASH_BYTES)


def _set_fts_hash_size(db: peewee.Database, size: int) -> None:
    db.execute_sql("INSERT INTO search_index(search_index, rank) VALUES ('hashsize', ?)", (size,))


def _fts_query(words: list[str], phrase: bool) -> str:
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if phrase:
        return '"' + " ".join(w.replace('"', '""') for w in words) + '"'
    return " AND ".join(quoted)


def _search_sqlite(db, words, phrase, limit):
    cursor = db.execute_sql(
        "SELECT target_kind, target_id, -rank, "
        f"snippet(search_index, 0, '{HIT_START}', '{HIT_END}', '…', 16) "
        "FROM search_index WHERE search_index MATCH ? ORDER BY rank LIMIT ?",
        (_fts_query(words, phrase), limit),
    )
    return cursor.fetchall()


# --- PostgreSQL ---------------------------------------------------------------------


def _install_postgres(db: peewee.Database) -> None:
    db.execute_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    exists = db.execute_sql(
        "SELECT 1 FROM pg_ts_config WHERE cfgname = 'crm_text' "
        "AND cfgnamespace = current_schema()::regnamespace"
    ).fetchone()
    if not exists:
        db.execute_sql("CREATE TEXT SEARCH CONFIGURATION crm_text (COPY = simple)")
        db.execute_sql(
            "ALTER TEXT SEARCH CONFIGURATION crm_text "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple"
        )
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS search_index ("
        "id BIGINT PRIMARY KEY, target_kind VARCHAR(10) NOT NULL, target_id INTEGER NOT NULL, "
        "body TEXT NOT NULL, tsv TSVECTOR NOT NULL)"
    )
    db.execute_sql("CREATE INDEX IF NOT EXISTS search_index_tsv ON search_index USING GIN (tsv)")
    for table, column, slot, kind, target in _SOURCES:
        db.execute_sql(
            f"""
            CREATE OR REPLACE FUNCTION {table}_search_sync() RETURNS trigger AS $$
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                DELETE FROM search_index WHERE id = OLD.id * {_SLOTS} + {slot};
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO search_index(id, target_kind, target_id, body, tsv)
                VALUES (NEW.id * {_SLOTS} + {slot}, '{kind}', NEW.{target}, NEW.{column},
                        to_tsvector('crm_text', NEW.{column}));
              END IF;
              RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_search ON {table}")
        db.execute_sql(
            f"CREATE TRIGGER {table}_search AFTER INSERT OR DELETE OR UPDATE OF {column}, {target} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_search_sync()"
        )
    rebuild_postgres(db)


def rebuild_postgres(db: peewee.Database) -> None:
    db.execute_sql("DELETE FROM search_index")
    for table, column, slot, kind, target in _SOURCES:
        db.execute_sql(
            f"INSERT INTO search_index(id, target_kind, target_id, body, tsv) "
            f"SELECT id * {_SLOTS} + {slot}, '{kind}', {target}, {column}, "
            f"to_tsvector('crm_text', {column}) FROM {table}"
        )


def _search_postgres(db, words, phrase, limit):
    builder = "phraseto_tsquery" if phrase else "plainto_tsquery"
    options = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=2"
    cursor = db.execute_sql(
        f"""
        SELECT best.target_kind, best.target_id, best.score,
               ts_headline('crm_text', best.body, best.query, %s)
        FROM (
          SELECT target_kind, target_id, body, query, ts_rank(tsv, query) AS score
          FROM search_index, {builder}('crm_text', %s) AS query
          WHERE tsv @@ query
          ORDER BY score DESC
          LIMIT %s
        ) AS best
        ORDER BY best.score DESC
        """,
        (options, " ".join(words), limit),
    )
    return cursor.fetchall()
