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
import time
from dataclasses import dataclass
from typing import Sequence

import peewee

from crm_tui.db import name_index
from crm_tui.db.text import fold

HIT_START = "\x02"
HIT_END = "\x03"

ORDER, ACTIVITY = "order", "activity"
NEWEST, RELEVANCE = "newest", "relevance"

# The words of a query: what the index's tokenizer keeps (letters and digits).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 12

COUNT_LIMIT = 100  # matches counted exactly; above it the count is a lower bound
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
    """Rows in the concept-search index, and rows it should hold: one per order and activity
    (one per text, service entries included, in the layout before schema version 3)."""
    db = _unwrap(db)
    indexed, orders, entries, activities = db.execute_sql(
        "SELECT (SELECT count(*) FROM search_index), (SELECT count(*) FROM service_order), "
        "(SELECT count(*) FROM service_entry), (SELECT count(*) FROM activity)").fetchone()
    current = _postgres_layout_is_current(db) if _is_postgres(db) else _sqlite_layout_is_current(db)
    return int(indexed), int(orders) + int(activities) + (0 if current else int(entries))


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
    newest, counted = index.newest(limit)
    if not counted:
        return EMPTY_PAGE
    total, exact = min(counted, COUNT_LIMIT), counted <= COUNT_LIMIT
    if order == RELEVANCE:
        page = _relevance_page(index, after, before, last, limit)
        blocks = None if exact and total <= RANK_BLOCK else RANK_BLOCK
    else:
        page = _newest_page(index, after, before, last, limit, newest)
        blocks = None
    hits, cursors, has_before, has_after = page
    return HitPage(hits, cursors, has_before, has_after, total, exact, blocks)


def _newest_page(index, after, before, last, limit, newest: list[int]):
    """Keyset paging on the key, newest first (`newest`: the first limit + 1 keys, already read)."""
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
    _refill_sqlite(db)
    _create_sqlite_triggers(db)


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
    # A new table: emptying a full one would make FTS5 read every row to unindex it.
    db.execute_sql("DROP TABLE IF EXISTS search_index")
    db.execute_sql(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "body, work, target_kind UNINDEXED, target_id UNINDEXED, "
        "tokenize = 'unicode61 remove_diacritics 2')")
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

    def newest(self, limit: int) -> tuple[list[int], int]:
        """The first limit + 1 keys, and the matches counted (up to COUNT_LIMIT + 1): one walk."""
        keys = self.keys(low=None, high=None, ascending=True, limit=max(COUNT_LIMIT, limit) + 1)
        return keys[:limit + 1], len(keys)

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
# The text of each record, keyed as the index (the headline of a hit is made from it).
_PG_ORDER_TEXTS = (
    f"SELECT search_key(o.created_at, o.id, {_KIND_BIT[ORDER]}), '{ORDER}', o.id, o.detail, "
    "COALESCE(w.work, '') FROM service_order AS o LEFT JOIN LATERAL (SELECT string_agg(e.work_done, E'\\n' "
    "ORDER BY e.\"when\", e.id) AS work FROM service_entry AS e WHERE e.order_id = o.id) AS w ON TRUE")
_PG_ACTIVITY_TEXTS = (
    f"SELECT search_key(a.\"when\", a.id, {_KIND_BIT[ACTIVITY]}), '{ACTIVITY}', a.id, a.detail, '' "
    "FROM activity AS a")
_PG_TEXT_COLUMNS = "INSERT INTO search_text(id, target_kind, target_id, body, work) "
_PG_INDEX_ROWS = ("INSERT INTO search_index(id, target_kind, target_id, tsv) SELECT t.id, t.target_kind, "
                  "t.target_id, " + _PG_VECTOR.format(body="t.body", work="t.work") + " FROM search_text AS t")


