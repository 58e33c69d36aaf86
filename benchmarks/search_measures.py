"""The search measures of benchmarks/run.py: concept search and the catalog search box.

Both time what the user waits for (a page of results, through the service), for inputs
drawn the way users type them, and report the median, the 95th percentile and the worst
input with its number of matches.

With CRM_BENCH_POSTGRES set to a PostgreSQL URL (a database of your own: the measure
replaces its `public` schema), each measure also runs there, on a copy of the benchmark
database made once (the copy is kept while its schema and row counts match).

    CRM_BENCH_POSTGRES=postgresql://postgres@127.0.0.1:5432/bench_search \\
        .venv/bin/python benchmarks/run.py --only search,catalog_box
"""
from __future__ import annotations

import math
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from crm_tui.db import close_database, database, migrations, models, open_database
from crm_tui.db import search as index

POSTGRES_ENV = "CRM_BENCH_POSTGRES"
RUNS = 5  # timed runs per input, after one warm-up; the input's time is their median
SEARCH_WORDS = 30
SEARCH_PHRASES = 10  # typed as they are: every word must appear
QUOTED_PHRASES = 5  # typed in double quotes: the words together
TEXTS_PER_SOURCE = 200
BOX_CONTACT_NAMES = 10
BOX_CLIENT_NAMES = 5
BOX_PREFIX = 10  # the box filters as the user types: each prefix of a name up to this long

_TOKEN = re.compile(r"[^\W_]+")


def _runner(bench) -> Any:
    """benchmarks/run.py itself (Row, median_ms, ...): the module that made `bench`. It runs
    as __main__, so importing it by name would load a second copy."""
    return sys.modules[type(bench).__module__]


def _timed(action: Callable[[], Any], runs: int = RUNS) -> float:
    action()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _once(action: Callable[[], Any]) -> float:
    """One run, in ms: for a baseline that reads the whole table each time."""
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


# --- what users type ---------------------------------------------------------------------


def _sample_texts(reader: sqlite3.Connection, rng: random.Random) -> list[list[str]]:
    """The words of random order details, service entries and activity details."""
    texts = []
    for table, column in (("service_order", "detail"), ("service_entry", "work_done"), ("activity", "detail")):
        highest = reader.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0] or 0
        ids = sorted(rng.sample(range(1, highest + 1), min(highest, TEXTS_PER_SOURCE)))
        marks = ", ".join("?" * len(ids))
        texts += [_TOKEN.findall(row[0] or "") for row in reader.execute(
            f"SELECT {column} FROM {table} WHERE id IN ({marks})", ids)]
    return [words for words in texts if words]


def search_queries(reader: sqlite3.Connection) -> list[str]:
    """Words drawn by how often they occur in the texts (short and common words too: "el"
    is drawn as often as users type it), then phrases of two to five words of one text."""
    rng = random.Random(11)
    texts = _sample_texts(reader, rng)
    frequency: dict[str, int] = {}
    for words in texts:
        for word in words:
            frequency[word.lower()] = frequency.get(word.lower(), 0) + 1
    words: list[str] = []
    while len(words) < SEARCH_WORDS and frequency:
        word = rng.choices(list(frequency), weights=list(frequency.values()))[0]
        words.append(word)
        del frequency[word]
    phrases = []
    for number in range(SEARCH_PHRASES + QUOTED_PHRASES):
        source = rng.choice([words for words in texts if len(words) >= 2])
        length = rng.randint(2, min(5, len(source)))
        start = rng.randrange(len(source) - length + 1)
        phrase = " ".join(source[start:start + length])
        phrases.append(f'"{phrase}"' if number >= SEARCH_PHRASES else phrase)
    return words + phrases


def box_texts(reader: sqlite3.Connection) -> dict[str, list[str]]:
    """For random clients and contacts: what the user types, keystroke by keystroke (each
    prefix of the name), then a word of the name alone and the whole name."""
    rng = random.Random(7)
    chosen = {}
    for table, count in (("contact", BOX_CONTACT_NAMES), ("client", BOX_CLIENT_NAMES)):
        highest = reader.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0] or 0
        ids = rng.sample(range(1, highest + 1), min(highest, count))
        marks = ", ".join("?" * len(ids))
        names = [row[0] for row in reader.execute(f"SELECT name FROM {table} WHERE id IN ({marks})", ids)]
        texts: list[str] = []
        for name in names:
            texts += [name[:length] for length in range(1, min(BOX_PREFIX, len(name)) + 1)]
            words = name.split()
            texts += [rng.choice(words[1:] or words), name]
        chosen[table] = list(dict.fromkeys(text.strip() for text in texts if text.strip()))
    return chosen


