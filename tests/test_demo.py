"""Sample data: counts, the order and opportunity lifecycles, search, counters, refusal,
the bulk path, and a smoke run of the benchmark script."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crm_tui.db import close_database, counters, database, is_sqlite, migrations, open_database
from crm_tui.db import search as index
from crm_tui.db.models import (
    ALL_MODELS,
    Activity,
    Client,
    Contact,
    Opportunity,
    OpportunityEvent,
    OrderReview,
    ServiceEntry,
    ServiceOrder,
    User,
)
from crm_tui.db.text import fold
from crm_tui.services import ConflictError, catalogs
from crm_tui.services import demo
from crm_tui.services.demo import DemoSize, fill_demo

from conftest import make_user

ROOT = Path(__file__).resolve().parent.parent


def test_default_size_writes_what_it_reports(db):
    summary = fill_demo(DemoSize())
    size = DemoSize()
    assert (summary.clients, summary.contacts, summary.users) == (size.clients, size.contacts, size.users)
    assert (summary.orders, summary.activities, summary.opportunities) == (
        size.orders, size.activities, size.opportunities)
    assert Client.select().count() == size.clients
    assert Contact.select().count() == size.contacts
    assert ServiceOrder.select().count() == size.orders
    assert Activity.select().count() == size.activities
    assert Opportunity.select().count() == size.opportunities
    assert ServiceEntry.select().count() == summary.service_entries > size.orders
    assert OrderReview.select().count() == summary.order_reviews
    assert OpportunityEvent.select().count() == summary.opportunity_events
    assert User.select().where(User.role == User.ADMIN).count() == 1
    assert all(re.fullmatch(r"[a-z]+\d*", u.username) for u in User.select())
    assert all(c.phone.startswith("+52 ") for c in Client.select())
    assert all(re.fullmatch(r"[A-Z]{3}\d{6}[A-Z0-9]{3}", c.tax_id) for c in Client.select())


def _entries_by_order() -> dict[int, list[ServiceEntry]]:
    entries: dict[int, list[ServiceEntry]] = {}
    for entry in ServiceEntry.select().order_by(ServiceEntry.when, ServiceEntry.id):
        entries.setdefault(entry.order_id, []).append(entry)
    return entries


def _reviews_by_order() -> dict[int, list[OrderReview]]:
    reviews: dict[int, list[OrderReview]] = {}
    for review in OrderReview.select().order_by(OrderReview.when, OrderReview.id):
        reviews.setdefault(review.order_id, []).append(review)
    return reviews


def check_order_lifecycles() -> None:
    """Every status is there and each order's fields agree with its history."""
    entries, reviews = _entries_by_order(), _reviews_by_order()
    statuses = set()
    reopened = 0
    for order in ServiceOrder.select():
        statuses.add(order.status)
        mine, judged = entries.get(order.id, []), reviews.get(order.id, [])
        assert all(e.when >= order.created_at for e in mine)
        if order.status == ServiceOrder.OPEN:
            assert not any(e.service_finished for e in mine)
            assert order.finished_at is None and order.closed_at is None and order.rating is None
            assert not judged
            continue
        assert mine[-1].service_finished, order.number
        assert order.finished_at == mine[-1].when
        assert sum(e.service_finished for e in mine) == order.times_reopened + 1
        assert sum(not r.closed for r in judged) == order.times_reopened
        reopened += order.times_reopened > 0
        if order.status == ServiceOrder.FINISHED:
            assert order.closed_at is None and order.rating is None
            assert all(not r.closed for r in judged)
        else:
            assert order.status == ServiceOrder.CLOSED
            final = judged[-1]
            assert final.closed and final.action == OrderReview.VERIFY
            assert 1 <= order.rating <= 5 and final.rating == order.rating
            assert order.customer_comments and final.customer_comments == order.customer_comments
            assert order.closed_at == final.when >= order.finished_at
    assert statuses == {ServiceOrder.OPEN, ServiceOrder.FINISHED, ServiceOrder.CLOSED}
    assert reopened > 0