def _postgres_layout_is_current(db) -> bool:
    return db.table_exists("search_text")


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
        # The index holds only what a search walks (a narrow row walks twice as fast); the
        # texts, for the headlines of the hits shown, are in search_text.
        db.execute_sql(
            "CREATE TABLE search_index (id BIGINT PRIMARY KEY, target_kind VARCHAR(10) NOT NULL, "
            "target_id INTEGER NOT NULL, tsv TSVECTOR NOT NULL)")
        db.execute_sql(
            "CREATE TABLE search_text (id BIGINT PRIMARY KEY, target_kind VARCHAR(10) NOT NULL, "
            "target_id INTEGER NOT NULL, body TEXT NOT NULL, work TEXT NOT NULL)")
    db.execute_sql(_PG_KEY_FUNCTION)
    _create_postgres_triggers(db)
    _refill_postgres(db)


def _create_postgres_triggers(db: peewee.Database) -> None:
    db.execute_sql("""
        CREATE OR REPLACE FUNCTION search_forget(key BIGINT) RETURNS void AS $$
        BEGIN
          DELETE FROM search_index WHERE id = key;
          DELETE FROM search_text WHERE id = key;
        END $$ LANGUAGE plpgsql""")
    db.execute_sql(f"""
        CREATE OR REPLACE FUNCTION search_index_order(target_order INTEGER) RETURNS void AS $$
        BEGIN
          PERFORM search_forget(search_key(o.created_at, o.id, {_KIND_BIT[ORDER]}))
            FROM service_order AS o WHERE o.id = target_order;
          {_PG_TEXT_COLUMNS}{_PG_ORDER_TEXTS} WHERE o.id = target_order;
          {_PG_INDEX_ROWS} WHERE t.target_kind = '{ORDER}' AND t.id = (
            SELECT search_key(o.created_at, o.id, {_KIND_BIT[ORDER]}) FROM service_order AS o
            WHERE o.id = target_order);
        END $$ LANGUAGE plpgsql""")
    bodies = {
        "service_order": f"""
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM search_forget(search_key(OLD.created_at, OLD.id, {_KIND_BIT[ORDER]}));
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_index_order(NEW.id); END IF;""",
        "service_entry": """
              IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM search_index_order(OLD.order_id); END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_index_order(NEW.order_id); END IF;""",
        "activity": f"""
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM search_forget(search_key(OLD."when", OLD.id, {_KIND_BIT[ACTIVITY]}));
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                {_PG_TEXT_COLUMNS}{_PG_ACTIVITY_TEXTS} WHERE a.id = NEW.id;
                {_PG_INDEX_ROWS} WHERE t.id = search_key(NEW."when", NEW.id, {_KIND_BIT[ACTIVITY]});
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
    # Filling the tables without their GIN index and building the index once is several
    # times faster than updating the index row by row. In key order, newest first: a walk
    # in key order then reads neighbouring rows.
    db.execute_sql("DROP INDEX IF EXISTS search_index_tsv")
    db.execute_sql("TRUNCATE search_index, search_text")
    db.execute_sql(f"{_PG_TEXT_COLUMNS}SELECT * FROM ({_PG_ORDER_TEXTS} UNION ALL {_PG_ACTIVITY_TEXTS}) AS t "
                   "ORDER BY 1")
    db.execute_sql(f"{_PG_INDEX_ROWS} ORDER BY t.id")
    db.execute_sql("CREATE INDEX search_index_tsv ON search_index USING GIN (tsv)")
    db.execute_sql("ANALYZE search_index")
    db.execute_sql("ANALYZE search_text")


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


# The rows of the index and the share of them holding each of the commonest words, from
# PostgreSQL's statistics (refreshed by ANALYZE), kept a while per database:
# (read at, rows, {word: share}).
_PG_SHARES: dict[str, tuple[float, float, dict[str, float]]] = {}
_PG_SHARES_SECONDS = 600


def _pg_word_shares(db) -> dict[str, float]:
    return _pg_statistics(db)[1]


def _pg_rows(db) -> float:
    """About how many rows the index holds (PostgreSQL's own count, kept by VACUUM/ANALYZE)."""
    return _pg_statistics(db)[0]


def _pg_statistics(db) -> tuple[float, dict[str, float]]:
    name = db.database
    read_at, rows, shares = _PG_SHARES.get(name, (0.0, 0.0, {}))
    if time.monotonic() - read_at > _PG_SHARES_SECONDS:
        row = db.execute_sql(
            "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'search_index'::regclass), "
            "most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'search_index' AND attname = 'tsv'").fetchone()
        rows = max(0.0, float(row[0] or 0)) if row else 0.0
        shares = dict(zip(row[1], row[2])) if row and row[1] else {}
        _PG_SHARES[name] = (time.monotonic(), rows, shares)
    return rows, shares


_PG_HEADLINE_OPTIONS = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=2"


class _PostgresIndex:
    """The tsvector table, asked for one query's matches.

    A GIN index finds every match of a query, but not in key order: to give the newest
    few it must fetch them all and sort them. So a read first walks the table in key order
    (WALK rows), and stops as soon as it has what it wants, as it does for any query that
    matches a record in a few dozen. It walks on while the rows still needed, at the share
    of matches found so far, cost less than fetching all the query's matches through the
    GIN index; only then does the GIN index give the rest, and it then has few to fetch.
    PostgreSQL's own guess of how many rows match cannot make that choice: for words that
    go together it is far off ("multifuncional epson ecotank": 23 guessed, 29,000 found).
    """

    WALK = 3_000
    WALK_MOST = 50_000
    # Walking a row costs about a sixth of fetching a match through the GIN index.
    ROWS_PER_FETCH = 6

    def __init__(self, db, words: list[str], phrase: bool):
        self.db = db
        self.text = " ".join(words)
        self.query = f"{'phraseto_tsquery' if phrase else 'plainto_tsquery'}('crm_text', %s)"
        self._rare: list[str] | None = None

    def count(self, limit: int) -> int:
        return self._through_gin(
            f"SELECT count(*) FROM (SELECT 1 FROM ({self._gin_rows('')}) AS r "
            f"WHERE r.tsv @@ {self.query} LIMIT %s) AS m",
            (*self._gin_params(()), self.text, limit))[0][0]

    def newest(self, limit: int) -> tuple[list[int], int]:
        wanted = max(COUNT_LIMIT, limit) + 1
        found, walked_to = self._walk_on(None, None, True, wanted)
        if len(found) >= wanted or walked_to is None:
            return found[:limit + 1], len(found)
        if len(found) > limit:
            return found[:limit + 1], self.count(wanted)
        # A rare query: the GIN index gives the rest of the page and of the count at once.
        found += self._gin_keys(walked_to + 1, None, True, wanted - len(found))
        return found[:limit + 1], len(found)

    def keys(self, low, high, ascending: bool, limit: int | None) -> list[int]:
        found, walked_to = self._walk_on(low, high, ascending, limit)
        if walked_to is None or (limit is not None and len(found) >= limit):
            return found
        rest = None if limit is None else limit - len(found)
        if ascending:
            return found + self._gin_keys(walked_to + 1, high, True, rest)
        return found + self._gin_keys(low, walked_to - 1, False, rest)

    def _walk_on(self, low, high, ascending: bool, wanted: int | None) -> tuple[list[int], int | None]:
        """Up to `wanted` matches walking the key order from one end of [low, high]: WALK
        rows, then on while the rows the rest needs (at the share of matches so far) cost
        less than fetching all the query's matches through the GIN index would (at most
        WALK_MOST rows in all). Returns the matches and the last key walked (None: the end
        of the range)."""
        found, walked_to = self._walk(low, high, ascending, wanted, self.WALK)
        walked = self.WALK
        while walked_to is not None and (wanted is None or len(found) < wanted) and found:
            share = len(found) / walked
            rows = self.WALK_MOST - walked if wanted is None else int(1.5 * (wanted - len(found)) / share) + 100
            all_matches = share * _pg_rows(self.db)
            if rows > self.ROWS_PER_FETCH * all_matches or walked >= self.WALK_MOST:
                break
            rows = min(rows, self.WALK_MOST - walked)
            rest = None if wanted is None else wanted - len(found)
            if ascending:
                more, walked_to = self._walk(walked_to + 1, high, True, rest, rows)
            else:
                more, walked_to = self._walk(low, walked_to - 1, False, rest, rows)
            found += more
            walked += rows
        return found, walked_to

    def _walk(self, low, high, ascending: bool, limit: int | None, rows: int) -> tuple[list[int], int | None]:
        """Matches among the next `rows` rows in key order, and the last key walked (None:
        the walk reached the end of the range)."""
        where, params = _pg_key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        walked = f"SELECT s.id, s.tsv FROM search_index AS s WHERE TRUE{where} ORDER BY s.id {direction}"
        found = [row[0] for row in self.db.execute_sql(
            f"SELECT w.id FROM ({walked} LIMIT %s) AS w WHERE w.tsv @@ {self.query} LIMIT %s",
            (*params, rows, self.text, limit)).fetchall()]
        if limit is not None and len(found) >= limit:
            return found, found[-1]
        boundary = self.db.execute_sql(
            f"SELECT s.id FROM search_index AS s WHERE TRUE{where} ORDER BY s.id {direction} OFFSET %s LIMIT 1",
            (*params, rows - 1)).fetchone()
        return found, boundary[0] if boundary else None

    def _gin_keys(self, low, high, ascending: bool, limit: int | None) -> list[int]:
        where, params = _pg_key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        return [row[0] for row in self._through_gin(
            f"SELECT r.id FROM ({self._gin_rows(where)}) AS r WHERE r.tsv @@ {self.query} "
            f"ORDER BY r.id {direction} LIMIT %s", (*self._gin_params(params), self.text, limit))]

    def _gin_rows(self, where: str) -> str:
        """The rows the GIN index gives for the query's rarer words (all its words when none
        or all are common): with a common word, the index would read that word's whole list
        (1.4 million entries for "el"), so the common ones are checked on the rows found.
        OFFSET 0 keeps the planner from merging the two conditions."""
        return (f"SELECT s.id, s.tsv FROM search_index AS s "
                f"WHERE s.tsv @@ plainto_tsquery('crm_text', %s){where} OFFSET 0")

    def _gin_params(self, params) -> tuple:
        return (" ".join(self._rare_words()), *params)

    def _rare_words(self) -> list[str]:
        """The query's words that are in less than one record in _COMMON_SHARE, by the
        table's statistics (a word missing from them is rarer than any listed)."""
        if self._rare is None:
            shares = _pg_word_shares(self.db)
            words = self.text.split()
            self._rare = [word for word in words if shares.get(fold(word), 0) < 1 / _COMMON_SHARE] or words
        return self._rare

    def _through_gin(self, sql: str, params: tuple) -> list[tuple]:
        """Rows of `sql` read through the GIN index: the planner may neither walk the key
        index nor scan the table (it would for a query it wrongly thinks common), and the
        costs those settings inflate must not start the JIT compiler either."""
        with self.db.atomic():
            self.db.execute_sql("SET LOCAL enable_seqscan = off")
            self.db.execute_sql("SET LOCAL enable_indexscan = off")
            self.db.execute_sql("SET LOCAL jit = off")
            return self.db.execute_sql(sql, params).fetchall()

    def rows(self, low, high, ascending: bool, limit: int) -> list[tuple]:
        keys = self.keys(low, high, ascending, limit)
        found = {row[0]: row for row in self.rows_by_key(keys)}
        return [found[key] for key in keys if key in found]

    def rows_by_key(self, keys: Sequence[int]) -> list[tuple]:
        if not keys:
            return []
        return self.db.execute_sql(
            f"""SELECT t.id, t.target_kind, t.target_id, {self._headline()}
                FROM search_text AS t, {self.query} AS q(query) WHERE t.id = ANY(%s)""",
            (_PG_HEADLINE_OPTIONS, self.text, list(keys))).fetchall()

    def scores(self, low, high, ascending: bool, limit: int | None) -> list[tuple[float, int]]:
        keys = self.keys(low, high, ascending, limit)
        rows = self.db.execute_sql(
            f"""SELECT s.id, ts_rank(s.tsv, q.query) FROM search_index AS s, {self.query} AS q(query)
                WHERE s.id = ANY(%s)""", (self.text, keys)).fetchall() if keys else []
        return [(round(float(score), 9), key) for key, score in rows]

    @staticmethod
    def _headline() -> str:
        return "ts_headline('crm_text', concat_ws(E'\\n', t.body, NULLIF(t.work, '')), q.query, %s)"
