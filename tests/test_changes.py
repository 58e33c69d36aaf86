"""Noticing other users' changes: a check that costs next to nothing, on both databases."""
from __future__ import annotations

import subprocess
import sys

from crm_tui.services import changes
from crm_tui.services.catalogs import add_category

ANOTHER_PROCESS = """
import sys
from crm_tui.db import open_database
from crm_tui.services import users
from crm_tui.services.catalogs import add_category
open_database(sys.argv[1])
add_category(users.identify("admin"), name=sys.argv[2])
"""


def another_process_adds_a_category(db_url: str, name: str) -> None:
    subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, db_url, name], check=True, timeout=60)


def test_a_change_by_another_process_is_seen_once(db_url, db, admin):
    watch = changes.watch_changes()
    try:
        assert not watch.changed()
        another_process_adds_a_category(db_url, "Visita")
        assert watch.changed()
        assert not watch.changed()
    finally:
        watch.close()


def test_a_change_of_this_program_on_another_connection_is_seen(db, admin):
    watch = changes.watch_changes()
    try:
        add_category(admin, name="Llamada")
        assert watch.changed()
        assert not watch.changed()
    finally:
        watch.close()


def test_a_change_rolled_back_is_not_a_change_on_postgres(db, admin):
    watch = changes.watch_changes(("category",))
    try:
        with db.atomic() as transaction:
            add_category(admin, name="Nunca")
            transaction.rollback()
        assert not watch.changed()
    finally:
        watch.close()