def check_opportunities() -> None:
    """Every status is there with what it needs, and the history leads to it."""
    history: dict[int, list[OpportunityEvent]] = {}
    for event in OpportunityEvent.select().order_by(OpportunityEvent.when, OpportunityEvent.id):
        history.setdefault(event.opportunity_id, []).append(event)
    statuses = set()
    for opportunity in Opportunity.select():
        statuses.add(opportunity.status)
        events = history[opportunity.id]
        assert (events[0].from_status, events[0].to_status) == ("", Opportunity.NEW)
        for before, after in zip(events, events[1:]):
            assert after.from_status == before.to_status
        last = events[-1]
        assert last.to_status == opportunity.status
        if opportunity.status == Opportunity.WAITING:
            assert last.comment and last.next_contact_date and opportunity.next_contact_date
        elif opportunity.status == Opportunity.WORKING:
            assert last.comment
        elif opportunity.status == Opportunity.CLOSED:
            assert last.invoice_number and opportunity.invoice_number == last.invoice_number
        elif opportunity.status == Opportunity.LOST:
            assert opportunity.why_lost and opportunity.to_improve
            assert (last.why_lost, last.to_improve) == (opportunity.why_lost, opportunity.to_improve)
        if opportunity.status in (Opportunity.CLOSED, Opportunity.LOST, Opportunity.NEW):
            assert opportunity.next_contact_date is None
    assert statuses == set(Opportunity.STATUSES)


def test_orders_follow_their_lifecycle(db):
    fill_demo(DemoSize())
    check_order_lifecycles()


def test_opportunities_in_every_status_with_their_fields(db):
    fill_demo(DemoSize())
    check_opportunities()


def test_orders_from_calls_point_both_ways(db):
    fill_demo(DemoSize())
    linked = list(ServiceOrder.select().where(ServiceOrder.source_activity.is_null(False)))
    assert linked
    for order in linked:
        activity = Activity.get_by_id(order.source_activity_id)
        assert activity.created_order_id == order.id
        assert activity.contact_id == order.contact_id and activity.when <= order.created_at


def test_tasks_have_due_dates_and_assignees(db):
    fill_demo(DemoSize())
    tasks = list(Activity.select().where(Activity.kind == Activity.TASK))
    assert tasks and all(t.due_date and t.assignee_id for t in tasks)
    assert {t.status for t in Activity.select()} == {Activity.PENDING, Activity.DONE}


def test_sample_texts_contract_de_el_and_a_el_as_spanish_does(db):
    fill_demo(DemoSize())
    texts = [a.detail for a in Activity.select(Activity.detail)] + [o.detail for o in ServiceOrder.select()]
    assert any(" del " in text for text in texts)
    assert not [text for text in texts if " de el " in text or " a el " in text]


def test_concept_search_finds_a_word_of_an_order_detail_without_its_accents(db):
    fill_demo(DemoSize())
    order = ServiceOrder.select().where(ServiceOrder.detail.contains("ó")).order_by(ServiceOrder.number).first()
    word = next(w for w in re.findall(r"\w+", order.detail) if "ó" in w)
    hits = index.search(database, fold(word).upper(), limit=5000)
    assert ("order", order.id) in {(h.target_kind, h.target_id) for h in hits}


def test_counters_continue_after_the_highest_numbers(db):
    fill_demo(DemoSize())
    highest = {
        counters.ORDER_NUMBER: max(o.number for o in ServiceOrder.select(ServiceOrder.number)),
        counters.ACTIVITY_FOLIO: max(a.folio for a in Activity.select(Activity.folio)),
        counters.CONTACT_KEY: max(c.key for c in Contact.select(Contact.key)),
        counters.CLIENT_KEY: max(c.key for c in Client.select(Client.key)),
        counters.OPPORTUNITY_NUMBER: max(o.number for o in Opportunity.select(Opportunity.number)),
    }
    for series, number in highest.items():
        assert counters.peek_next(series) == number + 1, series
    with database.atomic():
        assert counters.take_next(counters.ORDER_NUMBER) == highest[counters.ORDER_NUMBER] + 1


def test_a_second_fill_is_refused_unless_forced(db):
    first = fill_demo(DemoSize())
    with pytest.raises(ConflictError) as refused:
        fill_demo(DemoSize())
    assert f"service orders: {first.orders}" in str(refused.value)
    assert ServiceOrder.select().count() == first.orders
    fill_demo(DemoSize(seed=8), force=True)
    assert ServiceOrder.select().count() == 2 * first.orders
    assert Contact.select().count() == 2 * first.contacts
    numbers = [o.number for o in ServiceOrder.select(ServiceOrder.number)]
    assert len(set(numbers)) == len(numbers)
    # Ids handed out by the database still work after rows with explicit ids.
    make_user("despues")
    assert counters.peek_next(counters.ORDER_NUMBER) == max(numbers) + 1


