"""Concept search: orders, service entries and activities, ranked, accent-insensitive."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.db import database
from crm_tui.db import search as index
from crm_tui.db import search_postgres
from crm_tui.db.models import Activity, Category, Client, Contact, ServiceEntry, ServiceOrder
from crm_tui.db.text import fold
from crm_tui.services.base import PageRequest
from crm_tui.services.search import NEWEST, RELEVANCE, SearchResult, concept_search, search_page, split_snippet

MONDAY = dt.datetime(2026, 3, 2, 10, 30)


@pytest.fixture
def world(db, agent):
    client = Client.create(key=1, name="Farmacias del Bajío", name_folded=fold("Farmacias del Bajío"))
    contact = Contact.create(key=1, client=client, name="Marta Ruiz", name_folded="marta ruiz")
    category = Category.create(name="Soporte", name_folded="soporte")
    counter = {"order": 0, "activity": 0}

    def order(detail: str, status: str = "open", created: dt.datetime | None = None) -> ServiceOrder:
        counter["order"] += 1
        return ServiceOrder.create(number=100 + counter["order"], contact=contact, client=client,
                                   category=category, detail=detail, status=status,
                                   created_at=created or MONDAY + dt.timedelta(hours=counter["order"]))

    def entry(target: ServiceOrder, work_done: str) -> ServiceEntry:
        return ServiceEntry.create(order=target, when=MONDAY, user=agent.id, work_done=work_done)

    def activity(detail: str, when: dt.datetime | None = None) -> Activity:
        counter["activity"] += 1
        return Activity.create(folio=500 + counter["activity"], when=when or MONDAY - dt.timedelta(days=1),
                               user=agent.id, contact=contact, client=client, category=category,
                               detail=detail, status="done")

    return {"order": order, "entry": entry, "activity": activity}


def found(text: str, limit: int = 50, order: str = NEWEST) -> list[tuple[str, int]]:
    return [(result.kind, result.number) for result in concept_search(text, limit=limit, order=order)]


def highlighted(result: SearchResult) -> list[str]:
    return [result.snippet[start:end] for start, end in result.highlights]


def test_accents_and_case_do_not_matter_either_way(world):
    world["order"]("Revisar la CÁMARA del acceso principal")
    world["order"]("cambiar la camara del estacionamiento")

    for typed in ("camara", "cámara", "CÁMARA", "Camara", "CAMARA"):
        assert sorted(found(typed)) == [("order", 101), ("order", 102)], typed


def test_a_word_in_an_order_detail_gives_the_order_with_its_details(world):
    world["order"]("La impresora de tickets no enciende", status="finished")

    [result] = concept_search("IMPRESORA")
    assert (result.kind, result.number, result.status) == ("order", 101, "finished")
    assert result.id == ServiceOrder.get(ServiceOrder.number == 101).id
    assert (result.contact_name, result.client_name) == ("Marta Ruiz", "Farmacias del Bajío")
    assert result.when == MONDAY + dt.timedelta(hours=1)
    assert "impresora" in result.snippet
    assert [fold(word) for word in highlighted(result)] == ["impresora"]


def test_a_word_in_a_service_entry_gives_its_order(world):
    target = world["order"]("Mantenimiento preventivo")
    world["entry"](target, "Se reemplazó el regulador de voltaje quemado")

    [result] = concept_search("regulador")
    assert (result.kind, result.id, result.number) == ("order", target.id, 101)
    assert highlighted(result) == ["regulador"]


def test_a_word_in_an_activity_detail_gives_the_activity(world):
    world["activity"]("Llamó para pedir cotización del conmutador")

    [result] = concept_search("cotizacion")
    assert (result.kind, result.number, result.status) == ("activity", 501, "done")
    assert result.when == MONDAY - dt.timedelta(days=1)
    assert result.client_name == "Farmacias del Bajío"
    assert highlighted(result) == ["cotización"]


def test_by_relevance_more_mentions_rank_higher_and_newest_first_is_the_default(world):
    world["order"]("servidor lento: reiniciar el servidor")
    world["order"]("revisar el servidor de correo hoy")
    world["activity"]("preguntar por licencias de antivirus")

    assert found("servidor", order=RELEVANCE) == [("order", 101), ("order", 102)]
    assert found("servidor") == [("order", 102), ("order", 101)]


def test_by_relevance_the_records_own_text_weighs_more_than_its_service_entries(world):
    target = world["order"]("mantenimiento preventivo")
    world["entry"](target, "se revisó la impresora")
    world["order"]("revisar la impresora")

    assert found("impresora", order=RELEVANCE) == [("order", 102), ("order", 101)]
    world["order"]("cambio de toner")
    assert found("la impresora", order=RELEVANCE) == [("order", 102), ("order", 101)]


def test_a_phrase_in_quotes_needs_the_words_together(world):
    world["order"]("el cable de red está roto")
    world["order"]("red nueva, cable largo")

    assert sorted(found("cable red")) == [("order", 101), ("order", 102)]
    assert found('"cable de red"') == [("order", 101)]


def test_a_phrase_in_quotes_finds_its_words_across_hyphens(world):
    world["order"]("El no-break APC no enciende")
    world["order"]("revisar la cámara-web del punto-de-venta")
    world["order"]("el break del no break")

    assert found('"el no break"') == [("order", 101)]
    assert found('"El no-break APC"') == [("order", 101)]
    assert found('"break apc no"') == [("order", 101)]
    assert found('"la camara web del punto de venta"') == [("order", 102)]
    assert found('"web del punto"') == [("order", 102)]
    assert found('"no break"') == [("order", 103), ("order", 101)]
    assert found('"el no break"', order=RELEVANCE) == [("order", 101)]
    assert found('"no el break"') == []
    assert found('"camara del"') == []
    [result] = concept_search('"el no break"')
    marked = fold(" ".join(highlighted(result)))
    assert all(word in marked for word in ("el", "no", "break"))


def test_every_word_must_appear(world):
    world["order"]("teclado y ratón")
    world["order"]("teclado nuevo")
    assert found("teclado ratón") == [("order", 101)]


def test_changing_and_deleting_source_rows_keeps_the_index_in_sync(world):
    order = world["order"]("fuga en el aire acondicionado")
    entry = world["entry"](order, "se cargó gas refrigerante")
    activity = world["activity"]("visita para revisar el compresor")
    assert found("refrigerante") == [("order", 101)]

    ServiceOrder.update(detail="el minisplit gotea").where(ServiceOrder.id == order.id).execute()
    assert found("fuga") == []
    assert found("minisplit") == [("order", 101)]

    ServiceEntry.update(work_done="se limpió el filtro").where(ServiceEntry.id == entry.id).execute()
    assert found("refrigerante") == []
    assert found("filtro") == [("order", 101)]

    ServiceEntry.delete().where(ServiceEntry.id == entry.id).execute()
    assert found("filtro") == []

    Activity.update(detail="cambio de compresor confirmado").where(Activity.id == activity.id).execute()
    assert found("confirmado") == [("activity", 501)]
    Activity.delete().where(Activity.id == activity.id).execute()
    assert found("compresor") == []


def test_results_take_the_same_few_statements_however_many_there_are(world, monkeypatch):
    def add(count: int) -> None:
        for index in range(count):
            target = world["order"](f"monitor número {index}")
            world["entry"](target, "monitor revisado")
            world["activity"](f"monitor pedido {index}")

    real = database.obj
    statements = []
    original = real.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return original(sql, *args, **kwargs)

    def statements_of_a_search() -> tuple[int, int]:
        statements.clear()
        with monkeypatch.context() as patch:
            patch.setattr(real, "execute_sql", counting)
            results = concept_search("monitor")
        return len(results), len(statements)

    add(1)
    few, few_statements = statements_of_a_search()
    add(5)
    many, many_statements = statements_of_a_search()
    assert (few, many) == (2, 12)
    assert many_statements == few_statements <= 6


def test_limit_is_respected(world):
    for index in range(5):
        world["order"](f"router {index}")
    assert len(concept_search("router", limit=3)) == 3
    assert concept_search("router", limit=0) == []


# --- paging through every match ---------------------------------------------------------


def _at(hour: int) -> dt.datetime:
    return MONDAY + dt.timedelta(hours=hour)


@pytest.fixture
def many(world):
    """46 records mention "impresora", over 46 different hours; others do not. The order's
    date is when it was created, whatever the date of the entry that mentions the word."""
    expected = []  # (when, kind, number)
    for n in range(20):
        order = world["order"](f"la impresora {n} no imprime" if n % 3 else "revisión general",
                               created=_at(3 * n))
        if n % 3 == 0:
            world["entry"](order, "se limpió la impresora")
        expected.append((_at(3 * n), "order", order.number))
    for n in range(26):
        activity = world["activity"](f"cotizar impresora {n}" + " impresora" * (n % 3), when=_at(3 * n + 1))
        expected.append((_at(3 * n + 1), "activity", activity.folio))
    world["order"]("cambio de toner", created=_at(500))
    world["activity"]("llamar al cliente", when=_at(501))
    return [(kind, number) for _when, kind, number in sorted(expected, reverse=True)]


def _walk(text: str, order: str, limit: int) -> tuple[list[tuple[str, int]], list]:
    page = search_page(text, PageRequest(limit=limit), order=order)
    pages = [page]
    assert not page.has_before
    while page.has_after:
        page = search_page(text, PageRequest(after=page.last_cursor, limit=limit), order=order)
        assert page.has_before and len(page.rows) <= limit
        pages.append(page)
    return [(r.kind, r.number) for p in pages for r in p.rows], pages


def _walk_back(text: str, order: str, limit: int) -> list[tuple[str, int]]:
    page = search_page(text, PageRequest(last=True, limit=limit), order=order)
    rows = [(r.kind, r.number) for r in page.rows]
    assert not page.has_after
    while page.has_before:
        page = search_page(text, PageRequest(before=page.first_cursor, limit=limit), order=order)
        assert page.has_after
        rows = [(r.kind, r.number) for r in page.rows] + rows
    return rows


def test_every_match_of_a_common_word_is_reached_page_by_page_newest_first(many):
    shown, pages = _walk("IMPRESORA", NEWEST, limit=7)

    assert shown == many
    assert len(pages) == 7
    whens = [r.when for p in pages for r in p.rows]
    assert whens == sorted(whens, reverse=True)
    assert (pages[0].total, pages[0].total_exact) == (46, True)
    assert _walk_back("impresora", NEWEST, limit=7) == many


def test_by_relevance_every_match_is_reached_once_best_first(many):
    shown, pages = _walk("impresora", RELEVANCE, limit=5)

    assert sorted(shown) == sorted(many) and len(shown) == len(many)
    mentions = [r.snippet.lower().count("impresora") for p in pages for r in p.rows]
    assert mentions == sorted(mentions, reverse=True)
    assert mentions[0] > mentions[-1]
    assert pages[0].ranked_per_block is None
    assert _walk_back("impresora", RELEVANCE, limit=5) == shown


def test_many_matches_are_ranked_by_relevance_block_by_block_of_the_newest(many, monkeypatch):
    monkeypatch.setattr(index, "RANK_BLOCK", 10)
    shown, pages = _walk("impresora", RELEVANCE, limit=4)

    assert sorted(shown) == sorted(many) and len(shown) == len(many)
    for block in range(0, len(many), 10):
        assert sorted(shown[block:block + 10]) == sorted(many[block:block + 10]), block
    results = [r for p in pages for r in p.rows]
    first_block = [r.snippet.lower().count("impresora") for r in results[:10]]
    assert first_block == sorted(first_block, reverse=True)
    assert pages[0].ranked_per_block == 10
    assert sorted(_walk_back("impresora", RELEVANCE, limit=4)) == sorted(many)


def test_paging_is_the_same_when_the_key_walk_gives_way_to_the_text_index(many, monkeypatch):
    # PostgreSQL walks a few rows in key order, then asks the GIN index for the rest.
    monkeypatch.setattr(search_postgres.PostgresIndex, "WALK", 3)
    monkeypatch.setattr(index, "RANK_BLOCK", 10)

    shown, pages = _walk("impresora", NEWEST, limit=7)
    assert shown == many
    assert (pages[0].total, pages[0].total_exact) == (46, True)
    assert _walk_back("impresora", NEWEST, limit=7) == many
    by_relevance, _pages = _walk("impresora", RELEVANCE, limit=4)
    assert sorted(by_relevance) == sorted(many) and len(by_relevance) == len(many)
    backward = _walk_back("impresora", RELEVANCE, limit=4)
    assert sorted(backward) == sorted(many) and len(backward) == len(many)


def test_paging_is_the_same_when_the_walk_reads_a_key_span_through_the_text_index(many, monkeypatch):
    # PostgreSQL walks a few rows in key order, then reads key spans through the GIN index
    # (the rows of each span holding the query's rarer words), forward and backward.
    spans = []
    span = search_postgres.PostgresIndex._span

    def counted(self, *args):
        spans.append(args[2])
        return span(self, *args)

    monkeypatch.setattr(search_postgres.PostgresIndex, "WALK", 3)
    monkeypatch.setattr(search_postgres.PostgresIndex, "ROWS_PER_FETCH", 10 ** 9)
    monkeypatch.setattr(search_postgres.PostgresIndex, "SPAN_FROM", 0)
    monkeypatch.setattr(search_postgres.PostgresIndex, "SPAN_ENTRIES_PER_ROW", 10 ** 9)
    monkeypatch.setattr(search_postgres.PostgresIndex, "SPAN_PAIR_FROM", 0)
    monkeypatch.setattr(search_postgres.PostgresIndex, "_span", counted)
    monkeypatch.setattr(search_postgres, "_pg_word_shares", lambda db: {"la": 0.5})
    monkeypatch.setattr(search_postgres, "_pg_rows", lambda db: 1.0)
    monkeypatch.setattr(index, "RANK_BLOCK", 10)
    orders = [(kind, number) for kind, number in many if kind == "order"]

    shown, pages = _walk("impresora", NEWEST, limit=7)
    assert shown == many
    assert (pages[0].total, pages[0].total_exact) == (46, True)
    assert _walk_back("impresora", NEWEST, limit=7) == many
    by_relevance, _pages = _walk("impresora", RELEVANCE, limit=4)
    assert sorted(by_relevance) == sorted(many) and len(by_relevance) == len(many)
    assert _walk_back('"la impresora"', NEWEST, limit=7) == orders
    assert found("impresora cotizar") == found("cotizar impresora") and len(found("impresora cotizar")) == 26
    if isinstance(database.obj, search_postgres.peewee.PostgresqlDatabase):
        assert set(spans) == {True, False}


def test_a_phrase_of_common_words_pages_the_same_when_the_text_index_is_asked_for_every_word(
        many, monkeypatch):
    # PostgreSQL asks the GIN index for every word of a query whose one rarer word is in many
    # rows: here "impresora", beside "la", in one record in two.
    monkeypatch.setattr(search_postgres.PostgresIndex, "WALK", 3)
    monkeypatch.setattr(search_postgres.PostgresIndex, "NARROW_FROM", 0)
    monkeypatch.setattr(search_postgres, "_pg_word_shares", lambda db: {"la": 0.5})
    orders = [(kind, number) for kind, number in many if kind == "order"]

    shown, pages = _walk('"la impresora"', NEWEST, limit=7)
    assert shown == orders
    assert (pages[0].total, pages[0].total_exact) == (20, True)
    assert _walk_back('"la impresora"', NEWEST, limit=7) == orders
    assert sorted(found('"la impresora"', order=RELEVANCE)) == sorted(orders)
    assert (found("impresora cotizar"), found('"impresora la"')) == (found("cotizar impresora"), [])
    assert len(found("impresora cotizar")) == 26


def test_above_a_threshold_the_count_says_it_is_a_lower_bound(many, monkeypatch):
    monkeypatch.setattr(index, "COUNT_LIMIT", 40)
    page = search_page("impresora", PageRequest(limit=5))
    assert (page.total, page.total_exact) == (40, False)
    assert len(page.rows) == 5 and page.has_after
    page = search_page("cotizar", PageRequest(limit=5))
    assert (page.total, page.total_exact) == (26, True)
    page = search_page("inexistente", PageRequest(limit=5))
    assert (page.total, page.total_exact, page.rows, page.has_after) == (0, True, [], False)


def test_a_service_entry_added_today_leaves_its_order_where_its_date_puts_it(world):
    old = world["order"]("equipo sin red", created=_at(1))
    world["activity"]("revisar la red del segundo piso", when=_at(5))
    world["order"]("red lenta en caja", created=_at(3))
    world["entry"](old, "se cambió el switch de red")

    assert found("red") == [("activity", 501), ("order", 102), ("order", 101)]
    [result] = [r for r in concept_search("switch") if r.kind == "order"]
    assert result.number == 101 and "switch" in result.snippet


def test_a_record_with_many_matching_rows_is_one_result(world):
    world["order"]("teclado sucio")  # 101
    busy = world["order"]("revisión general")  # 102
    for _ in range(5):
        world["entry"](busy, "teclado teclado cambiado")

    assert found("teclado") == [("order", 102), ("order", 101)]
    assert sorted(found("teclado", order=RELEVANCE)) == [("order", 101), ("order", 102)]
    assert search_page("teclado").total == 2


# What the user typed, and whether it finds the order "la cámara no graba": operators and
# punctuation are not syntax, only the words count, and every word must be in the text.
FINDS_THE_ORDER = [
    "cámara*", "-cámara", '"cámara', "cámara'", "^cámara", "\x02cámara\x03", "cámara " * 1000, "cámara:*",
    "(cámara)", '"cámara no"', "CÁMARA,GRABA", "no_graba",
]
FINDS_NOTHING = [
    "", "   ", '"', "'", '""', ":", "^", "*", "-", "(", ")", "()", "AND", "OR", "NOT", "NEAR",
    "NEAR(cámara)", "cámara AND", "OR cámara", "NOT cámara", "cámara -red", "body:cámara",
    "(cámara OR", "!!!", "…", "¿?", "%", "_", "\\", ";", "'; DROP TABLE service_order; --", "\x00",
    "{}", "[bold]", "ñ" * 5000, "a" * 5000, "🙂", "& | !", "<->", '"graba cámara"',
]


@pytest.mark.parametrize("text", FINDS_THE_ORDER, ids=range(len(FINDS_THE_ORDER)))
def test_any_input_with_the_words_finds_the_record_with_them_marked(world, text):
    world["order"]("la cámara no graba")
    world["order"]("monitor nuevo")

    for order in (NEWEST, RELEVANCE):
        page = search_page(text, order=order)
        assert [(r.kind, r.number) for r in page.rows] == [("order", 101)], order
        assert (page.total, page.total_exact, page.has_before, page.has_after) == (1, True, False, False)
        [result] = page.rows
        assert result.snippet == "la cámara no graba"
        marked = fold(" ".join(highlighted(result)))
        assert all(fold(word) in marked for word in index.query_words(text))


@pytest.mark.parametrize("text", FINDS_NOTHING, ids=range(len(FINDS_NOTHING)))
def test_any_input_without_the_words_finds_nothing_and_changes_nothing(world, text):
    world["order"]("la cámara no graba")

    for order in (NEWEST, RELEVANCE):
        page = search_page(text, order=order)
        assert (page.rows, page.total, page.total_exact, page.has_after) == ([], 0, True, False), order
    assert concept_search(text) == []
    assert [o.detail for o in ServiceOrder.select()] == ["la cámara no graba"]


def test_words_around_operators_still_search(world):
    world["order"]("la cámara no graba")
    assert found("cámara*") == [("order", 101)]
    assert found("-cámara") == [("order", 101)]
    assert found("(cámara)") == [("order", 101)]
    assert found("NEAR(cámara)") == []  # "near" is a word the text does not hold


def test_split_snippet_turns_markers_into_offsets():
    text, spans = split_snippet("…la \x02cámara\x03 del\nacceso y otra \x02Cámara\x03")
    assert text == "…la cámara del acceso y otra Cámara"
    assert [text[start:end] for start, end in spans] == ["cámara", "Cámara"]
    assert split_snippet("") == ("", [])
    assert split_snippet("sin marca") == ("sin marca", [])
    assert split_snippet("\x02abierto") == ("abierto", [(0, 7)])


# --- the catalog search box (clients and contacts) ---------------------------------------


def _names(page) -> list[str]:
    return [record.name for record in page.rows]


@pytest.fixture
def people(db, agent):
    from crm_tui.services import catalogs

    acme = catalogs.add_client(agent, catalogs.ClientInput(name="Ferretería Martínez"))
    other = catalogs.add_client(agent, catalogs.ClientInput(name="Óptica del Centro"))
    for name in ("Marta Ruiz", "Arturo Núñez", "Omar Tazra", "Ana Pérez", "Martín Pérez",
                 'Luis "Mar" 100% Ávila', "Diana_Smart"):
        catalogs.add_contact(agent, catalogs.ContactInput(client_id=acme.id, name=name))
    catalogs.add_contact(agent, catalogs.ContactInput(client_id=other.id, name="Marisol Mártir"))
    catalogs.add_contact(agent, catalogs.ContactInput(client_id=other.id, name="Rosa Martell", active=False))
    return {"acme": acme, "other": other}


@pytest.mark.parametrize("typed, expected", [
    ("art", ["Marta Ruiz", "Arturo Núñez", "Martín Pérez", "Diana_Smart", "Marisol Mártir", "Rosa Martell"]),
    ("ÁRT", ["Marta Ruiz", "Arturo Núñez", "Martín Pérez", "Diana_Smart", "Marisol Mártir", "Rosa Martell"]),
    ("ar", ["Marta Ruiz", "Arturo Núñez", "Omar Tazra", "Martín Pérez", 'Luis "Mar" 100% Ávila', "Diana_Smart",
            "Marisol Mártir", "Rosa Martell"]),
    ("m", ["Marta Ruiz", "Omar Tazra", "Martín Pérez", 'Luis "Mar" 100% Ávila', "Diana_Smart",
           "Marisol Mártir", "Rosa Martell"]),
    ("mar", ["Marta Ruiz", "Omar Tazra", "Martín Pérez", 'Luis "Mar" 100% Ávila', "Diana_Smart",
             "Marisol Mártir", "Rosa Martell"]),
    ("  martin  ", ["Martín Pérez"]),
    ("n pé", ["Martín Pérez"]),
    ('"mar"', ['Luis "Mar" 100% Ávila']),
    ("0%", ['Luis "Mar" 100% Ávila']),
    ("100%", ['Luis "Mar" 100% Ávila']),
    ("a_s", ["Diana_Smart"]),
    ("%", ['Luis "Mar" 100% Ávila']),
    ("_", ["Diana_Smart"]),
    ("3", ["Omar Tazra"]),  # a number is also a key
    ("xyz", []),
    ("martinezz", []),
])
def test_the_contacts_search_box_finds_any_part_of_a_name(people, typed, expected):
    from crm_tui.services import catalogs

    assert _names(catalogs.list_contacts(text=typed)) == expected


def test_the_clients_search_box_and_lookups_use_the_same_rules(people):
    from crm_tui.services import catalogs

    assert _names(catalogs.list_clients(text="TINEZ")) == ["Ferretería Martínez"]
    assert _names(catalogs.list_clients(text="2")) == ["Óptica del Centro"]
    assert _names(catalogs.list_clients(text="del")) == ["Óptica del Centro"]
    assert [c.name for c in catalogs.lookup_clients("ria mar")] == ["Ferretería Martínez"]
    assert [c.name for c in catalogs.lookup_contacts("mart", limit=2)] == ["Marta Ruiz", "Martín Pérez"]
    assert [c.name for c in catalogs.lookup_contacts("mart")] == ["Marta Ruiz", "Martín Pérez", "Diana_Smart",
                                                                  "Marisol Mártir"]
    assert [c.name for c in catalogs.lookup_contacts("mart", active_only=False,
                                                     client_id=people["other"].id)] == [
        "Marisol Mártir", "Rosa Martell"]
    assert [c.name for c in catalogs.lookup_contacts("4")] == ["Ana Pérez"]


def test_the_search_box_combines_with_the_other_filters(people):
    from crm_tui.services import catalogs

    assert _names(catalogs.list_contacts(text="mart", active_only=True)) == [
        "Marta Ruiz", "Martín Pérez", "Diana_Smart", "Marisol Mártir"]
    assert _names(catalogs.list_contacts(text="mart", client_id=people["other"].id)) == [
        "Marisol Mártir", "Rosa Martell"]
    assert _names(catalogs.list_contacts(text="ma", client_id=people["other"].id, active_only=True)) == [
        "Marisol Mártir"]


def test_the_search_box_follows_names_added_renamed_and_deleted(people, agent):
    from crm_tui.services import catalogs

    marta = catalogs.list_contacts(text="marta").rows[0]
    catalogs.modify_contact(agent, marta.id, marta.version, catalogs.ContactInput(name="Margarita Ruiz"))
    assert _names(catalogs.list_contacts(text="marta")) == []
    assert _names(catalogs.list_contacts(text="garita")) == ["Margarita Ruiz"]
    added = catalogs.add_contact(agent, catalogs.ContactInput(client_id=people["acme"].id, name="Margarita Gómez"))
    assert _names(catalogs.list_contacts(text="garita")) == ["Margarita Ruiz", "Margarita Gómez"]
    catalogs.delete_contact(agent, added.id, added.version)
    assert _names(catalogs.list_contacts(text="garita")) == ["Margarita Ruiz"]
    client = people["other"]
    catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(name="Óptica Nueva"))
    assert _names(catalogs.list_clients(text="centro")) == []
    assert _names(catalogs.list_clients(text="nueva")) == ["Óptica Nueva"]


def _walk_box(list_function, text: str, **filters) -> tuple[list[int], list[int]]:
    from crm_tui.services.base import PageRequest

    page = list_function(PageRequest(limit=7), text=text, **filters)
    forward = [record.key for record in page.rows]
    while page.has_after:
        page = list_function(PageRequest(after=page.last_cursor, limit=7), text=text, **filters)
        forward += [record.key for record in page.rows]
    page = list_function(PageRequest(last=True, limit=7), text=text, **filters)
    backward = [record.key for record in page.rows]
    while page.has_before:
        page = list_function(PageRequest(before=page.first_cursor, limit=7), text=text, **filters)
        backward = [record.key for record in page.rows] + backward
    return forward, backward


def test_the_search_box_pages_through_every_match_in_key_order(db, agent):
    from crm_tui.services import catalogs
    from crm_tui.services.base import PageRequest

    client = catalogs.add_client(agent, catalogs.ClientInput(name="Clínica Hernández"))
    expected, inactive = [], []
    for n in range(40):
        name = f"Paciente {n} Hernández" if n % 3 else f"Paciente {n} Gómez"
        record = catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name=name, active=n % 5 != 0))
        if n % 3:
            expected.append(record.key)
            if n % 5 == 0:
                inactive.append(record.key)

    assert _walk_box(catalogs.list_contacts, "HERNAN") == (expected, expected)
    active = [key for key in expected if key not in inactive]
    assert _walk_box(catalogs.list_contacts, "hernan", active_only=True) == (active, active)
    assert _walk_box(catalogs.list_contacts, "he", client_id=client.id) == (expected, expected)
    middle = catalogs.find_contact_by_key(expected[15])
    around = catalogs.list_contacts(PageRequest(around=middle.id, limit=7), text="hernan")
    assert expected[15] in [record.key for record in around.rows]
    assert [record.key for record in around.rows] == expected[around.offset:around.offset + 7]


def test_crm_search_prints_newest_first_or_best_first(world, db_url, capsys):
    from crm_tui.cli import main

    world["order"]("servidor lento: reiniciar el servidor")
    world["order"]("revisar el servidor de correo")
    world["activity"]("instalar antivirus")

    def numbers(*options: str) -> list[str]:
        assert main(["--db", db_url, "--lang", "en", "search", "servidor", *options]) == 0
        lines = capsys.readouterr().out.splitlines()
        return [line.split(" · ")[1] for line in lines if line.startswith("Order · ")]

    assert numbers() == ["102", "101"]
    assert numbers("--by-relevance") == ["101", "102"]
    assert numbers("--by-relevance", "--limit", "1") == ["101"]


def test_without_pg_trgm_the_search_box_still_finds_and_check_says_why(people):
    from crm_tui.db import is_postgres
    from crm_tui.services import admin, catalogs

    if not is_postgres():
        pytest.skip("pg_trgm is PostgreSQL's")
    [line] = [r for r in admin.check_database() if r.name == admin.CHECK_NAME_SEARCH]
    assert (line.ok, line.detail) == (True, "pg_trgm index")

    database.execute_sql("DROP EXTENSION pg_trgm CASCADE")
    assert _names(catalogs.list_contacts(text="tín p")) == ["Martín Pérez"]
    [line] = [r for r in admin.check_database() if r.name == admin.CHECK_NAME_SEARCH]
    assert line.ok and line.detail.startswith("pg_trgm is not available on this server")
