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

SQLite (search_sqlite): an FTS5 table (unicode61, diacritics removed) kept in sync by
triggers. PostgreSQL (search_postgres): a tsvector per record (the `simple` parser through
`unaccent`: the record's own text weighted A, its service entries B) under a GIN index,
kept in sync by triggers; the key layout is in search_layout. Both fold accents and
case ("camara" finds "Cámara"), and both take any text a user types: only its words are
searched, so no input is a syntax error.

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

import re
from dataclasses import dataclass

import peewee

from crm_tui.db import name_index, search_postgres, search_sqlite
from crm_tui.db.search_layout import ACTIVITY, HIT_END, HIT_START, ORDER  # noqa: F401 (part of the API)

NEWEST, RELEVANCE = "newest", "relevance"

# The words of a query: what the index's tokenizer keeps (letters and digits).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 12

COUNT_LIMIT = 100  # matches counted exactly; above it the count is a lower bound
RANK_BLOCK = 500  # consecutive matches ranked together when ordering by relevance


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
        search_postgres.install(db)
    else:
        search_sqlite.install(db)
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
        search_postgres.refill(db)
    else:
        search_sqlite.refill(db)


def indexed_and_expected(db: peewee.Database) -> tuple[int, int]:
    """Rows in the concept-search index, and rows it should hold: one per order and activity
    (one per text, service entries included, in the layout before schema version 3)."""
    db = _unwrap(db)
    indexed, orders, entries, activities = db.execute_sql(
        "SELECT (SELECT count(*) FROM search_index), (SELECT count(*) FROM service_order), "
        "(SELECT count(*) FROM service_entry), (SELECT count(*) FROM activity)").fetchone()
    current = search_postgres.layout_is_current(db) if _is_postgres(db) else search_sqlite.layout_is_current(db)
    return int(indexed), int(orders) + int(activities) + (0 if current else int(entries))


# --- searching ------------------------------------------------------------------------


def search(db: peewee.Database, text: str, limit: int = 50, order: str = NEWEST) -> list[SearchHit]:
    """The first `limit` orders and activities whose text matches `text`, one hit per record."""
    return search_page(db, text, order=order, limit=limit).hits


def count_matches(db: peewee.Database, text: str, limit: int | None = None) -> int:
    """How many records match `text` (up to `limit`): every one is read, so this costs what
    the matches do; a page of results counts only up to COUNT_LIMIT."""
    index = _index_for(db, text)
    return 0 if index is None else index.count(limit or 2 ** 62)


def _index_for(db: peewee.Database, text: str, kind: str | None = None):
    """The index asked for what `text` holds (its distinct words, or its phrase), for a
    caller that keeps the records of `kind` (see search_page); None for no words."""
    words = query_words(text)
    if not words:
        return None
    db = _unwrap(db)
    phrase = _is_phrase(text)
    words = words if phrase else _distinct(words)
    backend = search_postgres.PostgresIndex if _is_postgres(db) else search_sqlite.SqliteIndex
    return backend(db, words, phrase, kind)


def search_page(db: peewee.Database, text: str, order: str = NEWEST, after: tuple | None = None,
                before: tuple | None = None, last: bool = False, limit: int = 50,
                kind: str | None = None) -> HitPage:
    """One page of the records whose text matches `text`: the first, the last, or the one
    after / before a cursor of an earlier page, newest first or by relevance.

    `kind` (ORDER or ACTIVITY) says the caller keeps only those: SQLite then passes over
    the others unread (and counts only those), as the kind is the key's last bit;
    PostgreSQL's plan does not allow it, so the page may hold both kinds."""
    index = _index_for(db, text, kind)
    if index is None or limit <= 0:
        return EMPTY_PAGE
    newest, counted = index.newest(limit, COUNT_LIMIT)
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
