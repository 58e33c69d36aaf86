"""`crm user`: add, list, deactivate or activate users."""
from __future__ import annotations

import argparse

from crm_tui.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Parser,
    acting_user,
    every_page,
    open_existing,
    say,
    subparser,
)
from crm_tui.i18n import _
from crm_tui.services.errors import NotFound


def register(commands) -> None:
    user = subparser(commands, "user", _("add, list, deactivate or activate users"), command_user_help)
    user_commands = user.add_subparsers(title=_("commands"), metavar=_("COMMAND"), parser_class=Parser)
    user_add = subparser(user_commands, "add", _("register a user (the first one becomes an administrator)"),
                         command_user_add)
    user_add.add_argument("username", metavar=_("NAME"), help=_("the user's login on the server"))
    user_add.add_argument("--full-name", default="", metavar=_("TEXT"), help=_("the user's full name"))
    user_add.add_argument("--role", choices=("admin", "agent"), default="agent",
                          help=_("admin or agent (default: agent)"))
    user_list = subparser(user_commands, "list", _("list the users"), command_user_list)
    user_list.add_argument("--active", action="store_true", help=_("only the active users"))
    for name, help_line, active in (("deactivate", _("stop a user from signing in"), False),
                                    ("activate", _("let a deactivated user sign in again"), True)):
        child = subparser(user_commands, name, help_line, command_user_set_active)
        child.add_argument("username", metavar=_("NAME"), help=_("the user's login"))
        child.set_defaults(active=active)


def command_user_help(args: argparse.Namespace) -> int:
    raise CliError(_("Say what to do with users: add, list, deactivate or activate (see crm user --help)."),
                   EXIT_USAGE)


def command_user_add(args: argparse.Namespace) -> int:
    from crm_tui.services import users

    open_existing(args)
    if not users.database_has_users():
        actor = users.bootstrap_first_admin(args.username, args.full_name)
        say(_("User {name} added as the administrator of this new database.").format(name=actor.username))
        return EXIT_OK
    record = users.add_user(acting_user(args), users.UserInput(
        username=args.username, full_name=args.full_name, role=args.role))
    say(_("User {name} added ({role}).").format(name=record.username, role=record.role_label))
    return EXIT_OK


def command_user_list(args: argparse.Namespace) -> int:
    from crm_tui.services import users

    open_existing(args, read_only=True)
    records = list(every_page(lambda request: users.list_users(request, active_only=args.active)))
    if not records:
        say(_("No users yet: add the first one with crm user add NAME."))
        return EXIT_OK
    width = max(len(record.username) for record in records)
    for record in records:
        state = _("active") if record.active else _("deactivated")
        say(f"{record.username:<{width}}  {record.role_label:<14}  {state:<12}  {record.full_name}".rstrip())
    return EXIT_OK


def command_user_set_active(args: argparse.Namespace) -> int:
    from crm_tui.services import users

    open_existing(args)
    actor = acting_user(args)
    record = users.find_user(args.username)
    if record is None:
        raise NotFound(_("There is no user {name}.").format(name=args.username))
    record = users.set_user_active(actor, record.id, record.version, args.active)
    message = _("User {name} is active.") if record.active else _("User {name} is deactivated.")
    say(message.format(name=record.username))
    return EXIT_OK
