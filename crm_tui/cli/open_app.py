"""`crm` without a command: open the full-screen CRM."""
from __future__ import annotations

import argparse
from pathlib import Path

from crm_tui import config
from crm_tui.cli.common import CliError, database_url, login_name
from crm_tui.db.connection import close_database
from crm_tui.i18n import _
from crm_tui.services import admin


def command_open_app(args: argparse.Namespace) -> int:
    url = database_url(args)
    login = login_name(args)
    if config.is_default_database(url) and not Path(url).expanduser().exists():
        _prepare_default_database(url)
    admin.open_existing(url)
    close_database()
    try:
        from crm_tui.app import run_app
    except ImportError as exc:
        if exc.name and exc.name.startswith("crm_tui"):
            raise CliError(_("The full-screen interface is not part of this installation yet; "
                             "the crm commands work (see crm --help).")) from exc
        raise CliError(_("The full-screen interface needs {module}: reinstall crm_tui.").format(
            module=exc.name or "textual")) from exc
    return int(run_app(url, login, args.language) or 0)


def _prepare_default_database(url: str) -> None:
    """On a fresh machine the default file does not exist yet: make it (the app then
    registers whoever opens it first as its administrator)."""
    path = Path(url).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(_("Cannot create the folder {path}: {reason}").format(
            path=path.parent, reason=exc.strerror or exc)) from exc
    admin.initialise_database(url, share=False)  # a personal file in your own data folder
    close_database()