def test_the_bulk_path_rebuilds_indexes_and_search_triggers(db, monkeypatch):
    monkeypatch.setattr(demo, "BULK_THRESHOLD", 100)
    fill_demo(DemoSize())
    check_order_lifecycles()
    check_opportunities()
    for model in (ServiceOrder, ServiceEntry, Activity, Contact, OrderReview, Opportunity, OpportunityEvent):
        present = {(i.name, tuple(i.columns), i.unique) for i in database.get_indexes(model._meta.table_name)}
        # PostgreSQL keeps 63 characters of a name (peewee may give 64).
        longest = 63 if not is_sqlite() else None
        declared = {(i._name[:longest], tuple(getattr(e, "column_name", None) for e in i._expressions), i._unique)
                    for i in model._meta.fields_to_index()}
        assert declared <= present, model
    if is_sqlite():
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        # The load ran without WAL; the file is back in WAL mode for its everyday users.
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Its indexes were sorted with helper threads; the connection has its own setting back.
        assert database.execute_sql("PRAGMA threads").fetchone()[0] == 0
    # The triggers are back: a new detail is found at once.
    order = ServiceOrder.select().first()
    ServiceOrder.update(detail="Escáner Fujitsu fi-7160 atorado").where(ServiceOrder.id == order.id).execute()
    hits = index.search(database, "escaner fujitsu")
    assert [(h.target_kind, h.target_id) for h in hits] == [("order", order.id)]


def test_the_same_seed_gives_the_same_data(tmp_path):
    details = []
    for name in ("a.db", "b.db"):
        migrations.upgrade(open_database(str(tmp_path / name), create=True))
        fill_demo(DemoSize(orders=50, activities=60, opportunities=10, contacts=30, clients=8, users=4))
        details.append([(o.number, o.detail, o.status, o.created_at) for o in ServiceOrder.select()])
        close_database()
    assert details[0] == details[1]


def test_scaled_sizes_keep_the_proportions():
    size = DemoSize.scaled(1_000_000)
    assert (size.orders, size.activities, size.contacts, size.clients, size.opportunities) == (
        1_000_000, 1_000_000, 200_000, 40_000, 100_000)


def test_progress_reports_translated_stages(db):
    from crm_tui import i18n

    i18n.set_language("es")
    stages = []
    fill_demo(DemoSize(), lambda stage, done, total: stages.append(stage))
    assert "Escribiendo órdenes de servicio" in stages


# Every measure in a row, each run once (--smoke), sharing the cores with another test worker:
# as long as its run may take.
@pytest.mark.timeout(600)
def test_benchmark_smoke_run_prints_every_measure(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--orders", "12000",
         "--db", str(tmp_path / "bench.db")],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout
    header = next(line for line in table.splitlines() if line.startswith("measure"))
    assert [c.strip() for c in header.split("|")] == ["measure", "value", "baseline", "ratio", "target", "ok"]
    for measure in ("build database", "concept search", "orders list, first page", "orders list, last page",
                    "activities list, first page", "activities list, last page", "contacts list, first page",
                    "contacts list, last page", "opportunities list (every status), first page",
                    "opportunities list (every status), last page", "orders list, status open, first page",
                    "orders list, biggest client, last page", "export 100,000 orders to xlsx",
                    "export peak memory", "SIGKILL at random moments of crm demo",
                    "SIGHUP at random moments of crm import"):
        assert any(line.startswith(measure) for line in table.splitlines()), measure
    kill_rows = [line for line in table.splitlines() if " at random moments of " in line]
    assert len(kill_rows) == 6 and all(line.endswith("| yes") for line in kill_rows), kill_rows
    assert (tmp_path / "bench.db").exists()


# --- a database that holds real records ------------------------------------------------


def add_real_records() -> None:
    """What a database used through the screens holds: a user, a client and a contact."""
    ana = make_user("ana", "admin", "Ana Real")
    client = catalogs.add_client(ana, catalogs.ClientInput(name="Ferretería Real"))
    catalogs.add_contact(ana, catalogs.ContactInput(name="Lupita Real", client_id=client.id))


def record_counts() -> dict[str, int]:
    return {model.__name__: model.select().count() for model in ALL_MODELS}


def test_a_database_with_clients_and_contacts_but_no_orders_is_refused(db):
    add_real_records()
    before = record_counts()
    with pytest.raises(ConflictError) as refused:
        fill_demo(DemoSize())
    message = str(refused.value)
    assert "already holds records (clients: 1, contacts: 1)" in message
    assert "whose only records are its users" in message and "force" in message
    assert record_counts() == before


