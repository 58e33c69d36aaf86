"""`crm init`: create the database, or upgrade it to the latest schema."""
from __future__ import annotations

import argparse
import grp
from pathlib import Path
from typing import TYPE_CHECKING

from crm_tui.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, database_url, say, subparser
from crm_tui.db.connection import describe_url, parse_url
from crm_tui.i18n import _

if TYPE_CHECKING:
    from crm_tui.services.admin import UpgradeResult


def register(commands) -> None:
    init = subparser(commands, "init", _("create the database, or upgrade it to the latest schema"), command_init)
    init.add_argument("--shared-group", metavar=_("GROUP"),
                      help=_("share the SQLite file with this Unix group: its folder setgid and closed to "
                             "others, the database and its -wal/-shm files at mode 0660"))


def command_init(args: argparse.Namespace) -> int:
    from crm_tui.services import admin

    url = database_url(args)
    if args.shared_group:
        return _init_shared(url, args.shared_group)
    report_initialised(url, admin.initialise_database(url))
    return EXIT_OK


def _init_shared(url: str, group: str) -> int:
    """crm init --shared-group: the folder, then the database, then its files; what could
    not be done (it needs root) is said, and the exit code is then 1."""
    from crm_tui.services import admin, sharing

    kind, target = parse_url(url)
    if kind != "sqlite" or target == ":memory:":
        raise CliError(_("--shared-group shares a SQLite file; a PostgreSQL database is shared with "
                         "its own roles (GRANT)."), EXIT_USAGE)
    database_file = Path(target).expanduser().absolute()
    report = sharing.SharingReport()
    sharing.group_id(group)
    sharing.keep_group_access()
    sharing.prepare_folder(database_file, group, report)
    result = admin.initialise_database(url, share=False)
    sharing.share_files(database_file, group, report)
    report_initialised(url, result)
    for line in report.done:
        say(line)
    for line in report.not_done:
        say(_("Not done: {what}").format(what=line))
    return EXIT_FAILURE if report.not_done else EXIT_OK


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
             "read-only. For a shared database let crm prepare a team folder (as root, once): "
             "sudo groupadd crm && sudo crm init --shared-group crm --db /srv/crm/crm.db"
             ).format(folder=folder, group=group)
