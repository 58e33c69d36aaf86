"""`crm export`: write a list to an .xlsx workbook."""
from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from crm_tui.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    client_id,
    contact_id,
    date_range,
    open_existing,
    subparser,
    user_id,
)
from crm_tui.i18n import _, ngettext
from crm_tui.services.exports import EXPORT_KINDS, EXPORT_LISTS

_OPTION_NAMES = {"status": "--status", "client": "--client", "contact": "--contact", "user": "--user",
                 "dates": "--from/--to"}


def register(commands) -> None:
    # Here --user is a filter; who acts does not matter to a read-only export.
    export = subparser(commands, "export", _("write a list to an .xlsx workbook"), command_export,
                       acting_user=False)
    export.add_argument("kind", choices=EXPORT_KINDS, help=_("which list"))
    export.add_argument("-o", "--output", required=True, metavar=_("FILE.xlsx"), help=_("the workbook to write"))
    export.add_argument("--status", metavar=_("STATUS"), help=_("only this status (orders, activities, opportunities)"))
    export.add_argument("--from", dest="date_from", metavar=_("DATE"),
                        help=_("from this day (created, or when for activities)"))
    export.add_argument("--to", dest="date_to", metavar=_("DATE"), help=_("up to this day, included"))
    export.add_argument("--client", metavar=_("KEY"), help=_("only this client (its key)"))
    export.add_argument("--contact", metavar=_("KEY"), help=_("only this contact (its key)"))
    export.add_argument("--user", dest="filter_user", metavar=_("USERNAME"),
                        help=_("only this user's records (technician, agent or author)"))


def command_export(args: argparse.Namespace) -> int:
    output = _output_file(args.output)
    open_existing(args)
    listed = EXPORT_LISTS[args.kind]
    columns, rows = listed.source(_export_filters(args, listed.filters))
    rows = _checked_rows(rows)
    from crm_tui.export.xlsx import ExportError, write_xlsx

    try:
        count = write_xlsx(str(output), columns, rows, sheet_title=_(listed.title))
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    print(ngettext("{count} row written to {path}", "{count} rows written to {path}", count).format(
        count=count, path=output))
    return EXIT_OK


def _checked_rows(rows: Iterable[tuple]) -> Iterator[tuple]:
    """The same rows, with the first one read now: a filter the list refuses (a status it
    does not know) fails here, before any file is made."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return iter(())
    return itertools.chain((first,), iterator)


def _output_file(name: str) -> Path:
    path = Path(name).expanduser()
    if path.suffix.lower() != ".xlsx":
        raise CliError(_("The output file must end in .xlsx: {path}").format(path=path), EXIT_USAGE)
    if path.is_dir():
        raise CliError(_("{path} is a folder: give a file name.").format(path=path), EXIT_USAGE)
    folder = path.parent
    if not folder.is_dir():
        raise CliError(_("The folder {path} does not exist.").format(path=folder))
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(_("Cannot write {path}: permission denied.").format(path=path))
    return path


def _export_filters(args: argparse.Namespace, accepted: dict[str, str]) -> dict[str, Any]:
    """The filter values the command line gives, checked against what the list accepts."""
    given = {"status": args.status, "client": args.client, "contact": args.contact, "user": args.filter_user,
             "dates": (args.date_from or args.date_to) or None}
    for name, value in given.items():
        if value is not None and name not in accepted:
            raise CliError(_("{option} does not apply to crm export {kind}.").format(
                option=_OPTION_NAMES[name], kind=args.kind), EXIT_USAGE)
    filters: dict[str, Any] = {}
    if args.status is not None:
        filters[accepted["status"]] = args.status.strip().lower()
    if given["dates"]:
        filters[accepted["dates"]] = date_range(args)
    if args.client is not None:
        filters[accepted["client"]] = client_id(args.client)
    if args.contact is not None:
        filters[accepted["contact"]] = contact_id(args.contact)
    if args.filter_user is not None:
        filters[accepted["user"]] = user_id(args.filter_user)
    return filters