def test_a_database_whose_only_records_are_users_takes_the_sample_data(db):
    make_user("ana", "admin", "Ana Real")
    summary = fill_demo(DemoSize())
    assert Client.select().count() == summary.clients > 0
    assert User.get(User.username == "ana").role == User.ADMIN


def schema_objects() -> set[tuple]:
    """Every table, index and trigger (and on PostgreSQL, function) with its definition."""
    if is_sqlite():
        return set(database.execute_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'").fetchall())
    return set(database.execute_sql(
        "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "UNION ALL SELECT 'trigger', t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
        "AND c.relnamespace = current_schema()::regnamespace "
        "UNION ALL SELECT 'function', p.proname, p.prosrc FROM pg_proc p "
        "WHERE p.pronamespace = current_schema()::regnamespace").fetchall())


def counter_values() -> dict[str, int]:
    return dict(database.execute_sql("SELECT name, value FROM counter").fetchall())


@pytest.mark.parametrize("bulk", [False, True], ids=["small", "bulk"])
def test_a_load_that_fails_midway_leaves_the_database_as_it_was(db, monkeypatch, bulk):
    add_real_records()
    if bulk:
        monkeypatch.setattr(demo, "BULK_THRESHOLD", 100)
    before = (schema_objects(), record_counts(), counter_values())

    def broken(self):
        raise RuntimeError("the generator broke")
        yield  # a generator, as the real one

    monkeypatch.setattr(demo._Generator, "opportunities", broken)
    with pytest.raises(RuntimeError, match="the generator broke"):
        fill_demo(DemoSize(), force=True)
    assert (schema_objects(), record_counts(), counter_values()) == before
    if is_sqlite():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_the_bulk_load_into_real_records_keeps_its_journal_on_disk_and_syncs(db, monkeypatch):
    """A kill or an outage in the middle must roll back, never leave a malformed file."""
    if not is_sqlite():
        pytest.skip("journal and sync are SQLite's settings")
    add_real_records()
    monkeypatch.setattr(demo, "BULK_THRESHOLD", 100)
    seen = set()
    threads = set()

    def watch(stage, done, total):
        seen.add((database.execute_sql("PRAGMA journal_mode").fetchone()[0],
                  database.execute_sql("PRAGMA synchronous").fetchone()[0]))
        threads.add(database.execute_sql("PRAGMA threads").fetchone()[0])

    fill_demo(DemoSize(), watch, force=True)
    assert seen
    assert not [(journal, sync) for journal, sync in seen if journal in ("memory", "off") or sync == 0]
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert min(os.cpu_count() or 1, demo.BULK_SORT_THREADS) in threads  # while loading


def test_the_bulk_load_ends_with_the_schema_a_new_database_has(db, monkeypatch, tmp_path):
    add_real_records()
    monkeypatch.setattr(demo, "BULK_THRESHOLD", 100)
    before = schema_objects()
    fill_demo(DemoSize(), force=True)
    assert schema_objects() == before


def test_the_person_running_crm_demo_becomes_its_administrator(tmp_path, capsys, monkeypatch):
    from crm_tui.app import sign_in
    from crm_tui.cli import main
    from crm_tui.services import login, users

    monkeypatch.setattr(login, "system_login", lambda: "operadora")
    url = str(tmp_path / "d.db")
    assert main(["--lang", "en", "--db", url, "init"]) == 0
    assert main(["--lang", "en", "--db", url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "You (operadora) are now an administrator of this CRM." in out
    open_database(url)
    try:
        actor, first_run = sign_in("operadora")
        assert (actor.username, actor.role, first_run) == ("operadora", User.ADMIN, False)
        assert User.select().where(User.role == User.ADMIN).count() == 1
    finally:
        close_database()


def test_crm_demo_gives_no_one_admin_rights_where_an_administrator_exists(tmp_path, capsys, monkeypatch):
    from crm_tui.cli import main
    from crm_tui.services import login, users

    monkeypatch.setattr(login, "system_login", lambda: "visitante")
    url = str(tmp_path / "d.db")
    assert main(["--lang", "en", "--db", url, "init"]) == 0
    assert main(["--lang", "en", "--db", url, "user", "add", "ana"]) == 0
    assert main(["--lang", "en", "--db", url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "You (visitante) are not a user of this CRM: an administrator can add you with " \
           "crm user add visitante." in out
    open_database(url)
    try:
        assert User.get_or_none(User.username == "visitante") is None
        assert [u.username for u in User.select().where(User.role == User.ADMIN)] == ["ana"]
    finally:
        close_database()
