"""Concept search over order details, service entries and activity details.

SQLite: an FTS5 table (unicode61, diacritics removed) kept in sync by triggers.
PostgreSQL: a tsvector column with a GIN index, an unaccent text-search configuration and
triggers. Both fold accents and case ("camara" finds "Cámara"), and both take any text a
user types: the words are pulled out of it and quoted, so no input is a syntax error.

Ranking is capped, so a common word costs about what a rare one does. Ranking every match
of a word that half the rows hold ("cliente", "falla") would take most of a second on a
million orders; instead the newest matches are taken first, walking the index by id from
the top (FTS5 walks a word's row list in id order and stops early; bm25() runs only for
the rows kept), and only those are ranked. A word with fewer matches than the cap is
ranked in full, exactly as without it; for a common word the best among the newest
matches is what a help desk wants.

"Newest" by index id needs care: an index row's id is its source row's id * 4 + a slot
per source, so ids follow each source's own numbering, and the sources grow at different
rates (about two service entries per order). Above the highest order and activity ids
there are only service entries, so one walk from the top would fill the cap with recent
entries and never reach an order detail or an activity. The id range is therefore cut in
bands at each source's highest id: in the band below the lowest of them every source is
present, and each band gives its own newest CANDIDATES_PER_BAND matches (a band too narrow
to matter joins the one below). Every source so has its newest matches among the
candidates, whichever grows fastest. Scores are comparable across bands (the same
collection statistics). On SQLite each band is a separate walk, so the cost is a few
walks of a bounded number of rows, plus one quick pass over the word's row list per walk
that bm25() makes to count the matches. On PostgreSQL the matching ids are read from the
GIN index once and only each band's newest are given ts_rank.

Snippets (the costly part of a hit) are made only for the hits returned.
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

# The newest matches of each id band that are ranked (see the module's docstring); a
# search asking for more results than this ranks CANDIDATES_PER_LIMIT times its limit.
CANDIDATES_PER_BAND = 300
CANDIDATES_PER_LIMIT = 4


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
    """Orders and activities whose text matches `text`, best first, one hit per record.

    For a word with many matches, the best among the newest matches of each source (see
    the module's docstring).
    """
    words = query_words(text)
    if not words or limit <= 0:
        return []
    phrase = _is_phrase(text)
    db = _unwrap(db)
    bands = _bands(_tops(db), max(CANDIDATES_PER_BAND, CANDIDATES_PER_LIMIT * limit))
    if not bands:
        return []
    if isinstance(db, peewee.PostgresqlDatabase):
        rows = _search_postgres(db, words, phrase, bands, limit)
    else:
        rows = _search_sqlite(db, words, phrase, bands, limit)
    hits = [SearchHit(kind, int(target_id), float(score), snippet or "")
            for kind, target_id, score, snippet in rows]
    return sorted(hits, key=lambda h: (-h.score, h.target_kind, -h.target_id))[:limit]


def _tops(db: peewee.Database) -> list[int]:
    """The highest index id of each source that has rows."""
    columns = ", ".join(f"(SELECT MAX(id) FROM {table})" for table, *_rest in _SOURCES)
    highest = db.execute_sql(f"SELECT {columns}").fetchone()
    return [top * _SLOTS + slot for top, (_table, _column, slot, *_rest) in zip(highest, _SOURCES)
            if top is not None]


def _bands(tops: list[int], per_band: int) -> list[tuple[int, int, int]]:
    """(lowest id, highest id, candidates) of each band, highest band first.

    A band ends at each source's highest id; one spanning fewer than `per_band` source
    ids joins the band below it (it cannot crowd that band much).
    """
    bands = []
    ordered = sorted(set(tops), reverse=True)
    high = None
    for top, below in zip(ordered, ordered[1:] + [0]):
        high = top if high is None else high
        if below == 0 or (top - below) // _SLOTS >= per_band:
            bands.append((below + 1, high, per_band))
            high = None
    return bands


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


_KIND_OF_SLOT = {slot: kind for _table, _column, slot, kind, _target in _SOURCES}
# Sources whose index rows point at the source row itself: the target is the id.
_SELF_TARGET_SLOTS = {slot for _table, _column, slot, _kind, target in _SOURCES if target == "id"}


def _search_sqlite(db, words, phrase, bands, limit):
    match = _fts_query(words, phrase)
    walks = " UNION ALL ".join(
        "SELECT * FROM (SELECT rowid, bm25(search_index) FROM search_index "
        "WHERE search_index MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?)"
        for _band in bands)
    params = [value for low, high, count in bands for value in (match, low, high, count)]
    candidates = db.execute_sql(walks, params).fetchall()
    # bm25() is lower for better matches; ties go to the newer row.
    ranked = sorted(candidates, key=lambda row: (row[1], -row[0]))
    chosen = _sqlite_best_per_record(db, ranked, limit)
    snippets = _sqlite_snippets(db, match, bands, [row[0] for row, _kind, _target in chosen])
    return [(kind, target_id, -score, snippets.get(rowid, ""))
            for (rowid, score), kind, target_id in chosen]


def _sqlite_best_per_record(db, ranked, limit):
    """The best-ranked row of each record, up to `limit` records.

    Only service entries need their order looked up; that is done in ranked chunks, so a
    record with many matching rows cannot leave the list short."""
    chosen: list = []
    seen: set[tuple[str, int]] = set()
    chunk = max(limit * 3, 50)
    for start in range(0, len(ranked), chunk):
        part = ranked[start:start + chunk]
        targets = _sqlite_targets(db, [rowid for rowid, _score in part])
        for row in part:
            target = targets.get(row[0])
            if target is not None and target not in seen:
                seen.add(target)
                chosen.append((row, *target))
                if len(chosen) == limit:
                    return chosen
    return chosen


def _sqlite_targets(db, rowids: list[int]) -> dict[int, tuple[str, int]]:
    targets = {rowid: (_KIND_OF_SLOT[rowid % _SLOTS], rowid // _SLOTS)
               for rowid in rowids if rowid % _SLOTS in _SELF_TARGET_SLOTS}
    others = [rowid for rowid in rowids if rowid not in targets]
    if others:
        marks = ", ".join("?" * len(others))
        for rowid, kind, target_id in db.execute_sql(
                f"SELECT rowid, target_kind, target_id FROM search_index WHERE rowid IN ({marks})", others):
            targets[rowid] = (kind, int(target_id))
    return targets


def _sqlite_snippets(db, match: str, bands, rowids: list[int]) -> dict[int, str]:
    """The snippet of each row in `rowids`.

    One walk per band, over the band's ids from the lowest chosen one: the chosen rows are
    among the band's newest, so each walk is short (looking each row up by id would make
    FTS5 seek through the word's row list once per row)."""
    walks, params = [], []
    for low, high, _count in bands:
        inside = [rowid for rowid in rowids if low <= rowid <= high]
        if inside:
            # "+rowid" keeps the list a filter: as a constraint, FTS5 would run the whole
            # query once per id.
            walks.append(
                f"SELECT rowid, snippet(search_index, 0, '{HIT_START}', '{HIT_END}', '…', 16) "
                "FROM search_index WHERE search_index MATCH ? AND rowid BETWEEN ? AND ? "
                f"AND +rowid IN ({', '.join('?' * len(inside))})")
            params += [match, min(inside), max(inside), *inside]
    if not walks:
        return {}
    return dict(db.execute_sql(" UNION ALL ".join(walks), params).fetchall())


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


def _search_postgres(db, words, phrase, bands, limit):
    query = f"{'phraseto_tsquery' if phrase else 'plainto_tsquery'}('crm_text', %s)"
    options = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=2"
    # The matching ids come from the GIN index once (MATERIALIZED: asked for the newest
    # few, the planner would rather walk the primary key down checking every row, which
    # for a rare word means the whole table); then each band's newest, ts_rank only for
    # those, the best row of each record, and ts_headline only for the rows returned.
    walks = " UNION ALL ".join(
        "(SELECT id FROM matches WHERE id BETWEEN %s AND %s ORDER BY id DESC LIMIT %s)" for _band in bands)
    text = " ".join(words)
    params = [value for low, high, count in bands for value in (low, high, count)]
    cursor = db.execute_sql(
        f"""
        WITH matches AS MATERIALIZED (SELECT id FROM search_index WHERE tsv @@ {query}),
        candidates AS ({walks}),
        scored AS (
          SELECT DISTINCT ON (s.target_kind, s.target_id)
                 s.id, s.target_kind, s.target_id, s.body, ts_rank(s.tsv, q.query) AS score
          FROM search_index AS s JOIN candidates AS c ON c.id = s.id, {query} AS q(query)
          ORDER BY s.target_kind, s.target_id, score DESC, s.id DESC
        ),
        best AS (SELECT * FROM scored ORDER BY score DESC, id DESC LIMIT %s)
        SELECT best.target_kind, best.target_id, best.score,
               ts_headline('crm_text', best.body, q.query, %s)
        FROM best, {query} AS q(query)
        ORDER BY best.score DESC, best.id DESC
        """,
        (text, *params, text, limit, options, text),
    )
    return cursor.fetchall()
