"""Concept search over order details, service entries and activity details.

The index holds one row per record a search shows: an order (its detail, and the work done
of its service entries, in the order they were logged) or an activity (its detail). A
row's id is the record's sort key, which grows from the newest record to the oldest:

    key = (2**27 - 1 - hour of the record's date) * 2**30
          + (2**29 - 1 - record id mod 2**29) * 2 + kind (0 order, 1 activity)

(the date an order was created, the date of an activity; within one hour, the higher id
first), so the index itself lists the matches of a word newest first: a page of results
reads its rows straight from the index and stops at the page, whatever the number of
matches. Newest first is the index's ascending order, the one FTS5 walks fastest (about
twice as fast as backwards when the words are many). The hour (rather than the minute)
keeps neighbouring keys a few units apart, which keeps the index compact: a key of
minutes makes each step of a row list five bytes instead of one or two, twice the index
and a third more time to build it.

SQLite: an FTS5 table (unicode61, diacritics removed) kept in sync by triggers.
PostgreSQL: a table with a tsvector (the `simple` parser through `unaccent`: the record's
own text weighted A, its service entries B) under a GIN index, kept in sync by triggers.
Both fold accents and case ("camara" finds "Cámara"), and both take any text a user
types: only its words are searched, so no input is a syntax error.

Pages: newest first is a keyset page on the key. By relevance, the matches are taken in
blocks of RANK_BLOCK consecutive matches, newest block first, and each block is ranked (how
often the words occur, the record's own text above its service entries; ties newest first);
a search with at most RANK_BLOCK matches is one block, ranked exactly as a whole. Each
page so costs at most one block, and every match is reached by paging on. The count is
exact up to COUNT_LIMIT; above it the page says "more than COUNT_LIMIT".

The catalog search box has its own index of names (see `name_index`); `install` and
`drop_sync` handle both, so a bulk load or a repair rebuilds every search structure.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import peewee

from crm_tui.db import name_index

HIT_START = "\x02"
HIT_END = "\x03"

ORDER, ACTIVITY = "order", "activity"
NEWEST, RELEVANCE = "newest", "relevance"

# The words of a query: what the index's tokenizer keeps (letters and digits).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 12

COUNT_LIMIT = 500  # matches counted exactly; above it the count is a lower bound
RANK_BLOCK = 500  # consecutive matches ranked together when ordering by relevance

_HOUR_UNIT = 2 ** 30
_ID_RANGE = 2 ** 29
_LAST_HOUR = 2 ** 27 - 1  # the year 17000; dates before 1970 count back from it as well
_KIND_BIT = {ORDER: 0, ACTIVITY: 1}

# How much a hit in an order's service entries counts against one in the record's own text
# (PostgreSQL's ts_rank weights B and A: 0.4 and 1.0).
_WORK_WEIGHT = 0.4
_CHARACTERS_PER_WORD = 6


@dataclass(frozen=True)
class SearchHit:
    target_kind: str  # ORDER or ACTIVITY
    target_id: int
    score: float  # higher is better (0 in a newest-first page)
    snippet: str  # the matching text, hits wrapped in HIT_START / HIT_END
    key: int = 0  # the record's place in the index (its sort key)


@dataclass(frozen=True)
class HitPage:
    """One page of hits in the order asked for, with a keyset cursor per hit."""

    hits: list[SearchHit]
    cursors: list[tuple]
    has_before: bool
    has_after: bool
    total: int  # matches counted: all of them when `total_exact`, else a lower bound
    total_exact: bool
    ranked_per_block: int | None = None  # by relevance: ranked in blocks of this many; None: as a whole


EMPTY_PAGE = HitPage([], [], False, False, 0, True)


def query_words(text: str) -> list[str]:
    """The searchable words in what the user typed (punctuation and operators dropped)."""
    return _WORD.findall(text or "")[:MAX_QUERY_WORDS]


def _distinct(words: list[str]) -> list[str]:
    """Each word once: every word must appear, so saying one twice adds nothing."""
    seen: set[str] = set()
    return [word for word in words if not (word.casefold() in seen or seen.add(word.casefold()))]


def _is_phrase(text: str) -> bool:
    stripped = (text or "").strip()
    return len(stripped) > 1 and stripped[0] == stripped[-1] == '"'


def _unwrap(db):
    return db.obj if isinstance(db, peewee.DatabaseProxy) else db


def _is_postgres(db) -> bool:
    return isinstance(_unwrap(db), peewee.PostgresqlDatabase)


# --- building -------------------------------------------------------------------------


def install(db: peewee.Database) -> None:
    """Create every search structure (concept search and catalog names) and its triggers,
    replacing an older layout, and fill it from the rows already there."""
    db = _unwrap(db)
    drop_sync(db)
    if _is_postgres(db):
        _install_postgres(db)
    else:
        _install_sqlite(db)
    name_index.install(db)


def drop_sync(db: peewee.Database) -> None:
    """Drop the triggers that keep the search structures in sync, before a bulk load.

    They are stale until `install(db)` recreates the triggers and refills them.
    """
    db = _unwrap(db)
    for table in ("service_order", "service_entry", "activity"):
        if _is_postgres(db):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_search ON {table}")
        else:
            for suffix in ("ai", "au", "ad"):
                db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
    name_index.drop_sync(db)


def rebuild(db: peewee.Database) -> None:
    """Refill the concept-search index from its sources (the triggers stay as they are)."""
    db = _unwrap(db)
    if _is_postgres(db):
        _refill_postgres(db)
    else:
        _refill_sqlite(db)


def indexed_and_expected(db: peewee.Database) -> tuple[int, int]:
    """Rows in the concept-search index, and rows it should hold (one per order and activity)."""
    db = _unwrap(db)
    indexed, orders, activities = db.execute_sql(
        "SELECT (SELECT count(*) FROM search_index), (SELECT count(*) FROM service_order), "
        "(SELECT count(*) FROM activity)").fetchone()
    return int(indexed), int(orders) + int(activities)


# --- searching ------------------------------------------------------------------------


def search(db: peewee.Database, text: str, limit: int = 50, order: str = NEWEST) -> list[SearchHit]:
    """The first `limit` orders and activities whose text matches `text`, one hit per record."""
    return search_page(db, text, order=order, limit=limit).hits


def search_page(db: peewee.Database, text: str, order: str = NEWEST, after: tuple | None = None,
                before: tuple | None = None, last: bool = False, limit: int = 50) -> HitPage:
    """One page of the records whose text matches `text`: the first, the last, or the one
    after / before a cursor of an earlier page, newest first or by relevance."""
    words = query_words(text)
    if not words or limit <= 0:
        return EMPTY_PAGE
    db = _unwrap(db)
    phrase = _is_phrase(text)
    words = words if phrase else _distinct(words)
    index = _PostgresIndex(db, words, phrase) if _is_postgres(db) else _SqliteIndex(db, words, phrase)
    # The newest matches, up to one more than are counted: the count, and the first page.
    newest = index.keys(low=None, high=None, ascending=True, limit=max(COUNT_LIMIT, limit) + 1)
    if not newest:
        return EMPTY_PAGE
    total, exact = min(len(newest), COUNT_LIMIT), len(newest) <= COUNT_LIMIT
    if order == RELEVANCE:
        page = _relevance_page(index, after, before, last, limit)
        blocks = None if exact and total <= RANK_BLOCK else RANK_BLOCK
    else:
        page = _newest_page(index, after, before, last, limit, newest)
        blocks = None
    hits, cursors, has_before, has_after = page
    return HitPage(hits, cursors, has_before, has_after, total, exact, blocks)


def _newest_page(index, after, before, last, limit, newest: list[int]):
    """Keyset paging on the key, newest first (`newest`: the first keys, already read)."""
    if before is not None or last:
        rows = index.rows(low=None, high=None if last else before[0] - 1, ascending=False, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit][::-1]
        has_before, has_after = more, not last
    elif after is None:
        found = {row[0]: row for row in index.rows_by_key(newest[:limit])}
        rows = [found[key] for key in newest[:limit] if key in found]
        has_before, has_after = False, len(newest) > limit
    else:
        rows = index.rows(low=after[0] + 1, high=None, ascending=True, limit=limit + 1)
        has_before, has_after = True, len(rows) > limit
        rows = rows[:limit]
    hits = [SearchHit(kind, int(target), 0.0, snippet or "", key) for key, kind, target, snippet in rows]
    return hits, [(hit.key,) for hit in hits], has_before, has_after


# By relevance: a block is (first, last), the keys of its newest and its oldest match; a
# cursor is (first, last, score, key). Within a block rows go by score, then newest first.


def _rank_order(score: float, key: int) -> tuple:
    return (-score, key)


def _block_from(index, first: int | None) -> tuple[tuple[int, int], list] | None:
    """The block of the RANK_BLOCK matches from `first` on (from the newest: None), ranked."""
    return _block(index.scores(low=first, high=None, ascending=True, limit=RANK_BLOCK))


def _block_until(index, last: int | None) -> tuple[tuple[int, int], list] | None:
    """The block of the RANK_BLOCK matches up to `last` (up to the oldest: None), ranked."""
    return _block(index.scores(low=None, high=last, ascending=False, limit=RANK_BLOCK))


def _block_between(index, first: int, last: int) -> tuple[tuple[int, int], list] | None:
    """The block a cursor names, ranked again (the same scores, so the cursor's place holds)."""
    scored = index.scores(low=first, high=last, ascending=True, limit=None)
    return ((first, last), _ranked(scored)) if scored else ((first, last), [])


def _block(scored: list[tuple[float, int]]) -> tuple[tuple[int, int], list] | None:
    if not scored:
        return None
    keys = [key for _score, key in scored]
    return (min(keys), max(keys)), _ranked(scored)


def _ranked(scored: list[tuple[float, int]]) -> list[tuple[float, int]]:
    return sorted(scored, key=lambda item: _rank_order(*item))


def _relevance_page(index, after, before, last, limit):
    if before is not None or last:
        return _relevance_backward(index, before, limit)
    return _relevance_forward(index, after, limit)


def _relevance_forward(index, after, limit):
    if after is None:
        found, start = _block_from(index, None), None
    else:
        found, start = _block_between(index, after[0], after[1]), _rank_order(after[2], after[3])
    chosen: list[tuple[tuple[int, int], float, int]] = []
    remaining: list = []
    block = None
    while found is not None:
        block, ranked = found
        if start is not None:
            ranked = [item for item in ranked if _rank_order(*item) > start]
            start = None
        room = limit - len(chosen)
        chosen += [(block, score, key) for score, key in ranked[:room]]
        remaining = ranked[room:]
        if len(chosen) == limit:
            break
        found = _block_from(index, block[1] + 1)
    has_after = bool(remaining) or (found is not None and bool(index.keys(
        low=block[1] + 1, high=None, ascending=True, limit=1)))
    return _relevance_hits(index, chosen) + (after is not None, has_after)


def _relevance_backward(index, before, limit):
    if before is None:
        found, end = _block_until(index, None), None
    else:
        found, end = _block_between(index, before[0], before[1]), _rank_order(before[2], before[3])
    chosen: list[tuple[tuple[int, int], float, int]] = []
    remaining: list = []
    block = None
    while found is not None:
        block, ranked = found
        if end is not None:
            ranked = [item for item in ranked if _rank_order(*item) < end]
            end = None
        room = limit - len(chosen)
        taken = ranked[-room:] if room < len(ranked) else ranked
        chosen = [(block, score, key) for score, key in taken] + chosen
        remaining = ranked[:len(ranked) - len(taken)]
        if len(chosen) == limit:
            break
        found = _block_until(index, block[0] - 1)
    has_before = bool(remaining) or (found is not None and bool(index.keys(
        low=None, high=block[0] - 1, ascending=False, limit=1)))
    return _relevance_hits(index, chosen) + (has_before, before is not None)


def _relevance_hits(index, chosen) -> tuple[list[SearchHit], list[tuple]]:
    found = {key: (kind, target, snippet) for key, kind, target, snippet in index.rows_by_key(
        [key for _block, _score, key in chosen])}
    hits, cursors = [], []
    for (first, last), score, key in chosen:
        if key in found:  # else deleted since it was ranked
            kind, target, snippet = found[key]
            hits.append(SearchHit(kind, int(target), score, snippet or "", key))
            cursors.append((first, last, score, key))
    return hits, cursors


def _score(hits_in_text: int, hits_in_work: int, characters: int) -> float:
    """How well a record matches on SQLite: its hits, the record's own text above its
    service entries (as PostgreSQL's ts_rank weighs A and B), and of two texts with as many
    hits, the shorter one first."""
    words = max(1, characters // _CHARACTERS_PER_WORD)
    return round((hits_in_text + _WORK_WEIGHT * hits_in_work) / (1 + math.log(words)), 9)


# --- SQLite -------------------------------------------------------------------------

# The key of a record, in SQL: hour of its date, then its id, then its kind.
_SQLITE_KEY = (f"(({_LAST_HOUR} - COALESCE(CAST(strftime('%s', {{date}}) AS INTEGER), 0) / 3600) * {_HOUR_UNIT} "
               f"+ ({_ID_RANGE - 1} - {{ident}} % {_ID_RANGE}) * 2 + {{kind}})")
_ORDER_KEY = _SQLITE_KEY.format(date="o.created_at", ident="o.id", kind=_KIND_BIT[ORDER])
_ACTIVITY_KEY = _SQLITE_KEY.format(date='a."when"', ident="a.id", kind=_KIND_BIT[ACTIVITY])

_SQLITE_COLUMNS = "INSERT INTO search_index(rowid, body, work, target_kind, target_id) "
# An order's row: its detail, and the work done of its entries in the order they were logged.
_SQLITE_ORDER_ROWS = (
    f"SELECT {_ORDER_KEY}, o.detail, (SELECT group_concat(work_done, char(10)) FROM "
    "(SELECT e.work_done FROM service_entry AS e WHERE e.order_id = o.id ORDER BY e.\"when\", e.id)), "
    f"'{ORDER}', o.id FROM service_order AS o")
_SQLITE_ACTIVITY_ROWS = f"SELECT {_ACTIVITY_KEY}, a.detail, NULL, '{ACTIVITY}', a.id FROM activity AS a"


def _sqlite_key_of(row: str, table: str) -> str:
    if table == "activity":
        return _SQLITE_KEY.format(date=f'{row}."when"', ident=f"{row}.id", kind=_KIND_BIT[ACTIVITY])
    return _SQLITE_KEY.format(date=f"{row}.created_at", ident=f"{row}.id", kind=_KIND_BIT[ORDER])


def _sqlite_layout_is_current(db) -> bool:
    if not db.table_exists("search_index"):
        return False
    columns = [row[1] for row in db.execute_sql("PRAGMA table_info(search_index)").fetchall()]
    return "work" in columns


def _install_sqlite(db: peewee.Database) -> None:
    if not _sqlite_layout_is_current(db):
        db.execute_sql("DROP TABLE IF EXISTS search_index")
        db.execute_sql(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "body, work, target_kind UNINDEXED, target_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')")
    _create_sqlite_triggers(db)
    _refill_sqlite(db)


def _create_sqlite_triggers(db: peewee.Database) -> None:
    def order_row(order_id: str) -> str:
        return (f"DELETE FROM search_index WHERE rowid = (SELECT {_ORDER_KEY} FROM service_order AS o "
                f"WHERE o.id = {order_id}); {_SQLITE_COLUMNS}{_SQLITE_ORDER_ROWS} WHERE o.id = {order_id};")

    def drop(row: str, table: str) -> str:
        return f"DELETE FROM search_index WHERE rowid = {_sqlite_key_of(row, table)};"

    add_activity = f"{_SQLITE_COLUMNS}{_SQLITE_ACTIVITY_ROWS} WHERE a.id = new.id;"
    triggers = {
        "service_order_search_ai": f"AFTER INSERT ON service_order BEGIN {order_row('new.id')} END",
        "service_order_search_au": ("AFTER UPDATE OF detail, created_at ON service_order "
                                    f"BEGIN {drop('old', 'service_order')} {order_row('new.id')} END"),
        "service_order_search_ad": f"AFTER DELETE ON service_order BEGIN {drop('old', 'service_order')} END",
        "service_entry_search_ai": f"AFTER INSERT ON service_entry BEGIN {order_row('new.order_id')} END",
        "service_entry_search_au": ('AFTER UPDATE OF work_done, order_id, "when" ON service_entry '
                                    f"BEGIN {order_row('old.order_id')} {order_row('new.order_id')} END"),
        "service_entry_search_ad": f"AFTER DELETE ON service_entry BEGIN {order_row('old.order_id')} END",
        "activity_search_ai": f"AFTER INSERT ON activity BEGIN {add_activity} END",
        "activity_search_au": ('AFTER UPDATE OF detail, "when" ON activity '
                               f"BEGIN {drop('old', 'activity')} {add_activity} END"),
        "activity_search_ad": f"AFTER DELETE ON activity BEGIN {drop('old', 'activity')} END",
    }
    for name, body in triggers.items():
        db.execute_sql(f"CREATE TRIGGER {name} {body}")


# FTS5 keeps this many bytes of new terms in memory before writing a segment. A big
# buffer while refilling writes fewer, larger segments (a third faster on a million
# rows); everyday small transactions go back to the default.
_REFILL_HASH_BYTES = 64 * 1024 * 1024
_DEFAULT_HASH_BYTES = 1024 * 1024


def _refill_sqlite(db: peewee.Database) -> None:
    db.execute_sql("DELETE FROM search_index")
    _set_fts_hash_size(db, _REFILL_HASH_BYTES)
    try:
        # In key order: a key lower than the last one written makes FTS5 write out its buffer.
        for rows in (_SQLITE_ORDER_ROWS, _SQLITE_ACTIVITY_ROWS):
            db.execute_sql(f"{_SQLITE_COLUMNS}{rows} ORDER BY 1")
    finally:
        _set_fts_hash_size(db, _DEFAULT_HASH_BYTES)


def rebuild_sqlite(db: peewee.Database) -> None:
    """Refill the FTS table from its sources (also used after a bulk load)."""
    _refill_sqlite(_unwrap(db))


def _set_fts_hash_size(db: peewee.Database, size: int) -> None:
    db.execute_sql("INSERT INTO search_index(search_index, rank) VALUES ('hashsize', ?)", (size,))


def _fts_query(words: list[str], phrase: bool) -> str:
    if phrase:
        return '"' + " ".join(words) + '"'
    return " AND ".join(f'"{word}"' for word in words)


# A word in at least one record in COMMON_SHARE is common (as "el", "para", "revisar").
_COMMON_SHARE = 20
_COMMON_PROBE = 32


def _sqlite_grouped_query(db, words: list[str]) -> str:
    """The FTS5 query for every one of `words`, with the rarer words grouped.

    FTS5 evaluates an AND by moving each word's list to where the others agree, and it
    moves every word each time two of them disagree: with "paola rojas para el", the
    long lists of "para" and "el" were looked up at each of the thousands of places where
    "paola" and "rojas" disagree. Grouped on their own, the rare words agree among
    themselves first, and the common ones are looked up only where they do. (An AND
    nested in an AND is merged into it, so the group is an OR of itself with itself.)
    """
    common = [word for word in words if _sqlite_is_common(db, word)]
    rare = [word for word in words if word not in common]
    if len(rare) < 2 or not common:
        return _fts_query(words, False)
    group = _fts_query(rare, False)
    return f"(({group}) OR ({group}))" + "".join(f' AND "{word}"' for word in common)


def _sqlite_is_common(db, word: str) -> bool:
    """Whether `word` is in one record in _COMMON_SHARE or more, judged on the newest
    records: its _COMMON_PROBE-th newest match is among the newest _COMMON_PROBE *
    _COMMON_SHARE records. Two short reads, whatever the size of the index."""
    found = db.execute_sql(
        "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rowid LIMIT 1 OFFSET ?",
        (f'"{word}"', _COMMON_PROBE - 1)).fetchone()
    if found is None:
        return False
    window = _COMMON_PROBE * _COMMON_SHARE
    newer = db.execute_sql(
        "SELECT count(*) FROM (SELECT 1 FROM search_index_content WHERE id <= ? LIMIT ?)",
        (found[0], window)).fetchone()[0]
    return newer < window


def _key_range(low: int | None, high: int | None) -> tuple[str, list[int]]:
    conditions, params = [], []
    if low is not None:
        conditions.append("rowid >= ?")
        params.append(low)
    if high is not None:
        conditions.append("rowid <= ?")
        params.append(high)
    return "".join(f" AND {condition}" for condition in conditions), params


class _SqliteIndex:
    """The FTS5 table, asked for one query's matches."""

    def __init__(self, db, words: list[str], phrase: bool):
        self.db = db
        self.match = _fts_query(words, phrase) if phrase or len(words) < 3 else _sqlite_grouped_query(db, words)

    def count(self, limit: int) -> int:
        return self.db.execute_sql(
            "SELECT count(*) FROM (SELECT rowid FROM search_index WHERE search_index MATCH ? LIMIT ?)",
            (self.match, limit)).fetchone()[0]

    def keys(self, low, high, ascending: bool, limit: int) -> list[int]:
        where, params = _key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        return [row[0] for row in self.db.execute_sql(
            f"SELECT rowid FROM search_index WHERE search_index MATCH ?{where} "
            f"ORDER BY rowid {direction} LIMIT ?", (self.match, *params, limit)).fetchall()]

    def rows(self, low, high, ascending: bool, limit: int) -> list[tuple]:
        where, params = _key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        return self.db.execute_sql(
            f"SELECT rowid, target_kind, target_id, {self._snippet()} FROM search_index "
            f"WHERE search_index MATCH ?{where} ORDER BY rowid {direction} LIMIT ?",
            (self.match, *params, limit)).fetchall()

    def rows_by_key(self, keys: Sequence[int]) -> list[tuple]:
        if not keys:
            return []
        # One walk over the range the keys span: looking each key up on its own would make
        # FTS5 run the query once per key. "+rowid" keeps the list a filter.
        marks = ", ".join("?" * len(keys))
        return self.db.execute_sql(
            f"SELECT rowid, target_kind, target_id, {self._snippet()} FROM search_index "
            f"WHERE search_index MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN ({marks})",
            (self.match, min(keys), max(keys), *keys)).fetchall()

    def scores(self, low, high, ascending: bool, limit: int | None) -> list[tuple[float, int]]:
        where, params = _key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        rows = self.db.execute_sql(
            "SELECT rowid, "
            f"length(highlight(search_index, 0, '{HIT_START}', '')) - length(body), "
            f"length(highlight(search_index, 1, '{HIT_START}', '')) - length(work), "
            "length(body) + coalesce(length(work), 0) "
            f"FROM search_index WHERE search_index MATCH ?{where} ORDER BY rowid {direction} LIMIT ?",
            (self.match, *params, -1 if limit is None else limit)).fetchall()
        return [(_score(in_text, in_work or 0, characters), key) for key, in_text, in_work, characters in rows]

    @staticmethod
    def _snippet() -> str:
        return f"snippet(search_index, -1, '{HIT_START}', '{HIT_END}', '…', 16)"


# --- PostgreSQL ---------------------------------------------------------------------

_PG_KEY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_key(moment TIMESTAMP, ident BIGINT, kind INTEGER) RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$
  SELECT ({_LAST_HOUR} - COALESCE(floor(extract(epoch FROM moment) / 3600)::BIGINT, 0)) * {_HOUR_UNIT}
         + ({_ID_RANGE - 1} - mod(ident, {_ID_RANGE})) * 2 + kind
$$"""

_PG_VECTOR = ("setweight(to_tsvector('crm_text', {body}), 'A') || "
              "setweight(to_tsvector('crm_text', {work}), 'B')")
_PG_ORDER_ROWS = (
    f"SELECT search_key(o.created_at, o.id, {_KIND_BIT[ORDER]}), '{ORDER}', o.id, o.detail, "
    "COALESCE(w.work, ''), " + _PG_VECTOR.format(body="o.detail", work="COALESCE(w.work, '')") + " "
    "FROM service_order AS o LEFT JOIN LATERAL (SELECT string_agg(e.work_done, E'\\n' "
    "ORDER BY e.\"when\", e.id) AS work FROM service_entry AS e WHERE e.order_id = o.id) AS w ON TRUE")
_PG_ACTIVITY_ROWS = (
    f"SELECT search_key(a.\"when\", a.id, {_KIND_BIT[ACTIVITY]}), '{ACTIVITY}', a.id, a.detail, '', "
    + _PG_VECTOR.format(body="a.detail", work="''") + " FROM activity AS a")
_PG_COLUMNS = "INSERT INTO search_index(id, target_kind, target_id, body, work, tsv) "


def _postgres_layout_is_current(db) -> bool:
    return bool(db.execute_sql(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'search_index' AND column_name = 'work'").fetchone())


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
    if not _postgres_layout_is_current(db):
        db.execute_sql("DROP TABLE IF EXISTS search_index")
        for table in ("service_order", "service_entry", "activity"):
            db.execute_sql(f"DROP FUNCTION IF EXISTS {table}_search_sync()")
        db.execute_sql(
            "CREATE TABLE search_index (id BIGINT PRIMARY KEY, target_kind VARCHAR(10) NOT NULL, "
            "target_id INTEGER NOT NULL, body TEXT NOT NULL, work TEXT NOT NULL, tsv TSVECTOR NOT NULL)")
    db.execute_sql(_PG_KEY_FUNCTION)
    _create_postgres_triggers(db)
    _refill_postgres(db)


def _create_postgres_triggers(db: peewee.Database) -> None:
    db.execute_sql(f"""
        CREATE OR REPLACE FUNCTION search_index_order(target_order INTEGER) RETURNS void AS $$
        BEGIN
          DELETE FROM search_index WHERE id = (
            SELECT search_key(o.created_at, o.id, {_KIND_BIT[ORDER]}) FROM service_order AS o WHERE o.id = target_order);
          {_PG_COLUMNS}{_PG_ORDER_ROWS} WHERE o.id = target_order;
        END $$ LANGUAGE plpgsql""")
    bodies = {
        "service_order": f"""
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                DELETE FROM search_index WHERE id = search_key(OLD.created_at, OLD.id, {_KIND_BIT[ORDER]});
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_index_order(NEW.id); END IF;""",
        "service_entry": """
              IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM search_index_order(OLD.order_id); END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_index_order(NEW.order_id); END IF;""",
        "activity": f"""
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                DELETE FROM search_index WHERE id = search_key(OLD."when", OLD.id, {_KIND_BIT[ACTIVITY]});
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                {_PG_COLUMNS}{_PG_ACTIVITY_ROWS} WHERE a.id = NEW.id;
              END IF;""",
    }
    columns = {"service_order": "detail, created_at", "service_entry": 'work_done, order_id, "when"',
               "activity": 'detail, "when"'}
    for table, body in bodies.items():
        db.execute_sql(f"""
            CREATE OR REPLACE FUNCTION {table}_search_sync() RETURNS trigger AS $$
            BEGIN {body}
              RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        db.execute_sql(
            f"CREATE TRIGGER {table}_search AFTER INSERT OR DELETE OR UPDATE OF {columns[table]} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_search_sync()")


def _refill_postgres(db: peewee.Database) -> None:
    # Filling the table without its GIN index and building the index once is several times
    # faster than updating the index row by row.
    db.execute_sql("DROP INDEX IF EXISTS search_index_tsv")
    db.execute_sql("TRUNCATE search_index")
    for rows in (_PG_ORDER_ROWS, _PG_ACTIVITY_ROWS):
        db.execute_sql(f"{_PG_COLUMNS}{rows} ORDER BY 1")
    db.execute_sql("CREATE INDEX search_index_tsv ON search_index USING GIN (tsv)")
    db.execute_sql("ANALYZE search_index")


def rebuild_postgres(db: peewee.Database) -> None:
    _refill_postgres(_unwrap(db))


def _pg_key_range(low: int | None, high: int | None) -> tuple[str, list[int]]:
    conditions, params = [], []
    if low is not None:
        conditions.append("s.id >= %s")
        params.append(low)
    if high is not None:
        conditions.append("s.id <= %s")
        params.append(high)
    return "".join(f" AND {condition}" for condition in conditions), params


_PG_HEADLINE_OPTIONS = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=2"


class _PostgresIndex:
    """The tsvector table, asked for one query's matches."""

    def __init__(self, db, words: list[str], phrase: bool):
        self.db = db
        self.text = " ".join(words)
        self.query = f"{'phraseto_tsquery' if phrase else 'plainto_tsquery'}('crm_text', %s)"

    def count(self, limit: int) -> int:
        return self.db.execute_sql(
            f"SELECT count(*) FROM (SELECT 1 FROM search_index AS s WHERE s.tsv @@ {self.query} LIMIT %s) AS m",
            (self.text, limit)).fetchone()[0]

    def keys(self, low, high, ascending: bool, limit: int) -> list[int]:
        where, params = _pg_key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        return [row[0] for row in self.db.execute_sql(
            f"SELECT s.id FROM search_index AS s WHERE s.tsv @@ {self.query}{where} "
            f"ORDER BY s.id {direction} LIMIT %s", (self.text, *params, limit)).fetchall()]

    def rows(self, low, high, ascending: bool, limit: int) -> list[tuple]:
        where, params = _pg_key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        return self.db.execute_sql(
            f"""WITH page AS (SELECT s.id FROM search_index AS s WHERE s.tsv @@ {self.query}{where}
                              ORDER BY s.id {direction} LIMIT %s)
                SELECT s.id, s.target_kind, s.target_id, {self._headline()}
                FROM page JOIN search_index AS s ON s.id = page.id, {self.query} AS q(query)
                ORDER BY s.id {direction}""",
            (self.text, *params, limit, _PG_HEADLINE_OPTIONS, self.text)).fetchall()

    def rows_by_key(self, keys: Sequence[int]) -> list[tuple]:
        if not keys:
            return []
        return self.db.execute_sql(
            f"""SELECT s.id, s.target_kind, s.target_id, {self._headline()}
                FROM search_index AS s, {self.query} AS q(query) WHERE s.id = ANY(%s)""",
            (_PG_HEADLINE_OPTIONS, self.text, list(keys))).fetchall()

    def scores(self, low, high, ascending: bool, limit: int | None) -> list[tuple[float, int]]:
        where, params = _pg_key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        rows = self.db.execute_sql(
            f"""SELECT s.id, ts_rank(s.tsv, q.query) FROM search_index AS s, {self.query} AS q(query)
                WHERE s.tsv @@ q.query{where} ORDER BY s.id {direction} LIMIT %s""",
            (self.text, *params, limit)).fetchall()
        return [(round(float(score), 9), key) for key, score in rows]

    @staticmethod
    def _headline() -> str:
        return ("ts_headline('crm_text', concat_ws(E'\\n', s.body, NULLIF(s.work, '')), q.query, %s)")
