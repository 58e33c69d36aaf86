"""What every `crm` command shares: exit codes, the one-line error, who acts, which
database, terminal-safe text, questions and progress on stderr.

Every line the command prints, to stdout or stderr, goes through `printable()`: text
from the database or from the arguments never reaches the terminal as an escape sequence.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from crm_tui import config
from crm_tui.db.connection import close_database, parse_url
from crm_tui.db.text import fold
from crm_tui.i18n import N_, _
from crm_tui.services import opening
from crm_tui.services.errors import NotFound

if TYPE_CHECKING:
    from crm_tui.services.admin import UpgradeResult

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

PROG = "crm"

# The databases' integer column: no key, number or limit goes beyond it.
MAX_WHOLE_NUMBER = 2_147_483_647

# Control characters (C0 but the line breaks and tab, DEL, C1) and the lone surrogates
# that stand for bytes of an argument that were not UTF-8.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_NOT_UTF8 = re.compile(r"[\ud800-\udfff]")
VISIBLE_SIGN = "\ufffd"  # what the screens show for a control character, too
YES_WORDS = N_("y|yes")  # the answers that mean yes, separated by |


class CliError(Exception):
    """A failure already worded for the user: printed as one line, then exit `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse's parser with one-line errors, and help that may end with text made only
    when the help is shown (`more_help`: it may read the services, which `crm` does not
    load to start)."""

    def __init__(self, *args: Any, more_help: Callable[[], str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.more_help = more_help

    def error(self, message: str):  # one line instead of usage + message
        raise CliError(_("{message} (see {command} --help)").format(message=message, command=self.prog),
                       EXIT_USAGE)

    def format_help(self) -> str:
        text = super().format_help()
        return text + "\n" + self.more_help() if self.more_help is not None else text


def help_text(text: str) -> str:
    """argparse formats help with %: a literal one must be doubled."""
    return text.replace("%", "%%")


def whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_WHOLE_NUMBER:
        raise argparse.ArgumentTypeError(_("{value!r} is not a whole number from 0 to {maximum}").format(
            value=text[:40], maximum=MAX_WHOLE_NUMBER))
    return value


def refuse_text_that_is_not_utf8(arguments: list[str]) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates, which no database or
    terminal takes: say so once, naming the argument."""
    for argument in arguments:
        if _NOT_UTF8.search(argument):
            raise CliError(_("{value!r} is not valid UTF-8 text: set the terminal and the locale to UTF-8.").format(
                value=_NOT_UTF8.sub(VISIBLE_SIGN, argument[:60])), EXIT_USAGE)


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
                            help=_("act as this CRM user (only for a login that is a CRM administrator; "
                                   "default: your login)"))
    parser.add_argument("--lang", metavar="es|en", default=default,
                        help=_("language of the messages (default: from the locale)"))
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help=_("show the full traceback when something fails"))


def subparser(children, name: str, help_line: str, handler: Callable[[argparse.Namespace], int],
              description: str | None = None, acting_user: bool = True,
              more_help: Callable[[], str] | None = None) -> argparse.ArgumentParser:
    child = children.add_parser(name, help=help_text(help_line), description=help_text(description or help_line),
                                add_help=False, more_help=more_help)
    common_options(child, suppress=True, acting_user=acting_user)
    child.set_defaults(handler=handler)
    return child


# --- who acts -------------------------------------------------------------------------


def login_name(args: argparse.Namespace) -> str:
    """Who acts: --user, else the system login of the person running the command."""
    from crm_tui.services import login

    requested = getattr(args, "user", None)
    if requested is not None:
        if not requested.strip():
            raise CliError(_("--user is empty: give a user name, or leave it out to act as yourself."),
                           EXIT_USAGE)
        return requested
    return login.system_login()


def acting_user(args: argparse.Namespace):
    """The CRM user who acts (an Actor): registered and active; with --user, only when the
    system login is itself a CRM administrator. The services then apply that user's role."""
    from crm_tui.services import login

    return login.system_actor(login_name(args))


def _check_acting_user(args: argparse.Namespace) -> None:
    """A --user the command does not need is still checked: a mistyped name is an error,
    never silently ignored. A database without users has nobody to check against."""
    from crm_tui.services import login

    if getattr(args, "user", None) is not None and login.database_has_users():
        acting_user(args)


# --- which database -------------------------------------------------------------------


def database_url(args: argparse.Namespace) -> str:
    given = getattr(args, "db", None)
    if given is not None and not given.strip():
        raise CliError(_("--db is empty: give a file, sqlite:///file or postgresql://user@host/name."),
                       EXIT_USAGE)
    return config.resolve_database_url(given)


def open_existing(args: argparse.Namespace, allow_older: bool = False, read_only: bool = False) -> str:
    """Open the database the command works on. A command that only reads opens it read-only
    (the file is never created or changed); one that writes offers, on a terminal, to create
    a database that is not there."""
    url = database_url(args)
    if not read_only and not opening.database_exists(url):
        offer_to_create(url)
    opening.open_existing(url, allow_older=allow_older, read_only=read_only)
    _check_acting_user(args)
    return url


def offer_to_create(url: str) -> bool:
    """Ask the person at the terminal whether to create the missing database at `url`, and
    create it as `crm init` does. Without a terminal nothing is asked (the caller then
    reports the missing database, naming crm init)."""
    if not can_ask():
        return False
    _kind, target = parse_url(url)
    if not confirm(_("No database at {path}. Create it?").format(path=Path(target).expanduser())):
        return False
    from crm_tui.cli.init import report_initialised

    report_initialised(url, create_database(url))
    return True


def create_database(url: str) -> UpgradeResult:
    """Create the database at `url`: the default one is a personal file in the user's data
    folder (made if need be); any other is shared with its folder's group, as by crm init."""
    default = config.is_default_database(url)
    if default:
        folder = Path(url).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(_("Cannot create the folder {path}: {reason}").format(
                path=folder, reason=exc.strerror or exc)) from exc
    from crm_tui.services import admin

    result = admin.initialise_database(url, share=not default)
    close_database()
    return result


# --- asking -----------------------------------------------------------------------------


def can_ask() -> bool:
    """Is a person there to answer (stdin and stderr are a terminal)?"""
    return _is_terminal(sys.stdin) and _is_terminal(sys.stderr)


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def confirm(question: str) -> bool:
    """Ask a yes/no question on stderr; only a yes (in the interface's language or in
    English) means yes, and so Enter alone, or the end of the input, means no."""
    print(printable(question + " " + _("[y/N]")) + " ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        raise
    yes = {fold(word) for word in (_(YES_WORDS) + "|" + YES_WORDS).split("|")}
    return fold(answer.strip()) in yes


# --- what the command prints ------------------------------------------------------------


def printable(text: Any) -> str:
    """Text on one terminal line: line breaks and tabs become spaces, and each control
    character (which a terminal would obey) becomes a visible sign."""
    return _CONTROL_CHARACTERS.sub(VISIBLE_SIGN, _LINE_BREAKS.sub(" ", "" if text is None else str(text)))


def say(text: Any = "") -> None:
    """Print one line on stdout, made printable."""
    print(printable(text))


def print_error(message: Any) -> None:
    """The one line of a failure on stderr, made printable."""
    try:
        print(f"{PROG}: {' '.join(printable(message).split())}", file=sys.stderr)
    except OSError:  # the terminal is gone (a dropped connection): nobody to tell
        pass


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


# --- arguments that name records ---------------------------------------------------------


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
    if not (value.isascii() and value.isdigit()):
        raise CliError(_("{option} takes a key (a whole number), not {value!r}.").format(
            option=option, value=value[:40]), EXIT_USAGE)
    if len(value) > len(str(MAX_WHOLE_NUMBER)) or int(value) > MAX_WHOLE_NUMBER:
        raise CliError(_("{option}: {value} is too big for a key (at most {maximum}).").format(
            option=option, value=value[:40], maximum=MAX_WHOLE_NUMBER), EXIT_USAGE)
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


# --- progress on stderr -------------------------------------------------------------------


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
