"""Whether other people changed the database since a screen last looked.

A screen that follows other users (the home screen) asks `watch.changed()` every half
second; the check costs about what reading one pragma does, whatever the size of the
database (see crm_tui.db.changes for how each database tells).
"""
from __future__ import annotations

from crm_tui.db import changes as db_changes
from crm_tui.db.connection import database

WATCHED_TABLES = db_changes.WATCHED_TABLES


class ChangeWatch:
    """Opened on its own connection; `close()` it when the screen goes."""

    def __init__(self, tables: tuple[str, ...] = WATCHED_TABLES) -> None:
        self.tables = frozenset(tables)
        self._watch = db_changes.open_change_watch(database.obj)

    def changed(self) -> bool:
        """True when someone else committed a change that may touch `tables` since the
        last call (SQLite tells of any change; PostgreSQL names the tables)."""
        seen = self._watch.changed()
        if isinstance(seen, bool):
            return seen
        return bool(self.tables & seen)

    def close(self) -> None:
        self._watch.close()


def watch_changes(tables: tuple[str, ...] = WATCHED_TABLES) -> ChangeWatch:
    return ChangeWatch(tables)
