"""The catalogs' search box reads, page by page in both directions, exactly the rows the
plain "the folded name holds the text, or the key is that number" condition gives."""
from __future__ import annotations

import random

import pytest

from crm_tui.db import name_index
from crm_tui.db.connection import database
from crm_tui.db.models import Client, Contact, now
from crm_tui.db.text import fold
from crm_tui.services import PageRequest, catalogs

GIVEN = ["Jorge", "María", "Lara", "José", "Ana", "Martín", "Lucía", "Óscar", "Iñaki", "Rosa", "Marta"]
FAMILY = ["Méndez", "Ruiz", "Pérez", "Lara", "Núñez", "Gómez", "Ortega", "Smart", "Mendoza", "Ávila"]
NAMES = 2500


def _stamps() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "test", "updated_by": "test"}


def _name(rng: random.Random) -> str:
    name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    if rng.random() < 0.3:
        name += f" {rng.choice(FAMILY)}"
    if rng.random() < 0.05:
        name += f" {rng.randrange(1, 3000)}"
    return name


@pytest.fixture
def crowd(db, agent):
    """A client and a few thousand contacts with generated names, with gaps in the keys."""
    rng = random.Random(11)
    client = catalogs.add_client(agent, catalogs.ClientInput(name="Cliente General"))
    other = catalogs.add_client(agent, catalogs.ClientInput(name="Otro Cliente"))
    keys = sorted(rng.sample(range(1, NAMES * 2), NAMES))
    rows = []
    for key in keys:
        name = _name(rng)
        owner = other.id if rng.random() < 0.1 else client.id
        rows.append({"key": key, "client": owner, "name": name, "name_folded": fold(name),
                     "active": rng.random() < 0.9, **_stamps()})
    for start in range(0, len(rows), 500):
        Contact.insert_many(rows[start:start + 500]).execute()
    return {"rng": rng, "other": other.id}


def _texts(rng: random.Random) -> list[str]:
    names = [row.name for row in Contact.select(Contact.name)]
    texts = ["ar", "lara", "jorge mend", "MÉNDEZ", "z o", "xyz", "12", "a m", "mendoza", "ruiz lara",
             "rtín pérez lara", "josé ruiz%", "ía gómez o"]
    for _ in range(12):
        name = rng.choice(names)
        start = rng.randrange(len(name))
        texts.append(name[start:start + rng.randrange(2, 11)])
    return texts


def _expected(text: str, **filters) -> list[int]:
    """The keys the plain condition gives, in key order."""
    query = Contact.select(Contact.key).join(Client)
    condition = catalogs._text_condition(text, Contact.name_folded, Contact.key)
    if condition is not None:
        query = query.where(condition)
    if filters.get("active_only"):
        query = query.where(Contact.active == True)  # noqa: E712
    if filters.get("client_id"):
        query = query.where(Contact.client == filters["client_id"])
    return [key for (key,) in query.order_by(Contact.key).tuples()]


def _forward(limit: int, **options) -> list[int]:
    keys, request = [], PageRequest(limit=limit)
    while True:
        page = catalogs.list_contacts(request, **options)
        keys += [row.key for row in page.rows]
        if not page.has_after:
            return keys
        request = PageRequest(after=page.last_cursor, limit=limit)


def _backward(limit: int, **options) -> list[int]:
    keys, request = [], PageRequest(last=True, limit=limit)
    while True:
        page = catalogs.list_contacts(request, **options)
        keys[:0] = [row.key for row in page.rows]
        if not page.has_before:
            return keys
        request = PageRequest(before=page.first_cursor, limit=limit)


@pytest.mark.parametrize("window, walk", [(7, 30), (300, 2000), (catalogs.FIRST_WINDOW, catalogs.LONGEST_WALK)])
def test_every_page_either_way_holds_exactly_the_names_with_the_text(crowd, monkeypatch, window, walk):
    monkeypatch.setattr(catalogs, "FIRST_WINDOW", window)
    monkeypatch.setattr(catalogs, "LONGEST_WALK", walk)
    rng = crowd["rng"]
    for text in _texts(rng):
        expected = _expected(text)
        limit = rng.choice([5, 50])
        assert _forward(limit, text=text) == expected, text
        assert _backward(limit, text=text) == expected, text
        assert _forward(limit, text=text, descending=True) == expected[::-1], text
        assert _backward(limit, text=text, descending=True) == expected[::-1], text


def test_the_text_combines_with_the_client_and_active_filters(crowd, monkeypatch):
    monkeypatch.setattr(catalogs, "FIRST_WINDOW", 40)
    monkeypatch.setattr(catalogs, "LONGEST_WALK", 100)
    for text in ("lara", "mend", "1"):
        options = {"active_only": True, "client_id": crowd["other"]}
        expected = _expected(text, **options)
        assert _forward(7, text=text, **options) == expected
        assert _backward(7, text=text, **options) == expected


