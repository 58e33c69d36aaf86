"""Several processes adding orders and activities at once: every number is handed out once,
with no gaps, and nothing is lost (SQLite file and PostgreSQL)."""
from __future__ import annotations

import multiprocessing
import queue
import traceback

import pytest

from crm_tui.db import close_database, open_database
from crm_tui.db.models import Activity, Category, Client, Contact, ServiceOrder, User, now
from crm_tui.services import Actor

WORKERS = 4
EACH = 25
WAIT_SECONDS = 240


def _adder(url: str, what: str, ids: dict, worker: int, start, results) -> None:
    """One separate process: open the database, wait for the others, then add EACH records."""
    try:
        from crm_tui.services import activities, orders

        open_database(url)
        actor = Actor(id=ids["user"], username=f"worker{worker}", full_name="", role="agent")
        results.put(("ready", worker, None))
        start.wait(WAIT_SECONDS)
        numbers = []
        for index in range(EACH):
            detail = f"worker {worker} item {index}"
            if what == "orders":
                order = orders.add_order(actor, orders.OrderInput(
                    contact_id=ids["contact"], category_id=ids["category"], detail=detail))
                numbers.append(order.number)
            else:
                activity = activities.add_activity(actor, activities.ActivityInput(
                    when=now(), contact_id=ids["contact"], category_id=ids["category"], detail=detail))
                numbers.append(activity.folio)
        close_database()
        results.put(("done", worker, numbers))
    except BaseException:  # report anything to the parent instead of dying silently
        results.put(("error", worker, traceback.format_exc()))


@pytest.fixture
def catalog(db) -> dict:
    moment = now()
    stamps = {"created_at": moment, "updated_at": moment}
    user = User.create(username="concurrente", full_name="Concurrente", **stamps)
    client = Client.create(key=1, name="Cliente concurrido", **stamps)
    contact = Contact.create(key=1, client=client, name="Contacto", **stamps)
    category = Category.create(name="Soporte", name_folded="soporte", **stamps)
    return {"user": user.id, "contact": contact.id, "category": category.id}


def _run_at_once(db_url: str, what: str, ids: dict) -> list[int]:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_adder, args=(db_url, what, ids, n, start, results))
                 for n in range(WORKERS)]
    for process in processes:
        process.start()
    try:
        messages = [_next(results) for _ in range(WORKERS)]
        errors = [m for m in messages if m[0] == "error"]
        start.set()
        messages += [_next(results) for _ in range(WORKERS - len(errors))]
    finally:
        start.set()
        for process in processes:
            process.join(WAIT_SECONDS)
    errors = [m[2] for m in messages if m[0] == "error"]
    assert not errors, "\n".join(errors)
    done = [m[2] for m in messages if m[0] == "done"]
    assert len(done) == WORKERS
    return [number for numbers in done for number in numbers]


def _next(results):
    try:
        return results.get(timeout=WAIT_SECONDS)
    except queue.Empty:
        pytest.fail("a worker process did not answer in time")


def test_orders_added_at_once_get_distinct_consecutive_numbers(db, db_url, catalog):
    close_database()  # the workers hold the only connections while they run
    numbers = _run_at_once(db_url, "orders", catalog)
    open_database(db_url)
    total = WORKERS * EACH
    assert sorted(numbers) == list(range(1, total + 1))
    stored = [o.number for o in ServiceOrder.select(ServiceOrder.number).order_by(ServiceOrder.number)]
    assert stored == list(range(1, total + 1))
    details = {o.detail for o in ServiceOrder.select(ServiceOrder.detail)}
    assert details == {f"worker {w} item {i}" for w in range(WORKERS) for i in range(EACH)}


def test_activities_added_at_once_get_distinct_consecutive_folios(db, db_url, catalog):
    close_database()
    folios = _run_at_once(db_url, "activities", catalog)
    open_database(db_url)
    total = WORKERS * EACH
    assert sorted(folios) == list(range(1, total + 1))
    stored = [a.folio for a in Activity.select(Activity.folio).order_by(Activity.folio)]
    assert stored == list(range(1, total + 1))
