"""The general order inquiry's service, on SQLite and PostgreSQL: by filters, or by concept
search within the filters, paging through every match; the listed result as sheet rows."""
from __future__ import annotations

import pytest

from conftest import make_user
from crm_tui.services import catalogs, order_query, orders
from crm_tui.services.base import PageRequest


def office(actor):
    centro = catalogs.add_client(actor, catalogs.ClientInput(name="Ferretería Centro"))
    lupita = catalogs.add_client(actor, catalogs.ClientInput(name="Abarrotes Lupita"))
    category = catalogs.add_category(actor, catalogs.CategoryInput(name="Instalación"))
    contacts = {"centro": catalogs.add_contact(actor, catalogs.ContactInput(client_id=centro.id, name="Ana Ruiz")),
                "lupita": catalogs.add_contact(actor, catalogs.ContactInput(client_id=lupita.id, name="Rosa Díaz"))}
    return centro, category, contacts


def test_search_within_a_client_pages_through_every_matching_order_and_leaves_out_activities(db):
    actor = make_user("ana", role="admin")
    centro, category, contacts = office(actor)
    for index in range(45):
        contact = contacts["centro"] if index % 3 else contacts["lupita"]
        orders.add_order(actor, orders.OrderInput(contact_id=contact.id, category_id=category.id,
                                                  detail=f"Cámara {index} sin imagen"))
    wanted = orders.OrderFilter(client_id=centro.id)
    numbers, request = [], PageRequest(limit=7)
    while True:
        page = order_query.list_page(wanted, "CAMARA", request)
        numbers += [listed.order.number for listed in page.rows]
        for listed in page.rows:
            start, end = listed.detail_highlights[0]
            assert listed.detail_line[start:end] == "Cámara"
        if not page.has_after:
            break
        request = PageRequest(after=page.last_cursor, limit=7)
    assert len(numbers) == 30 and numbers == sorted(numbers, reverse=True)

    rows = list(order_query.iter_listed_rows(wanted, "camara"))
    assert [row[0] for row in rows] == numbers and all(row[4] == "Ferretería Centro" for row in rows)
    assert order_query.count_listed_rows(wanted, "") == 30


def test_without_words_the_inquiry_is_the_filtered_list(db):
    actor = make_user("ana", role="admin")
    centro, category, contacts = office(actor)
    for contact in (contacts["centro"], contacts["lupita"], contacts["centro"]):
        orders.add_order(actor, orders.OrderInput(contact_id=contact.id, category_id=category.id, detail="Revisar"))
    page = order_query.list_page(orders.OrderFilter(client_id=centro.id), "   ")
    assert [listed.order.number for listed in page.rows] == [3, 1]
    assert [listed.detail_line for listed in page.rows] == ["Revisar", "Revisar"]


def test_a_search_found_mostly_in_activities_still_reaches_its_orders(db, monkeypatch):
    """The index holds activities and orders together, newest first: the inquiry must not
    stop at an empty page while an older order holds the words."""
    from crm_tui.db.connection import is_sqlite
    from crm_tui.services.activities import ActivityInput, add_activity

    if not is_sqlite():
        pytest.skip("PostgreSQL's index plan leaves the kind to the inquiry, which reads up to its limit of hits")
    actor = make_user("ana", role="admin")
    centro, category, contacts = office(actor)
    order = orders.add_order(actor, orders.OrderInput(contact_id=contacts["centro"].id, category_id=category.id,
                                                      detail="Cambiar el no-break del rack"))
    for index in range(40):
        add_activity(actor, ActivityInput(when=f"2026-03-02 09:{index:02d}", contact_id=contacts["centro"].id,
                                          category_id=category.id, detail=f"Llamar por el no-break del rack {index}"))
    # Each read of the index brings fewer hits than the activities, and the page gives up
    # after a few reads: before, every read was activities and the page came back empty.
    monkeypatch.setattr(order_query, "HITS_PER_READ", 10)
    monkeypatch.setattr(order_query, "MOST_HITS_PER_PAGE", 30)
    page = order_query.list_page(orders.OrderFilter(), "no-break rack", PageRequest(limit=10))
    assert [listed.order.number for listed in page.rows] == [order.number]
    assert not page.has_after
