"""`crm import`: contacts or clients from an .xlsx or .csv file, or contacts from an
address book (a vCard file, or the CSV of Google Contacts or Outlook)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crm_tui.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    help_text,
    login_name,
    open_existing,
    print_error,
    printable,
    subparser,
)
from crm_tui.i18n import _, ngettext
from crm_tui.services.import_kinds import FILE_SUFFIXES, IMPORT_KINDS

if TYPE_CHECKING:
    from crm_tui.services.importing import ImportedRow, ImportReport, RejectedRow


def register(commands) -> None:
    importing = subparser(commands, "import", _("import contacts or clients from a spreadsheet or an address book"),
                          command_import,
                          _("Import contacts or clients from an .xlsx or .csv file whose first row has "
                            "the column names that crm export writes, or contacts from an address book: "
                            "a vCard file (.vcf) or the CSV that Google Contacts or Outlook write. "
                            "Rejected rows are reported with their line number; the others are imported."))
    importing.add_argument("kind", choices=IMPORT_KINDS, metavar=_("LIST"),
                           help=_("what the file holds: {lists}").format(lists=", ".join(IMPORT_KINDS)))
    importing.add_argument("file", metavar=_("FILE"), help=_("the .xlsx, .csv or .vcf file"))
    importing.add_argument("--client", metavar=_("KEY_OR_NAME"), default="", help=help_text(
        _("the client of the contacts that have no organization: its key, or a name (found, or "
          "created)")))
    importing.add_argument("--dry-run", action="store_true",
                           help=_("show what would be imported and change nothing"))
    importing.add_argument("--from-line", metavar=_("LINE"), type=int, default=1,
                           help=_("start at this line of the file, to go on with an import that stopped"))


def command_import(args: argparse.Namespace) -> int:
    from crm_tui.services import users
    from crm_tui.services.importing import ImportOptions, import_file

    path = _readable_file(args.file)
    if args.from_line < 1:
        raise CliError(_("--from-line takes a line number from 1, not {value!r}.").format(
            value=str(args.from_line)), EXIT_USAGE)
    if args.client and args.kind != "contacts":
        raise CliError(_("--client is for importing contacts."), EXIT_USAGE)
    open_existing(args)
    actor = users.system_actor(login_name(args))
    options = ImportOptions(default_client=args.client, from_line=args.from_line, dry_run=args.dry_run)
    report = import_file(actor, args.kind, path, options, on_rejected=_print_rejected,
                         on_imported=_print_would_import if args.dry_run else None)
    print(_summary(report))
    if report.stopped_at is not None:
        print_error(printable(_stop_message(report)))
        return EXIT_INTERRUPTED if report.interrupted else EXIT_FAILURE
    return EXIT_OK if not report.rejected else EXIT_FAILURE


def _summary(report: ImportReport) -> str:
    imported, rejected = report.imported, len(report.rejected)
    rejected_text = ngettext("{count} rejected.", "{count} rejected.", rejected).format(count=rejected)
    if report.dry_run:
        return (ngettext("{count} row would be imported", "{count} rows would be imported", imported).format(
            count=imported) + ", " + rejected_text + " " + _("Nothing was changed (dry run)."))
    return (ngettext("{count} row imported", "{count} rows imported", imported).format(count=imported)
            + ", " + rejected_text)


def _stop_message(report: ImportReport) -> str:
    line = report.stopped_at
    if report.interrupted:
        return _("Interrupted at line {line}. To go on, run the same import with --from-line {line}.").format(
            line=line)
    if report.outcome_unknown:
        return _("Line {line} may or may not have been imported: the connection to the database server was "
                 "lost while saving it. Check it, then go on with --from-line {next} if it was imported or "
                 "--from-line {line} if it was not.").format(line=line, next=line + 1)
    return _("Line {line} was not imported: {reason} To go on, run the same import with "
             "--from-line {line}.").format(line=line, reason=report.stop_reason)


def _print_rejected(row: RejectedRow) -> None:
    print(printable(_("Line {line}: {reason}").format(line=row.line, reason=row.reason)), file=sys.stderr)


def _print_would_import(row: ImportedRow) -> None:
    if row.kind == "clients":
        text = (_("Line {line}: would add the client «{name}».") if row.added
                else _("Line {line}: would update client {key} «{name}»."))
    elif not row.added:
        text = _("Line {line}: would update contact {key} «{name}».")
    elif row.new_client:
        text = _("Line {line}: would add «{name}» to the new client «{client}».")
    else:
        text = _("Line {line}: would add «{name}» to «{client}».")
    print(printable(text.format(line=row.line, key=row.key, name=row.name, client=row.client_name)))


def _readable_file(name: str) -> Path:
    path = Path(name).expanduser()
    if not path.exists():
        raise CliError(_("The file {path} does not exist.").format(path=path))
    if not path.is_file():
        raise CliError(_("{path} is not a file.").format(path=path))
    if not os.access(path, os.R_OK):
        raise CliError(_("Cannot read {path}: permission denied.").format(path=path))
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise CliError(_("{path}: use an .xlsx, .csv or .vcf file.").format(path=path), EXIT_USAGE)
    return path
