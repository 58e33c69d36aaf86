"""`crm check`: integrity and schema check; `--repair` rebuilds what can be rebuilt."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from crm_tui.cli.common import EXIT_FAILURE, EXIT_OK, database_url, open_existing, print_error, say, subparser
from crm_tui.db.connection import describe_url, parse_url
from crm_tui.i18n import _, ngettext

if TYPE_CHECKING:
    from crm_tui.services import admin


def register(commands) -> None:
    check = subparser(commands, "check", _("check the database's integrity and schema"), command_check)
    check.add_argument("--full", action="store_true", help=_("the slow, complete integrity check (SQLite)"))
    check.add_argument("--repair", action="store_true",
                       help=_("rebuild what can be rebuilt: indexes, triggers, the search index, counters"))


def command_check(args: argparse.Namespace) -> int:
    from crm_tui.services import admin

    url = database_url(args)
    # Without --repair nothing may change a SQLite file. PostgreSQL's check builds the expected
    # schema in a scratch schema it rolls back, which a read-only session could not do.
    read_only = not args.repair and parse_url(url)[0] == "sqlite"
    open_existing(args, allow_older=True, read_only=read_only)
    say(_("Database: {url}").format(url=describe_url(url)))
    results = _print_results(admin.check_database(full=args.full))
    if args.repair and _failed(results, admin.REPAIRABLE):
        _repair()
        results = _print_results(admin.check_database(full=args.full))
    failed = _failed(results)
    if failed:
        if args.repair:
            say(_("crm check --repair cannot mend {checks}: restore the database from a backup "
                  "(crm backup makes them), or run crm init for an old schema.").format(
                checks=", ".join(_(result.name) for result in failed)))
        print_error(ngettext("{count} check found a problem.", "{count} checks found a problem.",
                             len(failed)).format(count=len(failed)))
        return EXIT_FAILURE
    say(_("Every check passed."))
    return EXIT_OK


def _print_results(results: list[admin.CheckResult]) -> list[admin.CheckResult]:
    for result in results:
        state = _("ok") if result.ok else _("PROBLEM")
        say(f"[{state}] {_(result.name)}: {result.detail}")
    return results


def _failed(results: list[admin.CheckResult], among: tuple[str, ...] | None = None) -> list[admin.CheckResult]:
    return [result for result in results if not result.ok and (among is None or result.name in among)]


def _repair() -> None:
    from crm_tui.services import admin

    say(_("Repairing…"))
    done = admin.repair_database()
    say(_("Repaired:") if done else _("Nothing was left to repair."))
    for line in done:
        say(f"  - {line}")
