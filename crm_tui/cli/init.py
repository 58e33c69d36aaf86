"""`crm init`: create the database, or upgrade it to the latest schema."""
from __future__ import annotations

import argparse
import grp
from pathlib import Path
from typing import TYPE_CHECKING

from crm_tui.cli.common import EXIT_OK, database_url, say, subparser
from crm_tui.db.connection import describe_url
from crm_tui.i18n import _

if TYPE_CHECKING:
    from crm_tui.services.admin import UpgradeResult


def register(commands) -> None:
    subparser(commands, "init", _("create the database, or upgrade it to the latest schema"), command_init)


def command_init(args: argparse.Namespace) -> int:
    from crm_tui.services import admin

    url = database_url(args)
    report_initialised(url, admin.initialise_database(url))
    return EXIT_OK


def report_initialised(url: str, result: UpgradeResult) -> None:
    """What crm init did (also said when another command creates a missing database)."""
    say(_("Database: {url}").format(url=describe_url(url)))
    if result.before == result.after:
        say(_("Schema version {version}: already the latest.").format(version=result.after))
    elif result.before == 0:
        say(_("Created at schema version {version}.").format(version=result.after))
    else:
        say(_("Upgraded from schema version {before} to {after}.").format(
            before=result.before, after=result.after))
    if result.shared_path:
        say(_sharing_hint(Path(result.shared_path), result.folder_keeps_group))


def _sharing_hint(path: Path, folder_keeps_group: bool) -> str:
    folder = path.parent
    try:
        group = grp.getgrgid(folder.stat().st_gid).gr_name
    except (KeyError, OSError):
        group = "crm"
    if folder_keeps_group:
        return _("Shared with the group {group} of {folder}: the file and its -wal/-shm are readable "
                 "and writable by that group, and new files there keep it. Put each person in that "
                 "group (sudo usermod -aG {group} LOGIN).").format(folder=folder, group=group)
    return _("The file is readable and writable by the group {group}, but the folder {folder} does "
             "not keep its group on new files, so a second person would find the -wal/-shm files "
             "read-only. For a shared database use a team folder: sudo groupadd crm && "
             "sudo install -d -m 2770 -g crm /srv/crm, then crm init --db /srv/crm/crm.db."
             ).format(folder=folder, group=group)
