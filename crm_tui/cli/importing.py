"""`crm import`: contacts or clients from an .xlsx or .csv file."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from crm_tui.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, login_name, open_existing, printable, subparser
from crm_tui.i18n import _, ngettext
from crm_tui.services.importing import FILE_SUFFIXES, IMPORT_KINDS, RejectedRow


def register(commands) -> None:
    importing = subparser(commands, "import", _("import contacts or clients from an .xlsx or .csv file"),
                          command_import,
                          _("Import contacts or clients from an .xlsx or .csv file whose first row has "
                            "the column names that crm export writes. Rejected rows are reported "
                            "with their line number; the others are imported."))
    importing.add_argument("kind", choices=IMPORT_KINDS, help=_("what the file holds"))
    importing.add_argument("file", metavar=_("FILE"), help=_("the .xlsx or .csv file"))


def command_import(args: argparse.Namespace) -> int:
    from crm_tui.services import users
    from crm_tui.services.importing import import_file

    path = _readable_file(args.file)
    open_existing(args)
    actor = users.system_actor(login_name(args))
    report = import_file(actor, args.kind, path, on_rejected=_print_rejected)
    imported, rejected = report.imported, len(report.rejected)
    print(ngettext("{count} row imported", "{count} rows imported", imported).format(count=imported)
          + ", " + ngettext("{count} rejected.", "{count} rejected.", rejected).format(count=rejected))
    return EXIT_OK if rejected == 0 else EXIT_FAILURE


def _print_rejected(row: RejectedRow) -> None:
    print(printable(_("Line {line}: {reason}").format(line=row.line, reason=row.reason)), file=sys.stderr)


def _readable_file(name: str) -> Path:
    path = Path(name).expanduser()
    if not path.exists():
        raise CliError(_("The file {path} does not exist.").format(path=path))
    if not path.is_file():
        raise CliError(_("{path} is not a file.").format(path=path))
    if not os.access(path, os.R_OK):
        raise CliError(_("Cannot read {path}: permission denied.").format(path=path))
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise CliError(_("{path}: use an .xlsx or .csv file.").format(path=path), EXIT_USAGE)
    return path
