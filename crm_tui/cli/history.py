"""`crm history`: every change of one record, who made it and when, field by field."""
from __future__ import annotations

import argparse

from crm_tui.cli.common import EXIT_OK, open_existing, say, subparser
from crm_tui.i18n import _


def register(commands) -> None:
    history = subparser(commands, "history", _("show who changed a record, when, and what"),
                        command_history)
    history.add_argument("table", metavar=_("TABLE"),
                         help=_("client, contact, category, project, activity, order, opportunity, "
                                "opportunity_type or user"))
    history.add_argument("key", metavar=_("KEY"),
                         help=_("the record's key, number, folio, login or name"))


def command_history(args: argparse.Namespace) -> int:
    from crm_tui.services import history

    open_existing(args, read_only=True)
    for line in history_lines(history.history_by_key(args.table, args.key)):
        say(line)
    return EXIT_OK


def history_lines(entries) -> list[str]:
    """Each change as a heading (when, who, what) and one indented line per field."""
    from crm_tui.services.base import format_datetime

    lines = []
    for entry in entries:
        lines.append(f"{format_datetime(entry.when)}  {entry.who}  {entry.action}")
        for change in entry.changes:
            lines.append(f"    {change.field}: {change.old} → {change.new}")
    return lines
