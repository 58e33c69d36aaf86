"""`crm backup`: a consistent copy of the live database."""
from __future__ import annotations

import argparse

from crm_tui.cli.common import EXIT_OK, open_existing, say, subparser
from crm_tui.i18n import _


def register(commands) -> None:
    backup = subparser(commands, "backup", _("write a consistent copy of the live database"), command_backup)
    backup.add_argument("dest", metavar=_("DEST"), help=_("the copy's file name, or a folder for a dated name"))
    backup.add_argument("--force", action="store_true", help=_("replace the file if it exists"))


def command_backup(args: argparse.Namespace) -> int:
    open_existing(args, allow_older=True, read_only=True)
    from crm_tui.services import admin

    result = admin.backup_database(args.dest, overwrite=args.force)
    say(_("Backup written to {path} ({size}).").format(path=result.path, size=_size(result.size_bytes)))
    if result.kind == "postgresql":
        say(_("Restore it with: pg_restore --clean --dbname NAME {path}").format(path=result.path))
    return EXIT_OK


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"
