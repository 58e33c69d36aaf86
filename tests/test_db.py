"""Storage: opening databases, schema versions, counters and the concept-search index."""
from __future__ import annotations

import pytest

from crm_tui.db import DatabaseOpenError, close_database, database, is_sqlite, open_database
from crm_tui.db import counters, migrations, search
from crm_tui.db.connection import describe_url, parse_url
from crm_tui.db.models import Category, Client, Contact, ServiceEntry, ServiceOrder, User, now

SEEDED_DETAIL = 'cámara AND NEAR (uno) "dos" - * tres'
# What a user might type -> the word of SEEDED_DETAIL the search marks, or None: no match
# (every word of the query must be in the text; operators and punctuation are only text).
HOSTILE_QUERIES = {
    '"': None, "'": None, "*": None, "-": None, "(": None, ")": None, "()": None, "AND": "AND",
    "OR": None, "NOT": None, "NEAR": "NEAR", "NEAR(a b)": None, "a AND": None, "-camara": "cámara",
    "camara*": "cámara", "^x": None, "col:value": None, '"unclosed': None, ":": None, "!!!": None,
    "[bold]": None, "x" * 5000: None, "": None, "   ": None, "🙂 cámara": "cámara",
    "a' OR '1'='1": None, "(uno)": "uno", '"dos"': "dos", "TRES -": "tres", "NEAR(uno": "NEAR",
}


def test_urls_name_sqlite_files_and_postgres_servers():
    assert parse_url("crm.db") == ("sqlite", "crm.db")
    assert parse_url("sqlite:///data/crm.db") == ("sqlite", "data/crm.db")
    assert parse_url("sqlite:////srv/crm/crm.db") == ("sqlite", "/srv/crm/crm.db")
    assert parse_url("postgresql://crm@db.local/crm")[0] == "postgresql"
    assert describe_url("postgresql://crm:secret@db.local:5433/crm") == "postgresql://crm@db.local:5433/crm"
    with pytest.raises(DatabaseOpenError, match="Unsupported"):
        parse_url("mysql://x/y")


def test_a_missing_sqlite_file_is_not_created_unless_asked(tmp_path):
    with pytest.raises(DatabaseOpenError, match="crm init"):
        open_database(str(tmp_path / "missing.db"))
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(DatabaseOpenError, match="does not exist"):
        open_database(str(tmp_path / "no" / "such" / "dir.db"), create=True)


def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = open_database(str(tmp_path / "c.db"), create=True)
    try:
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    finally:
        close_database()


def _seed_order(detail: str, entry: str | None = None) -> ServiceOrder:
    moment = now()
    user = User.get_or_create(username="ana", defaults={"full_name": "Ana"})[0]
    client = Client.create(key=counters.take_next(counters.CLIENT_KEY), name="ACME")
    contact = Contact.create(key=counters.take_next(counters.CONTACT_KEY), client=client, name="Pepe")
    category = Category.get_or_create(name="Soporte", name_folded="soporte")[0]
    order = ServiceOrder.create(number=counters.take_next(counters.ORDER_NUMBER), contact=contact,
                                client=client, category=category, detail=detail)
    if entry:
        ServiceEntry.create(order=order, when=moment, user=user, work_done=entry)
    return order


def test_a_new_database_is_at_the_latest_version(db):
    assert migrations.schema_version(db) == migrations.LATEST_VERSION
    assert migrations.upgrade(db) == (migrations.LATEST_VERSION, migrations.LATEST_VERSION)


def test_a_first_version_database_is_upgraded_with_its_data(db_url):
    db = open_database(db_url, create=True)
    try:
        assert migrations.upgrade(db, upto=1) == (0, 1)
        with db.atomic():
            order = _seed_order("La cámara del estacionamiento no graba de noche")
        assert not db.table_exists("search_index")
        before, after = migrations.upgrade(db)
        assert (before, after) == (1, migrations.LATEST_VERSION)
        assert ServiceOrder.get_by_id(order.id).detail.startswith("La cámara")
        hits = search.search(db, "CAMARA")
        assert [(h.target_kind, h.target_id) for h in hits] == [("order", order.id)]
    finally:
        close_database()


def test_counters_never_hand_out_a_number_twice(db):
    with db.atomic():
        first = counters.take_next(counters.ORDER_NUMBER)
    try:
        with db.atomic():
            counters.take_next(counters.ORDER_NUMBER)
            raise RuntimeError("the insert failed")
    except RuntimeError:
        pass
    with db.atomic():
        third = counters.take_next(counters.ORDER_NUMBER)
    assert third > first
    assert counters.peek_next(counters.ORDER_NUMBER) == third + 1


def test_search_folds_accents_and_case_and_follows_changes(db):
    with db.atomic():
        order = _seed_order("Revisar cámara IP del almacén", entry="Se reemplazó la FUENTE de energía")
    assert [h.target_id for h in search.search(db, "camara")] == [order.id]
    assert [h.target_id for h in search.search(db, "Energia")] == [order.id]
    hit = search.search(db, "almacen")[0]
    assert search.HIT_START + "almacén" + search.HIT_END in hit.snippet
    with db.atomic():
        ServiceOrder.update(detail="Instalar impresora").where(ServiceOrder.id == order.id).execute()
    assert search.search(db, "camara") == []
    assert [h.target_id for h in search.search(db, "impresora")] == [order.id]
    with db.atomic():
        ServiceEntry.delete().execute()
    assert search.search(db, "energia") == []


def test_a_phrase_in_quotes_matches_only_adjacent_words(db):
    with db.atomic():
        near = _seed_order("disco duro dañado")
        _seed_order("duro golpe al disco")
    assert [h.target_id for h in search.search(db, '"disco duro"')] == [near.id]
    assert len(search.search(db, "disco duro")) == 2


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_no_typed_text_is_a_search_syntax_error(db, query):
    with db.atomic():
        order = _seed_order(SEEDED_DETAIL)
    marked = HOSTILE_QUERIES[query]
    hits = search.search(db, query)
    if marked is None:
        assert hits == []
    else:
        assert [(hit.target_kind, hit.target_id) for hit in hits] == [("order", order.id)]
        assert search.HIT_START + marked + search.HIT_END in hits[0].snippet