def test_a_page_around_a_record_among_the_matches(crowd, monkeypatch):
    monkeypatch.setattr(catalogs, "FIRST_WINDOW", 20)
    monkeypatch.setattr(catalogs, "LONGEST_WALK", 50)
    expected = _expected("mendoza")
    target = Contact.get(Contact.key == expected[len(expected) // 2])
    page = catalogs.list_contacts(PageRequest(around=target.id, limit=10), text="mendoza")
    keys = [row.key for row in page.rows]
    start = expected.index(keys[0])
    assert keys == expected[start:start + 10] and target.key in keys
    assert page.offset in (None, start)


LARGE = 20_000
RARE = "Víctor Moreno Ruiz"  # one contact in RARE_EVERY; no other name holds "victor m"
RARE_EVERY = 300
LATE = "Iván Rivas Soto"  # as rare, from the key LATE_FROM on; no other name holds "ivan riv"
LATE_FROM = 6_000


@pytest.fixture
def large_catalog(db, agent):
    """A catalog far larger than the box's first window, where a first name and the start of
    a last name ("Víctor M") hold a few names in a thousand, spread over the keys."""
    if not name_index.has_trigram_index(db):
        pytest.skip("the trigram index is PostgreSQL's, with pg_trgm")
    rng = random.Random(5)
    client = catalogs.add_client(agent, catalogs.ClientInput(name="Cliente General"))
    rows = []
    for key in range(1, LARGE + 1):
        name = RARE if key % RARE_EVERY == 0 else _name(rng)
        if key > LATE_FROM and key % RARE_EVERY == RARE_EVERY // 2:
            name = LATE
        rows.append({"key": key, "client": client.id, "name": name, "name_folded": fold(name), "active": True,
                     **_stamps()})
    for start in range(0, len(rows), 1000):
        Contact.insert_many(rows[start:start + 1000]).execute()
    db.execute_sql("VACUUM ANALYZE contact")  # the same table whatever the tests before left in it


def _counting_contact_rows(action) -> tuple:
    """What `action` returns, and the rows it read from the contact table and its indexes
    (a row read in an index, then in the table, counts twice), as the server counts them in
    the transaction."""
    counted = ("SELECT sum(pg_stat_get_xact_tuples_returned(oid) + pg_stat_get_xact_tuples_fetched(oid))::int"
               " FROM pg_class WHERE oid = 'contact'::regclass"
               " OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'contact'::regclass)")
    with database.atomic():
        before = database.execute_sql(counted).fetchone()[0]
        result = action()
        return result, database.execute_sql(counted).fetchone()[0] - before


def test_a_rare_name_is_read_from_the_trigram_index_not_by_walking_every_key(large_catalog):
    expected = _expected("Víctor M")
    page, read = _counting_contact_rows(lambda: catalogs.list_contacts(PageRequest(limit=50), text="Víctor M"))
    assert [row.key for row in page.rows] == expected[:50] and page.has_after
    # The first window of keys (in the key's index, then in the table), then about the names
    # holding the text: not the 15,000 keys up to the 50th of them.
    assert read < 3 * catalogs.FIRST_WINDOW + 10 * len(expected)


def test_a_rare_name_past_the_first_window_is_read_from_the_trigram_index_by_a_kept_plan(large_catalog):
    """A CRM left open reads the box through statements the server has prepared, planned
    once for any text (a generic plan): there too the names holding the text come from the
    trigram index, not from a walk of every key after the first window."""
    expected = _expected("Iván Riv")
    database.execute_sql("SET plan_cache_mode = force_generic_plan")
    try:
        page, read = _counting_contact_rows(lambda: catalogs.list_contacts(PageRequest(limit=50), text="Iván Riv"))
    finally:
        database.execute_sql("RESET plan_cache_mode")
    assert [row.key for row in page.rows] == expected and expected[0] > LATE_FROM
    assert read < 3 * catalogs.FIRST_WINDOW + 10 * len(expected)  # not the 18,000 keys after the window


def test_pages_on_either_side_of_key_32767(db, agent):
    """The walk's window ends a few thousand keys past the cursor's: a key that the driver
    sends as a small integer must not make that sum overflow (PostgreSQL)."""
    rng = random.Random(3)
    client = catalogs.add_client(agent, catalogs.ClientInput(name="Cliente General"))
    rows = []
    for key in range(10_000, 36_000, 40):
        name = _name(rng)
        rows.append({"key": key, "client": client.id, "name": name, "name_folded": fold(name), "active": True,
                     **_stamps()})
    Contact.insert_many(rows).execute()
    for text in ("lara", "jorge mend", "xyz"):
        expected = _expected(text)
        assert _forward(20, text=text) == expected, text
        assert _backward(20, text=text, descending=True) == expected[::-1], text
