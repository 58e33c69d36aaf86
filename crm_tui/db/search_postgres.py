"""Concept search on PostgreSQL: a tsvector per order or activity under a GIN index.

search_index holds what a search walks (the key, the record, the tsvector: the `simple`
parser through `unaccent`, the record's own text weighted A, its service entries B);
search_text holds the texts the headlines of the hits shown are made from. Triggers on
orders, service entries and activities keep both in sync; see crm_tui.db.search for the
key and the pages.
"""
from __future__ import annotations

import re
import time
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
from crm_tui.db.text import fold

_PG_KEY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_key(moment TIMESTAMP, ident BIGINT, kind INTEGER) RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$
  SELECT ({LAST_HOUR} - COALESCE(floor(extract(epoch FROM moment) / 3600)::BIGINT, 0)) * {HOUR_UNIT}
         + ({ID_RANGE - 1} - mod(ident, {ID_RANGE})) * 2 + kind
$$"""

_PG_VECTOR = ("setweight(to_tsvector('crm_text', {body}), 'A') || "
              "setweight(to_tsvector('crm_text', {work}), 'B')")
# The text of each record, keyed as the index (the headline of a hit is made from it).
_PG_ORDER_TEXTS = (
    f"SELECT search_key(o.created_at, o.id, {KIND_BIT[ORDER]}), '{ORDER}', o.id, o.detail, "
    "COALESCE(w.work, '') FROM service_order AS o LEFT JOIN LATERAL (SELECT string_agg(e.work_done, E'\\n' "
    "ORDER BY e.\"when\", e.id) AS work FROM service_entry AS e WHERE e.order_id = o.id) AS w ON TRUE")
_PG_ACTIVITY_TEXTS = (
    f"SELECT search_key(a.\"when\", a.id, {KIND_BIT[ACTIVITY]}), '{ACTIVITY}', a.id, a.detail, '' "
    "FROM activity AS a")
_PG_TEXT_COLUMNS = "INSERT INTO search_text(id, target_kind, target_id, body, work) "
_PG_INDEX_ROWS = ("INSERT INTO search_index(id, target_kind, target_id, tsv) SELECT t.id, t.target_kind, "
                  "t.target_id, " + _PG_VECTOR.format(body="t.body", work="t.work") + " FROM search_text AS t")


def layout_is_current(db) -> bool:
    return db.table_exists("search_text")


def install(db: peewee.Database) -> None:
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
    if not layout_is_current(db):
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
    refill(db)


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
          PERFORM search_forget(search_key(o.created_at, o.id, {KIND_BIT[ORDER]}))
            FROM service_order AS o WHERE o.id = target_order;
          {_PG_TEXT_COLUMNS}{_PG_ORDER_TEXTS} WHERE o.id = target_order;
          {_PG_INDEX_ROWS} WHERE t.target_kind = '{ORDER}' AND t.id = (
            SELECT search_key(o.created_at, o.id, {KIND_BIT[ORDER]}) FROM service_order AS o
            WHERE o.id = target_order);
        END $$ LANGUAGE plpgsql""")
    bodies = {
        "service_order": f"""
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM search_forget(search_key(OLD.created_at, OLD.id, {KIND_BIT[ORDER]}));
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_index_order(NEW.id); END IF;""",
        "service_entry": """
              IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM search_index_order(OLD.order_id); END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_index_order(NEW.order_id); END IF;""",
        "activity": f"""
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM search_forget(search_key(OLD."when", OLD.id, {KIND_BIT[ACTIVITY]}));
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                {_PG_TEXT_COLUMNS}{_PG_ACTIVITY_TEXTS} WHERE a.id = NEW.id;
                {_PG_INDEX_ROWS} WHERE t.id = search_key(NEW."when", NEW.id, {KIND_BIT[ACTIVITY]});
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


def refill(db: peewee.Database) -> None:
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


# One word of a phrase as the index holds it: a single lexeme (quotes inside doubled).
_LEXEME = re.compile(r"'(?:[^']|'')*'")


def _phrase_query(db, words: list[str]) -> str:
    """The tsquery (as text) of `words` one right after the other, as SQLite finds them.

    The parser indexes a hyphenated word whole and then by its parts, each at a position
    of its own ("el no-break": el 1, no-break 2, no 3, break 4), where SQLite's tokenizer
    sees only the parts. So each word after the first may also come after a whole word
    that it begins ("no-..."). A word the parser splits further keeps PostgreSQL's own
    phrase of the whole text."""
    whole, lexemes = db.execute_sql(
        "SELECT phraseto_tsquery('crm_text', %s)::text, array(SELECT phraseto_tsquery('crm_text', u.word)::text "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS u(word, place) ORDER BY u.place)",
        (" ".join(words), list(words))).fetchone()
    if not lexemes or not all(_LEXEME.fullmatch(lexeme) for lexeme in lexemes):
        return whole
    after_hyphenated = [f"({lexeme} | {lexeme[:-1]}-':* <-> {lexeme})" for lexeme in lexemes[1:]]
    return " <-> ".join([lexemes[0], *after_hyphenated])


# A key not yet looked up.
_UNKNOWN = object()


def _direction(ascending: bool) -> str:
    return "ASC" if ascending else "DESC"


_PG_HEADLINE_OPTIONS = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=2"


class PostgresIndex:
    """The tsvector table, asked for one query's matches.

    A GIN index finds every match of a query, but not in key order: to give the newest
    few it must fetch them all and sort them. So a read first walks the table in key order
    (WALK rows), and stops as soon as it has what it wants, as it does for any query that
    matches a record in a few dozen. It walks on while the rows still needed, at the share
    of matches found so far, cost less than fetching all the query's matches through the
    GIN index; only then does the GIN index give the rest, and it then has few to fetch.
    A long walk on to a query's rarer matches reads a key span instead: the GIN index
    marks the rows holding the query's two rarest words and only those of the span are
    read (see `_span`).
    PostgreSQL's own guess of how many rows match cannot make that choice: for words that
    go together it is far off ("multifuncional epson ecotank": 23 guessed, 29,000 found).
    """

    WALK = 3_000
    WALK_MOST = 50_000
    # Walking a row costs about a sixth of fetching a match through the GIN index.
    ROWS_PER_FETCH = 6
    # From this many rows holding a query's one rarer word on, the GIN index is asked for every word.
    NARROW_FROM = 10_000
    # A walk on of at least SPAN_FROM rows reads a key span through the GIN index instead
    # when the query's rarest word is in fewer than SPAN_ENTRIES_PER_ROW rows per row to walk.
    SPAN_FROM = 15_000
    SPAN_ENTRIES_PER_ROW = 2
    SPAN_PAIR_FROM = 1_000

    def __init__(self, db, words: list[str], phrase: bool, kind: str | None = None):
        # `kind` is not applied here: the walk and the GIN plan are chosen by the share of
        # rows that match, and a condition on the key's kind bit upsets both (a search of
        # orders by a surname took over a second); the caller keeps the records it wants.
        self.db = db
        self.text = " ".join(words)
        # The query is the one parameter `self.terms`: the words, or a phrase's tsquery.
        self.query = "%s::tsquery" if phrase else "plainto_tsquery('crm_text', %s)"
        # Checked on each row read, the query is made once per statement: the driver
        # prepares a statement run a few times, and PostgreSQL's generic plan for it would
        # make the tsquery again on every row (a walk of 27,177 rows: 191 ms instead of 31).
        self.row_query = f"(SELECT {self.query})"
        self.terms = _phrase_query(db, words) if phrase else self.text
        # Ranked by the words in a row alone: a hyphenated word elsewhere in a record
        # leaves its rank as it was.
        self.rank_query = f"{'phraseto_tsquery' if phrase else 'plainto_tsquery'}('crm_text', %s)"
        self._rare: list[str] | None = None

    def count(self, limit: int) -> int:
        return self._through_gin(
            f"SELECT count(*) FROM (SELECT 1 FROM ({self._gin_rows('')}) AS r "
            f"WHERE r.tsv @@ {self.row_query} LIMIT %s) AS m",
            (*self._gin_params(()), self.terms, limit))[0][0]

    def newest(self, limit: int, count_limit: int) -> tuple[list[int], int]:
        """The first limit + 1 keys, and the matches counted (up to count_limit + 1)."""
        wanted = max(count_limit, limit) + 1
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
        WALK_MOST rows in all), by walking or by key spans. Returns the matches and the
        last key walked (None: the end of the range)."""
        found = self._matches(low, high, ascending, wanted, self.WALK)
        if wanted is not None and len(found) >= wanted:
            return found, found[-1]
        walked = self.WALK
        # The keys walked so far, [start, walked_to], and about how many rows they hold;
        # the last key walked is looked up only when a walk goes on from it.
        start: int | None = None
        walked_to: int | None | object = _UNKNOWN
        keyed = walked
        while (wanted is None or len(found) < wanted) and found:
            share = len(found) / walked
            rows = self.WALK_MOST - walked if wanted is None else int(1.5 * (wanted - len(found)) / share) + 100
            all_matches = share * _pg_rows(self.db)
            fetched = max(all_matches, self._gin_candidates())
            if rows > self.ROWS_PER_FETCH * fetched or walked >= self.WALK_MOST:
                break
            rows = min(rows, self.WALK_MOST - walked)
            rest = None if wanted is None else wanted - len(found)
            span = rest is not None and self._span_pays(rows, all_matches)
            if walked_to is _UNKNOWN and span:
                # The rows walked past the last match hold none: the span starts after it,
                # at the keys per row up to it.
                start, walked_to = self._bounds(low, high, ascending, 1)[0], found[-1]
                keyed = walked * len(found) // (len(found) + 1)
            if walked_to is _UNKNOWN or walked_to == start:
                start, walked_to = self._bounds(low, high, ascending, walked)
                keyed = walked
            if walked_to is None:
                break
            if span:
                more, walked_to = self._span(low, high, ascending, rest, start, walked_to, keyed, rows)
            elif ascending:
                more, walked_to = self._walk(walked_to + 1, high, True, rest, rows)
            else:
                more, walked_to = self._walk(low, walked_to - 1, False, rest, rows)
            found += more
            walked += rows
            keyed += rows
        if walked_to is _UNKNOWN:
            walked_to = self._bounds(low, high, ascending, walked)[1]
        return found, walked_to

    def _span_pays(self, rows: int, all_matches: float) -> bool:
        """Whether the next `rows` rows of a walk cost less read through the GIN index
        (see `_span`). It reads the lists of the span's words whole (an entry of the
        rarest costs a fraction of walking a row) and marks the rows holding them all (at
        least the query's matches, each costing about as much as walking a row): a span
        pays for a long walk to a query's rarer matches, not for a short one."""
        return (rows >= self.SPAN_FROM and all_matches < rows
                and self._span_candidates() < self.SPAN_ENTRIES_PER_ROW * rows)

    def _span(self, low, high, ascending: bool, limit: int, start, walked_to: int, walked: int,
              rows: int) -> tuple[list[int], int | None]:
        """Up to `limit` matches in the key span after `walked_to` (before it, walking
        down) that should hold about `rows` rows, at the keys per row of the `walked` rows
        walked from `start`; and the last key the span covered (None: the end of the
        range). The GIN index marks the rows holding the span's words and PostgreSQL ANDs
        that with the key index's range, so only the rows of the span holding them are
        read, each then checked for the whole query ("información sobre el cableado de":
        126 rows read instead of a walk of 27,177 to the 101st match)."""
        if start is None or walked_to == start:
            step = 1
        else:
            step = max(1, abs(walked_to - start) * rows // max(1, walked))
        if ascending:
            first, last = walked_to + 1, walked_to + step
            if high is not None and last >= high:
                last = high
        else:
            first, last = walked_to - step, walked_to - 1
            if low is not None and first <= low:
                first = low
        where, params = _pg_key_range(first, last)
        direction = "ASC" if ascending else "DESC"
        found = [row[0] for row in self._through_gin(
            f"SELECT r.id FROM (SELECT s.id, s.tsv FROM search_index AS s "
            f"WHERE s.tsv @@ plainto_tsquery('crm_text', %s){where} OFFSET 0) AS r "
            f"WHERE r.tsv @@ {self.row_query} ORDER BY r.id {direction} LIMIT %s",
            (" ".join(self._span_words()), *params, self.terms, limit))]
        if len(found) >= limit:
            return found, found[-1]
        end = last if ascending else first
        where, params = _pg_key_range(end + 1, high) if ascending else _pg_key_range(low, end - 1)
        beyond = self.db.execute_sql(f"SELECT 1 FROM search_index AS s WHERE TRUE{where} LIMIT 1", params).fetchone()
        return found, end if beyond else None

    def _span_words(self) -> list[str]:
        """The words a span asks the GIN index for: the query's rarest, and the next
        rarest when PostgreSQL expects the two to be in at least SPAN_PAIR_FROM rows. The
        index then reads the rarest one's list, skips through the other's and marks only
        the rows holding both ("cableado" alone: 48,402 rows marked; with "informacion":
        7,405, in half the time). Below that guess the planner would not AND the index's
        rows with the key range (reading every row holding both, however many there are
        where its guess is wrong), and the rarest word's own share it guesses right."""
        shares = _pg_word_shares(self.db)
        floor = min(shares.values(), default=0.0)
        words = sorted(dict.fromkeys(self.text.split()), key=lambda word: shares.get(fold(word), floor))
        first, *others = words
        if others:
            pair = shares.get(fold(first), floor) * shares.get(fold(others[0]), floor) * _pg_rows(self.db)
            if pair >= self.SPAN_PAIR_FROM:
                return [first, others[0]]
        return [first]

    def _span_candidates(self) -> float:
        """About how many entries the GIN index reads for a span: the rows of its rarest word."""
        shares = _pg_word_shares(self.db)
        if not shares:
            return float("inf")
        floor = min(shares.values())
        return min(shares.get(fold(word), floor) for word in self._span_words()) * _pg_rows(self.db)

    def _walk(self, low, high, ascending: bool, limit: int | None, rows: int) -> tuple[list[int], int | None]:
        """Matches among the next `rows` rows in key order, and the last key walked (None:
        the walk reached the end of the range)."""
        found = self._matches(low, high, ascending, limit, rows)
        if limit is not None and len(found) >= limit:
            return found, found[-1]
        return found, self._bounds(low, high, ascending, rows)[1]

    def _matches(self, low, high, ascending: bool, limit: int | None, rows: int) -> list[int]:
        """Up to `limit` matches among the next `rows` rows in key order."""
        where, params = _pg_key_range(low, high)
        walked = f"SELECT s.id, s.tsv FROM search_index AS s WHERE TRUE{where} ORDER BY s.id {_direction(ascending)}"
        return [row[0] for row in self.db.execute_sql(
            f"SELECT w.id FROM ({walked} LIMIT %s) AS w WHERE w.tsv @@ {self.row_query} LIMIT %s",
            (*params, rows, self.terms, limit)).fetchall()]

    def _bounds(self, low, high, ascending: bool, rows: int) -> tuple[int | None, int | None]:
        """The first and the last key of the next `rows` rows in key order (the last is
        None when there are fewer)."""
        where, params = _pg_key_range(low, high)
        walked, first, last = self.db.execute_sql(
            f"SELECT count(*), {'min' if ascending else 'max'}(w.id), {'max' if ascending else 'min'}(w.id) "
            f"FROM (SELECT s.id FROM search_index AS s WHERE TRUE{where} ORDER BY s.id {_direction(ascending)} "
            "LIMIT %s) AS w", (*params, rows)).fetchone()
        return first, last if walked >= rows else None

    def _gin_keys(self, low, high, ascending: bool, limit: int | None) -> list[int]:
        where, params = _pg_key_range(low, high)
        direction = "ASC" if ascending else "DESC"
        return [row[0] for row in self._through_gin(
            f"SELECT r.id FROM ({self._gin_rows(where)}) AS r WHERE r.tsv @@ {self.row_query} "
            f"ORDER BY r.id {direction} LIMIT %s", (*self._gin_params(params), self.terms, limit))]

    def _gin_rows(self, where: str) -> str:
        """The rows the GIN index gives for the words of `_gin_words`, each then checked
        for the whole query. OFFSET 0 keeps the planner from merging the two conditions."""
        return (f"SELECT s.id, s.tsv FROM search_index AS s "
                f"WHERE s.tsv @@ plainto_tsquery('crm_text', %s){where} OFFSET 0")

    def _gin_params(self, params) -> tuple:
        return (" ".join(self._gin_words()), *params)

    def _gin_words(self) -> list[str]:
        """The words the GIN index is asked for: the rarer ones (all when none or all are
        common). Asked for a common word too, the index reads much of its list (1.4 million
        entries for "el"), which costs more than checking it on a few rows. But when the
        one rarer word is in many rows, that costs little beside reading those rows, and
        words that rarely go together leave far fewer to read ("para reportar que la
        impresora": 6,905 rows hold all five words, 82,059 hold "reportar"). Two rarer
        words already leave the rows that hold both, most often few."""
        rare = self._rare_words()
        if len(rare) == 1 and self._gin_candidates() >= self.NARROW_FROM:
            return self.text.split()
        return rare

    def _rare_words(self) -> list[str]:
        """The query's words that are in less than one record in COMMON_SHARE, by the
        table's statistics (a word missing from them is rarer than any listed)."""
        if self._rare is None:
            shares = _pg_word_shares(self.db)
            words = self.text.split()
            self._rare = [word for word in words if shares.get(fold(word), 0) < 1 / COMMON_SHARE] or words
        return self._rare

    def _gin_candidates(self) -> float:
        """About how many rows the GIN index hands over for the query's rarer words, each
        to be checked for the rest: the rarest of them (a word the statistics do not list
        is rarer than any they do). "para reportar que la impresora" matches one record in
        300, but the index gives every record with "reportar", one in 26."""
        shares = _pg_word_shares(self.db)
        if not shares:
            return 0.0
        floor = min(shares.values())
        share = min(shares.get(fold(word), floor) for word in self._rare_words())
        return share * _pg_rows(self.db)

    def _through_gin(self, sql: str, params: tuple) -> list[tuple]:
        """Rows of `sql` read through the GIN index: the planner may neither walk the key
        index nor scan the table (it would for a query it wrongly thinks common), and the
        costs those settings inflate must not start the JIT compiler either. The three
        are set in one statement (as SET LOCAL: for this transaction)."""
        with self.db.atomic():
            self.db.execute_sql("SELECT set_config('enable_seqscan', 'off', true), "
                                "set_config('enable_indexscan', 'off', true), set_config('jit', 'off', true)")
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
                FROM search_text AS t, (SELECT {self.query}) AS q(query) WHERE t.id = ANY(%s)""",
            (_PG_HEADLINE_OPTIONS, self.terms, list(keys))).fetchall()

    def scores(self, low, high, ascending: bool, limit: int | None) -> list[tuple[float, int]]:
        keys = self.keys(low, high, ascending, limit)
        rows = self.db.execute_sql(
            f"""SELECT s.id, ts_rank(s.tsv, q.query) FROM search_index AS s, {self.rank_query} AS q(query)
                WHERE s.id = ANY(%s)""", (self.text, keys)).fetchall() if keys else []
        return [(round(float(score), 9), key) for key, score in rows]

    @staticmethod
    def _headline() -> str:
        return "ts_headline('crm_text', concat_ws(E'\\n', t.body, NULLIF(t.work, '')), q.query, %s)"
