"""Concept search: orders, service entries and activities, ranked, accent-insensitive."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.db import database
from crm_tui.db import search as index
from crm_tui.db.models import Activity, Category, Client, Contact, ServiceEntry, ServiceOrder
from crm_tui.db.text import fold
from crm_tui.services.search import SearchResult, concept_search, split_snippet

MONDAY = dt.datetime(2026, 3, 2, 10, 30)


@pytest.fixture
def world(db, agent):
    client = Client.create(key=1, name="Farmacias del Bajío", name_folded=fold("Farmacias del Bajío"))
    contact = Contact.create(key=1, client=client, name="Marta Ruiz", name_folded="marta ruiz")
    category = Category.create(name="Soporte", name_folded="soporte")
    counter = {"order": 0, "activity": 0}

    def order(detail: str, status: str = "open") -> ServiceOrder:
        counter["order"] += 1
        return ServiceOrder.create(number=100 + counter["order"], contact=contact, client=client,
                                   category=category, detail=detail, status=status,
                                   created_at=MONDAY + dt.timedelta(hours=counter["order"]))

    def entry(target: ServiceOrder, work_done: str) -> ServiceEntry:
        return ServiceEntry.create(order=target, when=MONDAY, user=agent.id, work_done=work_done)

    def activity(detail: str) -> Activity:
        counter["activity"] += 1
        return Activity.create(folio=500 + counter["activity"], when=MONDAY - dt.timedelta(days=1),
                               user=agent.id, contact=contact, client=client, category=category,
                               detail=detail, status="done")

    return {"order": order, "entry": entry, "activity": activity}


def found(text: str, limit: int = 50) -> list[tuple[str, int]]:
    return [(result.kind, result.number) for result in concept_search(text, limit=limit)]


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


def test_more_mentions_rank_higher(world):
    world["order"]("revisar el servidor de correo hoy")
    world["order"]("servidor lento: reiniciar el servidor")
    world["activity"]("preguntar por licencias de antivirus")

    assert found("servidor") == [("order", 102), ("order", 101)]


def test_a_phrase_in_quotes_needs_the_words_together(world):
    world["order"]("el cable de red está roto")
    world["order"]("red nueva, cable largo")

    assert sorted(found("cable red")) == [("order", 101), ("order", 102)]
    assert found('"cable de red"') == [("order", 101)]


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


@pytest.fixture
def small_cap(monkeypatch):
    """Rank only the 3 newest matches of each id band, whatever the limit."""
    monkeypatch.setattr(index, "CANDIDATES_PER_BAND", 3)
    monkeypatch.setattr(index, "CANDIDATES_PER_LIMIT", 1)


def test_a_common_word_gives_the_best_of_the_newest_matches(world, small_cap):
    world["order"]("impresora impresora atascada")  # 101: the best match, but the oldest
    for _ in range(4):
        world["order"]("impresora revisar atascada")  # 102-105
    world["order"]("impresora impresora atascada")  # 106

    assert found("impresora", limit=3) == [("order", 106), ("order", 105), ("order", 104)]
    assert found("impresora", limit=2) == [("order", 106), ("order", 105)]
    # Asking for more results ranks more of the newest matches.
    assert found("impresora", limit=6) == [("order", 106), ("order", 101), ("order", 105),
                                           ("order", 104), ("order", 103), ("order", 102)]


def test_a_word_with_fewer_matches_than_the_cap_is_ranked_in_full(world, small_cap):
    world["order"]("toner toner agotado")  # 101
    world["order"]("toner revisar agotado")
    world["order"]("toner pedir agotado")

    assert found("toner", limit=3) == [("order", 101), ("order", 103), ("order", 102)]


def test_a_source_that_grows_faster_does_not_hide_the_others(world, small_cap):
    busy = world["order"]("mantenimiento mensual")  # 101
    quiet = world["order"]("el router no enciende")  # 102
    world["activity"]("cotizar un router nuevo")  # 501
    for index_ in range(10):
        world["entry"](busy, f"se reinició el router, visita {index_}")

    results = concept_search("router", limit=3)
    assert sorted((r.kind, r.number) for r in results) == [("activity", 501), ("order", 101), ("order", 102)]
    assert quiet.id in {r.id for r in results if r.kind == "order"}


def test_a_record_with_many_matching_rows_is_one_result_among_the_newest(world, small_cap):
    world["order"]("teclado sucio")  # 101
    busy = world["order"]("revisión general")  # 102
    for _ in range(5):
        world["entry"](busy, "teclado teclado cambiado")

    assert found("teclado", limit=2) == [("order", 102), ("order", 101)]


HOSTILE = [
    "", "   ", '"', "'", '""', ":", "^", "*", "-", "(", ")", "()", "AND", "OR", "NOT", "NEAR",
    "NEAR(cámara)", "cámara AND", "OR cámara", "NOT cámara", "cámara*", "-cámara", "cámara -red",
    '"cámara', "cámara'", "body:cámara", "^cámara", "(cámara OR", "!!!", "…", "¿?", "%", "_",
    "\\", ";", "'; DROP TABLE service_order; --", "\x00", "\x02cámara\x03", "{}", "[bold]",
    "cámara " * 1000, "ñ" * 5000, "a" * 5000, "🙂", "& | !", "<->", "cámara:*",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_any_input_gives_results_or_nothing_never_an_error(world, text):
    world["order"]("la cámara no graba")
    results = concept_search(text)
    assert isinstance(results, list)
    assert all(result.kind in ("order", "activity") for result in results)
    assert ServiceOrder.select().count() == 1


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
