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
