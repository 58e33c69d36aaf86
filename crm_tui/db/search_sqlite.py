"""Concept search on SQLite: an FTS5 table, one row per order or activity, keyed newest first.

The table (unicode61, diacritics removed) is kept in sync by triggers on orders, service
entries and activities; see crm_tui.db.search for the key and the pages.
"""
from __future__ import annotations

import math
from typing import Sequence

import peewee

from crm_tui.db.search_layout import (
    ACTIVITY,
    COMMON_SHARE,
    HIT_END,
    HIT_START,
    HOUR_UNIT,
    ID_RANGE,
    KIND_BIT,
    LAST_HOUR,
    ORDER,
)

# How much a hit in an order's service entries counts against one in the record's own text
# (PostgreSQL's ts_rank weights B and A: 0.4 and 1.0).
_WORK_WEIGHT = 0.4
_CHARACTERS_PER_WORD = 6


# The key of a record, in SQL: hour of its date, then its id, then its kind.
_SQLITE_KEY = (f"(({LAST_HOUR} - COALESCE(CAST(strftime('%s', {{date}}) AS INTEGER), 0) / 3600) * {HOUR_UNIT} "
               f"+ ({ID_RANGE - 1} - {{ident}} % {ID_RANGE}) * 2 + {{kind}})")
_ORDER_KEY = _SQLITE_KEY.format(date="o.created_at", ident="o.id", kind=KIND_BIT[ORDER])
_ACTIVITY_KEY = _SQLITE_KEY.format(date='a."when"', ident="a.id", kind=KIND_BIT[ACTIVITY])

_SQLITE_COLUMNS = "INSERT INTO search_index(rowid, body, work, target_kind, target_id) "
# An order's row: its detail, and the work done of its entries in the order they were logged.
_SQLITE_ORDER_ROWS = (
    f"SELECT {_ORDER_KEY}, o.detail, (SELECT group_concat(work_done, char(10)) FROM "
    "(SELECT e.work_done FROM service_entry AS e WHERE e.order_id = o.id ORDER BY e.\"when\", e.id)), "
    f"'{ORDER}', o.id FROM service_order AS o")
_SQLITE_ACTIVITY_ROWS = f"SELECT {_ACTIVITY_KEY}, a.detail, NULL, '{ACTIVITY}', a.id FROM activity AS a"


def _sqlite_key_of(row: str, table: str) -> str:
    if table == "activity":
        return _SQLITE_KEY.format(date=f'{row}."when"', ident=f"{row}.id", kind=KIND_BIT[ACTIVITY])
    return _SQLITE_KEY.format(date=f"{row}.created_at", ident=f"{row}.id", kind=KIND_BIT[ORDER])


def layout_is_current(db) -> bool:
    if not db.table_exists("search_index"):
        return False
    columns = [row[1] for row in db.execute_sql("PRAGMA table_info(search_index)").fetchall()]
    return "work" in columns


def install(db: peewee.Database) -> None:
    refill(db)
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


def refill(db: peewee.Database) -> None:
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


def _set_fts_hash_size(db: peewee.Database, size: int) -> None:
    db.execute_sql("INSERT INTO search_index(search_index, rank) VALUES ('hashsize', ?)", (size,))


def _fts_query(words: list[str], phrase: bool) -> str:
    if phrase:
        return '"' + " ".join(words) + '"'
    return " AND ".join(f'"{word}"' for word in words)


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
    """Whether `word` is in one record in COMMON_SHARE or more, judged on the newest
    records: its _COMMON_PROBE-th newest match is among the newest _COMMON_PROBE *
    COMMON_SHARE records. Two short reads, whatever the size of the index."""
    found = db.execute_sql(
        "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rowid LIMIT 1 OFFSET ?",
        (f'"{word}"', _COMMON_PROBE - 1)).fetchone()
    if found is None:
        return False
    window = _COMMON_PROBE * COMMON_SHARE
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


class SqliteIndex:
    """The FTS5 table, asked for one query's matches."""

    def __init__(self, db, words: list[str], phrase: bool, kind: str | None = None):
        self.db = db
        self.match = _fts_query(words, phrase) if phrase or len(words) < 3 else _sqlite_grouped_query(db, words)
        self.kind = kind

    def _range(self, low: int | None, high: int | None) -> tuple[str, list[int]]:
        """The key range, and only the records of `kind` when one is given: the kind is the
        key's last bit, so the rows of the other kind are passed over unread."""
        where, params = _key_range(low, high)
        if self.kind is not None:
            where += " AND rowid % 2 = ?"
            params.append(KIND_BIT[self.kind])
        return where, params

    def count(self, limit: int) -> int:
        where, params = self._range(None, None)
        return self.db.execute_sql(
            f"SELECT count(*) FROM (SELECT rowid FROM search_index WHERE search_index MATCH ?{where} LIMIT ?)",
            (self.match, *params, limit)).fetchone()[0]

    def newest(self, limit: int, count_limit: int) -> tuple[list[int], int]:
        """The first limit + 1 keys, and the matches counted (up to count_limit + 1): one walk."""
        keys = self.keys(low=None, high=None, ascending=True, limit=max(count_limit, limit) + 1)
        return keys[:limit + 1], len(keys)

    def keys(self, low, high, ascending: bool, limit: int) -> list[int]:
        where, params = self._range(low, high)
        direction = "ASC" if ascending else "DESC"
        return [row[0] for row in self.db.execute_sql(
            f"SELECT rowid FROM search_index WHERE search_index MATCH ?{where} "
            f"ORDER BY rowid {direction} LIMIT ?", (self.match, *params, limit)).fetchall()]

    def rows(self, low, high, ascending: bool, limit: int) -> list[tuple]:
        where, params = self._range(low, high)
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
        where, params = self._range(low, high)
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


def _score(hits_in_text: int, hits_in_work: int, characters: int) -> float:
    """How well a record matches on SQLite: its hits, the record's own text above its
    service entries (as PostgreSQL's ts_rank weighs A and B), and of two texts with as many
    hits, the shorter one first."""
    words = max(1, characters // _CHARACTERS_PER_WORD)
    return round((hits_in_text + _WORK_WEIGHT * hits_in_work) / (1 + math.log(words)), 9)
