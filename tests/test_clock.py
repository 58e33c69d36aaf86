"""The services read one clock: records made while it is frozen carry its time."""
from __future__ import annotations

import datetime as dt

from crm_tui.services import catalogs, clock

MOMENT = dt.datetime(2026, 3, 14, 9, 30, 5)


def test_frozen_clock_stamps_new_and_modified_records(admin):
    actor = admin
    with clock.frozen(MOMENT):
        assert clock.today() == MOMENT.date()
        category = catalogs.add_category(actor, name="Soporte")
    stored = catalogs.get_category(category.id)
    assert stored.created_at == MOMENT
    assert stored.updated_at == MOMENT
    later = MOMENT + dt.timedelta(days=2)
    with clock.frozen(later):
        changed = catalogs.modify_category(actor, category.id, stored.version, name="Soporte técnico")
    assert catalogs.get_category(changed.id).updated_at == later
    assert abs(clock.now() - dt.datetime.now()) < dt.timedelta(seconds=5)


def test_a_backup_into_a_folder_is_named_by_the_clock(admin, tmp_path):
    from crm_tui.services.admin import backup_database

    with clock.frozen(MOMENT):
        result = backup_database(tmp_path)
    assert result.path.endswith("crm-20260314-093005" + (".db" if result.kind == "sqlite" else ".dump"))


def test_a_demo_filled_on_a_fixed_day_ends_on_that_day(db):
    from crm_tui.db.models import Activity, ServiceOrder
    from crm_tui.services.demo import DemoSize, fill_demo

    with clock.frozen(MOMENT):
        fill_demo(DemoSize(clients=3, contacts=6, users=2, orders=10, activities=20, opportunities=4))
    latest = max(Activity.select().order_by(Activity.created_at.desc()).first().created_at,
                 ServiceOrder.select().order_by(ServiceOrder.created_at.desc()).first().created_at)
    assert MOMENT - dt.timedelta(days=30) < latest <= MOMENT
