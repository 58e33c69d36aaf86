"""`crm check`: integrity and schema check."""
from __future__ import annotations

import argparse

from crm_tui.cli.common import EXIT_FAILURE, EXIT_OK, open_existing, print_error, say, subparser
from crm_tui.db.connection import describe_url
from crm_tui.i18n import _, ngettext
from crm_tui.services import admin


def register(commands) -> None:
    check = subparser(commands, "check", _("check the database's integrity and schema"), command_check)
    check.add_argument("--full", action="store_true", help=_("the slow, complete integrity check (SQLite)"))


def command_check(args: argparse.Namespace) -> int:
    url = open_existing(args, allow_older=True, read_only=True)
    say(_("Database: {url}").format(url=describe_url(url)))
    results = admin.check_database(full=args.full)
    for result in results:
        state = _("ok") if result.ok else _("PROBLEM")
        say(f"[{state}] {_(result.name)}: {result.detail}")
    failed = [result for result in results if not result.ok]
    if failed:
        print_error(ngettext("{count} check found a problem.", "{count} checks found a problem.",
                             len(failed)).format(count=len(failed)))
        return EXIT_FAILURE
    say(_("Every check passed."))
    return EXIT_OK
