"""`crm` without a command: open the full-screen CRM."""
from __future__ import annotations

import argparse
from pathlib import Path

from crm_tui import config
from crm_tui.cli.common import CliError, create_database, database_url, login_name, open_existing
from crm_tui.i18n import _


def command_open_app(args: argparse.Namespace) -> int:
    url = database_url(args)
    login = login_name(args)
    if config.is_default_database(url) and not Path(url).expanduser().exists():
        # On a fresh machine the default file is made without asking (the app then
        # registers whoever opens it first as its administrator).
        create_database(url)
    open_existing(args)  # another missing database: asked about on a terminal, as the commands do
    # It stays open for the app (run_app uses it as it is).
    try:
        from crm_tui.app import run_app
    except ImportError as exc:
        if exc.name and exc.name.startswith("crm_tui"):
            raise CliError(_("The full-screen interface is not part of this installation yet; "
                             "the crm commands work (see crm --help).")) from exc
        raise CliError(_("The full-screen interface needs {module}: reinstall crm_tui.").format(
            module=exc.name or "textual")) from exc
    return int(run_app(url, login, args.language) or 0)
