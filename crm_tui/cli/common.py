"""What every `crm` command shares: exit codes, the one-line error, who acts, which
database, terminal-safe text and progress on stderr."""
from __future__ import annotations

import argparse
import getpass
import re
import sys
from typing import Any, Callable, Iterator

from crm_tui import config
from crm_tui.i18n import _
from crm_tui.services import admin
from crm_tui.services.errors import NotFound

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

PROG = "crm"

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


class CliError(Exception):
    """A failure already worded for the user: printed as one line, then exit `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise CliError(_("{message} (see {command} --help)").format(message=message, command=self.prog),
                       EXIT_USAGE)


def help_text(text: str) -> str:
    """argparse formats help with %: a literal one must be doubled."""
    return text.replace("%", "%%")


def whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(_("{value!r} is not a whole number of 0 or more").format(value=text))
    return value


def common_options(parser: argparse.ArgumentParser, suppress: bool, acting_user: bool = True) -> None:
    """--db, --user, --lang and --debug, accepted before and after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("-h", "--help", action="help", help=_("show this help and exit"))
    parser.add_argument("--db", metavar=_("PATH_OR_URL"), default=default, help=help_text(
        _("the database: a file, sqlite:///file or postgresql://user@host/name "
          "(default: $CRM_DATABASE_URL, the config file, then {path})").format(
            path=config.default_database_path())))
    if acting_user:
        parser.add_argument("--user", metavar=_("NAME"), default=default,
                            help=_("act as this user (default: your login)"))
    parser.add_argument("--lang", metavar="es|en", default=default,
                        help=_("language of the messages (default: from the locale)"))
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help=_("show the full traceback when something fails"))


def subparser(children, name: str, help_line: str, handler: Callable[[argparse.Namespace], int],
              description: str | None = None, acting_user: bool = True) -> argparse.ArgumentParser:
    child = children.add_parser(name, help=help_text(help_line), description=help_text(description or help_line),
                                add_help=False)
    common_options(child, suppress=True, acting_user=acting_user)
    child.set_defaults(handler=handler)
    return child


def login_name(args: argparse.Namespace) -> str:
    """Who acts: --user, else the login of the person running the command."""
    if getattr(args, "user", None):
        return args.user
    try:
        return getpass.getuser()
    except (OSError, KeyError) as exc:
        raise CliError(_("Cannot tell who you are: use --user NAME.")) from exc


def database_url(args: argparse.Namespace) -> str:
    return config.resolve_database_url(getattr(args, "db", None))


def open_existing(args: argparse.Namespace, allow_older: bool = False) -> str:
    url = database_url(args)
    admin.open_existing(url, allow_older=allow_older)
    return url


def printable(text: Any) -> str:
    """User text on one terminal line: control characters (escape sequences) removed."""
    return _CONTROL_CHARACTERS.sub("", _LINE_BREAKS.sub(" ", "" if text is None else str(text)))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def date_range(args: argparse.Namespace):
    from crm_tui.services.base import DateRange, parse_date

    start = parse_date(args.date_from, "from", _("--from"))
    end = parse_date(args.date_to, "to", _("--to"))
    return DateRange(start, end).check("from", _("--from"))


def every_page(read_page: Callable[[Any], Any]) -> Iterator[Any]:
    """Every row of a paged list, a page at a time."""
    from crm_tui.services.base import MAX_PAGE_SIZE, PageRequest

    request = PageRequest(limit=MAX_PAGE_SIZE)
    while True:
        page = read_page(request)
        yield from page.rows
        if not page.has_after:
            return
        request = PageRequest(after=page.last_cursor, limit=MAX_PAGE_SIZE)


def key_number(text: str, option: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise CliError(_("{option} takes a key (a whole number), not {value!r}.").format(
            option=option, value=value[:40]), EXIT_USAGE)
    return int(value)


def client_id(text: str) -> int:
    from crm_tui.services import catalogs

    record = catalogs.find_client_by_key(key_number(text, "--client"))
    if record is None:
        raise NotFound(_("There is no client with key {key}.").format(key=text.strip()))
    return record.id


def contact_id(text: str) -> int:
    from crm_tui.services import catalogs

    record = catalogs.find_contact_by_key(key_number(text, "--contact"))
    if record is None:
        raise NotFound(_("There is no contact with key {key}.").format(key=text.strip()))
    return record.id


def user_id(username: str) -> int:
    from crm_tui.services import users

    record = users.find_user(username)
    if record is None:
        raise NotFound(_("There is no user {name}.").format(name=username))
    return record.id


class ProgressPrinter:
    """Stage and count on one updating line on a terminal; one line per stage elsewhere."""

    def __init__(self, stream):
        self.stream = stream
        self.live = stream.isatty()
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.live:
            end = "\n" if done >= total else ""
            print(f"\r\x1b[K{printable(stage)}: {done}/{total}", end=end, file=self.stream, flush=True)
        elif stage != self.stage:
            print(f"{printable(stage)}…", file=self.stream, flush=True)
        self.stage = stage


def print_error(message: str) -> None:
    line = " ".join(str(message).split())
    print(f"{PROG}: {line}", file=sys.stderr)
