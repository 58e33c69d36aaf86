"""Opening a database that `crm init` made: what `crm` needs before its first screen, kept
apart from the rest of services/admin.py (backups, checks, repairs) so it loads quickly."""
from __future__ import annotations

from pathlib import Path

from crm_tui.db import migrations
from crm_tui.db.connection import DatabaseOpenError, describe_url, open_database, parse_url
from crm_tui.i18n import _


def database_exists(url: str) -> bool:
    """False only for a SQLite file that is not there (a server database is asked instead)."""
    kind, target = parse_url(url)
    return kind != "sqlite" or target == ":memory:" or Path(target).expanduser().exists()


def open_existing(url: str, allow_older: bool = False, read_only: bool = False):
    """Open a database that `crm init` made, refusing a missing or out-of-date one;
    `read_only` for a command that only reads (the file is then never changed)."""
    kind, target = parse_url(url)
    if not database_exists(url):
        raise DatabaseOpenError(
            _("No database at {path}: create it with crm init --db {path}").format(
                path=Path(target).expanduser()))
    db = open_database(url, read_only=read_only)
    version = migrations.schema_version(db)
    if version == 0:
        raise DatabaseOpenError(
            _("The database {url} is not initialised: run crm init --db {url}").format(url=describe_url(url)))
    if version > migrations.LATEST_VERSION:
        raise DatabaseOpenError(newer_schema_message(version))
    if version < migrations.LATEST_VERSION and not allow_older:
        raise DatabaseOpenError(
            _("The database {url} has schema version {version} and this program needs {latest}: "
              "run crm init --db {url} to upgrade it").format(
                url=describe_url(url), version=version, latest=migrations.LATEST_VERSION))
    return db


def newer_schema_message(version: int) -> str:
    return _("This database has schema version {version}, newer than this program knows "
             "({latest}): upgrade crm_tui").format(version=version, latest=migrations.LATEST_VERSION)