# --- PostgreSQL: a copy of the benchmark database ------------------------------------------

_CHECKED_TABLES = ("service_order", "service_entry", "activity", "contact", "client")


def postgres_url(bench) -> str | None:
    """The PostgreSQL copy of the benchmark database, made when missing or out of date;
    None when CRM_BENCH_POSTGRES is not set."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        return None
    if bench.cache.get("postgres") != url:
        reader = sqlite3.connect(f"file:{bench.path}?mode=ro", uri=True)
        try:
            counts = {table: reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in _CHECKED_TABLES}
            if not _postgres_holds(url, counts):
                _copy_to_postgres(reader, url)
        finally:
            reader.close()
            open_database(str(bench.path))
        bench.cache["postgres"] = url
    return url


def _postgres_holds(url: str, counts: dict[str, int]) -> bool:
    try:
        db = open_database(url)
        if migrations.schema_version(db) != migrations.LATEST_VERSION:
            return False
        return all(db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0] == count
                   for table, count in counts.items())
    except Exception:  # noqa: BLE001 - no schema yet, or another one: copy again
        return False
    finally:
        close_database()


def _copy_to_postgres(reader: sqlite3.Connection, url: str) -> None:
    """Every row of the SQLite benchmark database into a new schema on PostgreSQL, then
    the indexes, the sequences and the search structures, built once."""
    started = time.perf_counter()

    def say(stage: str) -> None:
        print(f"  {time.perf_counter() - started:6.1f} s  PostgreSQL copy: {stage}", file=sys.stderr, flush=True)

    say(f"replacing the schema of {url}")
    db = open_database(url)
    db.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
    db.execute_sql("CREATE SCHEMA public")
    migrations.upgrade(db)
    with db.atomic():
        index.drop_sync(db)
        indexes = db.execute_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()
        for name, _definition in indexes:
            db.execute_sql(f'DROP INDEX "{name}"')
    for model in models.ALL_MODELS:
        if model is models.Meta:
            continue
        say(f"rows of {model._meta.table_name}")
        _copy_table(reader, db, model)
    with db.atomic():
        say("indexes")
        for _name, definition in indexes:
            db.execute_sql(definition)
        for model in models.ALL_MODELS:
            table = model._meta.table_name
            if model._meta.primary_key.column_name == "id":
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                               f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))')
        say("search structures")
        index.install(db)
    db.execute_sql("ANALYZE")
    close_database()
    say("done")


def _copy_table(reader: sqlite3.Connection, db, model) -> None:
    table = model._meta.table_name
    columns = [field.column_name for field in model._meta.sorted_fields]
    names = ", ".join(f'"{column}"' for column in columns)
    rows = reader.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid')
    with db.atomic():
        cursor = db.cursor()
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)


# --- concept search ----------------------------------------------------------------------


def _folded_sql(column: str) -> str:
    """`column` lower-cased without the accents of Spanish text, in SQL: the text the index
    holds, for the LIKE baseline."""
    expression = f"lower({column})"
    for accented, plain in zip("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunaeiouun"):
        expression = f"replace({expression}, '{accented}', '{plain}')"
    return expression


def _sqlite_baseline_table(reader_path: Path, folder: Path) -> sqlite3.Connection:
    """A scratch database holding each order's and activity's folded text (one row per
    record, as the index): what a LIKE scan of the same text reads."""
    scratch = sqlite3.connect(folder / "folded.db")
    scratch.execute("ATTACH DATABASE ? AS bench", (f"file:{reader_path}?mode=ro",))
    scratch.execute(
        "CREATE TABLE folded AS "
        f"SELECT {_folded_sql('o.detail')} || ' ' || coalesce({_folded_sql('w.work')}, '') AS body "
        "FROM bench.service_order AS o LEFT JOIN (SELECT order_id, group_concat(work_done, ' ') AS work "
        "FROM bench.service_entry GROUP BY order_id) AS w ON w.order_id = o.id "
        f"UNION ALL SELECT {_folded_sql('detail')} FROM bench.activity")
    scratch.commit()
    return scratch


def _like_conditions(query: str) -> tuple[str, list[str]]:
    """The LIKE conditions that find what `query` finds (every word, or the quoted phrase)."""
    from crm_tui.db.text import fold

    words = [fold(word) for word in index.query_words(query)]
    if query.strip().startswith('"') and query.strip().endswith('"') and len(query.strip()) > 1:
        return "body LIKE ?", [f"%{' '.join(words)}%"]
    return " AND ".join("body LIKE ?" for _ in words), [f"%{word}%" for word in words]


def _concept_rows(runner, label: str, queries: list[str], baseline: Callable[[str], float] | None,
                  count_all: Callable[[str], int], target: tuple[float, float | None]) -> list:
    from crm_tui.services.base import PageRequest
    from crm_tui.services.search import RELEVANCE, search_page

    first_page = PageRequest(limit=50)
    times = {query: _timed(lambda q=query: search_page(q, first_page)) for query in queries}
    relevance = {query: _timed(lambda q=query: search_page(q, first_page, order=RELEVANCE), runs=3)
                 for query in queries}
    worst = max(times, key=times.get)
    values = list(times.values())
    p95, median = _p95(values), statistics.median(values)
    p95_goal, worst_goal = target
    good = p95 <= p95_goal and (worst_goal is None or times[worst] <= worst_goal)
    words = sum(1 for query in queries if " " not in query)
    rows = []
    described = (f"{label}: {len(queries)} inputs ({words} words by frequency, {len(queries) - words} phrases), "
                 f"first page of 50 newest + count; median {_ms(median)}, worst {_ms(times[worst])} "
                 f"for {worst!r} ({count_all(worst):,} matches); load {_load()}")
    goal = f"p95 <= {p95_goal:g} ms" + (f", worst <= {worst_goal:g} ms" if worst_goal else "")
    if baseline is not None:
        ratios = {query: baseline(query) / times[query] for query in queries}
        lowest = min(ratios, key=ratios.get)
        described += f"; baseline: LIKE count over the folded text, lowest ratio for {lowest!r}"
        single = [query for query in queries if " " not in query]
        below = sorted(query for query in queries if ratios[query] < 20)
        if single:
            lowest_word = min(single, key=ratios.get)
            described += f"; lowest for a single word {ratios[lowest_word]:.0f}x ({lowest_word!r})"
        if below:
            described += f"; under 20x: {len(below)} of {len(queries)} ({', '.join(map(repr, below[:3]))})"
        rows.append(runner.Row(described, _ms(p95), f"{_ms(statistics.median(baseline(q) for q in queries))} (median)",
                               f"{ratios[lowest]:.0f}x (lowest)", goal + ", each >= 20x",
                               runner.verdict(good and ratios[lowest] >= 20)))
    else:
        rows.append(runner.Row(described, _ms(p95), target=goal, ok=runner.verdict(good)))
    slowest = max(relevance, key=relevance.get)
    rows.append(runner.Row(
        f"{label}, by relevance (blocks of {index.RANK_BLOCK:,}): median {_ms(statistics.median(relevance.values()))}, "
        f"worst {_ms(relevance[slowest])} for {slowest!r}", _ms(_p95(list(relevance.values()))),
        target="(shown, no target)"))
    return rows


def measure_search(bench) -> list:
    """Concept search through the service, on SQLite and (when asked) on PostgreSQL."""
    runner = _runner(bench)
    reader = sqlite3.connect(f"file:{bench.path}?mode=ro", uri=True)
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-search-"))
    try:
        queries = search_queries(reader)
        scratch = _sqlite_baseline_table(bench.path, folder)
        baselines: dict[str, float] = {}

        def like_scan(query: str) -> float:
            if query not in baselines:
                where, params = _like_conditions(query)
                baselines[query] = _once(lambda: scratch.execute(
                    f"SELECT count(*) FROM folded WHERE {where}", params).fetchone())
            return baselines[query]

        like_scan(queries[0])  # warm-up: the scratch table into the cache
        baselines.clear()

        def sqlite_count(query: str) -> int:
            return index.count_matches(database, query)

        open_database(str(bench.path))
        rows = _concept_rows(runner, f"concept search, SQLite ({_orders(reader):,} orders)", queries,
                             like_scan, sqlite_count, (10, 30))
        scratch.close()
        url = postgres_url(bench)
        if url:
            rows += _postgres_concept_rows(runner, bench, url, queries)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        rows = [runner.Row("concept search", f"error: {type(exc).__name__}: {str(exc)[:80]}", ok="NO")]
    finally:
        reader.close()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
        open_database(str(bench.path))
    return rows


def _orders(reader: sqlite3.Connection) -> int:
    return reader.execute("SELECT count(*) FROM service_order").fetchone()[0]


def _postgres_concept_rows(runner, bench, url: str, queries: list[str]) -> list:
    db = open_database(url)
    _postgres_baseline_table(db)
    baselines: dict[str, float] = {}

    def like_scan(query: str) -> float:
        if query not in baselines:
            where, params = _like_conditions(query)
            sql = f"SELECT count(*) FROM bench_folded WHERE {where.replace('?', '%s')}"
            baselines[query] = _once(lambda: db.execute_sql(sql, params).fetchone())
        return baselines[query]

    like_scan(queries[0])  # warm-up
    baselines.clear()

    def postgres_count(query: str) -> int:
        return index.count_matches(db, query)

    orders = db.execute_sql("SELECT count(*) FROM service_order").fetchone()[0]
    return _concept_rows(runner, f"concept search, PostgreSQL ({orders:,} orders)", queries, like_scan,
                         postgres_count, (30, None))


def _postgres_baseline_table(db) -> None:
    """The folded text of each order and activity, once per copy (kept with it)."""
    if db.table_exists("bench_folded"):
        return
    db.execute_sql(
        "CREATE TABLE bench_folded AS SELECT lower(unaccent(body || ' ' || work)) AS body FROM search_text")
    db.execute_sql("ANALYZE bench_folded")


# --- the catalog search box --------------------------------------------------------------


def _box_rows(runner, label: str, texts: dict[str, list[str]], baseline: Callable[[str, str], float] | None,
              count_matches: Callable[[str, str], int]) -> list:
    from crm_tui.services import catalogs
    from crm_tui.services.base import PageRequest

    listing = {"contact": catalogs.list_contacts, "client": catalogs.list_clients}
    first_page = PageRequest(limit=50)
    rows = []
    for table, typed in texts.items():
        total = database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
        times = {text: _timed(lambda t=text, f=listing[table]: f(first_page, text=t)) for text in typed}
        worst = max(times, key=times.get)
        values = list(times.values())
        p95 = _p95(values)
        described = (f"{table}s search box, {label} ({total:,} {table}s): {len(typed)} texts as typed "
                     f"(prefixes, a word, the name), first page; median {_ms(statistics.median(values))}, "
                     f"worst {_ms(times[worst])} for {worst!r} ({count_matches(table, worst):,} matches); "
                     f"load {_load()}")
        good = p95 <= 30 and times[worst] <= 30
        if baseline is not None:
            base = {text: baseline(table, text) for text in typed}
            described += "; baseline: the LIKE walk it replaces, same texts"
            rows.append(runner.Row(described, _ms(p95), f"{_ms(_p95(list(base.values())))} (p95)",
                                   f"{_p95(list(base.values())) / p95:.1f}x", "p95 and worst <= 30 ms",
                                   runner.verdict(good)))
        else:
            rows.append(runner.Row(described, _ms(p95), target="p95 and worst <= 30 ms", ok=runner.verdict(good)))
    return rows


def _like_walk(db, table: str, text: str) -> float:
    """The search box before the name index: LIKE over the folded name, walking the list by key."""
    from crm_tui.db.text import fold

    pattern = "%" + fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = (f"SELECT * FROM {table} WHERE name_folded LIKE {db.param} ESCAPE '\\' "
           f"ORDER BY key LIMIT 51")
    return _timed(lambda: db.execute_sql(sql, (pattern,)).fetchall())


def _count_names(table: str, text: str) -> int:
    from crm_tui.db.text import fold

    pattern = "%" + fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return database.execute_sql(
        f"SELECT count(*) FROM {table} WHERE name_folded LIKE {database.param} ESCAPE '\\'", (pattern,)).fetchone()[0]


def measure_catalog_box(bench) -> list:
    """The catalogs' search box (clients and contacts) through the list services."""
    runner = _runner(bench)
    reader = sqlite3.connect(f"file:{bench.path}?mode=ro", uri=True)
    try:
        texts = box_texts(reader)
        db = open_database(str(bench.path))
        rows = _box_rows(runner, "SQLite", texts, lambda table, text: _like_walk(db, table, text), _count_names)
        url = postgres_url(bench)
        if url:
            open_database(url)
            from crm_tui.db import name_index

            label = "PostgreSQL" + (" WITHOUT pg_trgm" if name_index.trigram_index_missing(database) else "")
            rows += _box_rows(runner, label, texts, None, _count_names)
    except Exception as exc:  # noqa: BLE001 - shown in the row, the run goes on
        rows = [runner.Row("catalog search box", f"error: {type(exc).__name__}: {str(exc)[:80]}", ok="NO")]
    finally:
        reader.close()
        open_database(str(bench.path))
    return rows
