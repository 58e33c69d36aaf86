"""The `crm` command: open the full-screen CRM, or run an admin task from the shell.

Every failure ends as one translated line on stderr and a non-zero exit code (2 for bad
input, 1 for everything else); `--debug` or CRM_DEBUG=1 also shows the traceback.
Textual and openpyxl are imported only by the commands that use them, so `crm --help`,
`crm export` and `crm search` start quickly.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import getpass
import grp
import io
import itertools
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from crm_tui import __version__, config, i18n
from crm_tui.db.connection import DatabaseOpenError, close_database, describe_url
from crm_tui.db.text import fold
from crm_tui.i18n import N_, _, ngettext
from crm_tui.services import admin
from crm_tui.services.errors import NotFound, ServiceError, ValidationError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

PROG = "crm"
EXPORT_KINDS = ("contacts", "clients", "projects", "activities", "orders", "opportunities")
IMPORT_KINDS = ("contacts", "clients")
DEFAULT_SEARCH_LIMIT = 20

# argparse's own texts, so that `crm --help` and its complaints speak the chosen language.
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("expected one argument"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


class CliError(Exception):
    """A failure already worded for the user: printed as one line, then exit `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise CliError(_("{message} (see {command} --help)").format(message=message, command=self.prog),
                       EXIT_USAGE)


# --- entry point --------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in _before_separator(arguments) or os.environ.get("CRM_DEBUG", "") not in ("", "0")
    try:
        language = choose_language(_option_value(arguments, "--lang"))
        args = build_parser().parse_args(arguments)
        args.language = language
        return args.handler(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        _print_error(_("Interrupted."))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - the one place where failures become a message
        message, code = describe_failure(exc)
        if debug:
            traceback.print_exc()
        _print_error(message)
        return code
    finally:
        close_database()


def describe_failure(exc: BaseException) -> tuple[str, int]:
    """The one line the user reads for `exc`, and the exit code."""
    if isinstance(exc, CliError):
        return str(exc), exc.code
    if isinstance(exc, (ValidationError, NotFound)):
        return str(exc), EXIT_USAGE
    if isinstance(exc, (ServiceError, DatabaseOpenError, config.ConfigError)):
        return str(exc), EXIT_FAILURE
    if isinstance(exc, admin.DATABASE_ERRORS):
        return _("Database error: {detail}").format(detail=_first_line(exc)), EXIT_FAILURE
    if isinstance(exc, OSError):
        return _os_error_message(exc), EXIT_FAILURE
    return _("Unexpected error: {detail} (run with --debug to see where it happened)").format(
        detail=f"{exc.__class__.__name__}: {_first_line(exc)}"), EXIT_FAILURE


def _print_error(message: str) -> None:
    line = " ".join(str(message).split())
    print(f"{PROG}: {line}", file=sys.stderr)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def _os_error_message(exc: OSError) -> str:
    reason = exc.strerror or _first_line(exc)
    if exc.filename:
        return _("{path}: {reason}").format(path=exc.filename, reason=reason)
    return reason


def _silence_stdout() -> None:
    # The reader of a pipe went away (`crm search x | head`): stop writing quietly.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _before_separator(arguments: list[str]) -> list[str]:
    return arguments[:arguments.index("--")] if "--" in arguments else arguments


def _option_value(arguments: list[str], name: str) -> str | None:
    """The value of an option, read before the parser exists (its texts need the language)."""
    found = None
    words = _before_separator(arguments)
    for position, word in enumerate(words):
        if word == name and position + 1 < len(words):
            found = words[position + 1]
        elif word.startswith(name + "="):
            found = word.split("=", 1)[1]
    return found


def choose_language(option: str | None) -> str:
    """--lang, then CRM_LANG, then the config file, then the locale."""
    chosen = option or os.environ.get("CRM_LANG") or None
    if not chosen:
        try:
            configured = config.load_config().get("language")
        except config.ConfigError:
            configured = None  # reported later by the command that needs the config
        chosen = configured if isinstance(configured, str) and configured else None
    code = i18n.language_from_environment() if not chosen else _language_code(chosen)
    i18n.set_language(code)
    argparse._ = i18n._  # argparse looks its texts up through this module global
    return code


def _language_code(value: str) -> str:
    code = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if code not in i18n.LANGUAGES:
        raise CliError(_("Unknown language {value!r}: choose one of {choices}.").format(
            value=value[:20], choices=", ".join(i18n.LANGUAGES)), EXIT_USAGE)
    return code


# --- the parser ---------------------------------------------------------------------


def _help(text: str) -> str:
    return text.replace("%", "%%")


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(_("{value!r} is not a whole number of 0 or more").format(value=text))
    return value


def _common_options(parser: argparse.ArgumentParser, suppress: bool, acting_user: bool = True) -> None:
    """--db, --user, --lang and --debug, accepted before and after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("-h", "--help", action="help", help=_("show this help and exit"))
    parser.add_argument("--db", metavar=_("PATH_OR_URL"), default=default, help=_help(
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


def _subparser(children, name: str, help_text: str, handler: Callable[[argparse.Namespace], int],
               description: str | None = None, acting_user: bool = True) -> argparse.ArgumentParser:
    child = children.add_parser(name, help=_help(help_text), description=_help(description or help_text),
                                add_help=False)
    _common_options(child, suppress=True, acting_user=acting_user)
    child.set_defaults(handler=handler)
    return child


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, add_help=False,
        description=_("A terminal CRM for service companies. Without a command it opens the "
                      "full-screen interface."))
    _common_options(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"crm_tui {__version__}",
                        help=_("show the version and exit"))
    parser.set_defaults(handler=command_open_app)
    commands = parser.add_subparsers(title=_("commands"), metavar=_("COMMAND"), parser_class=_Parser)

    _subparser(commands, "init", _("create the database, or upgrade it to the latest schema"), command_init)

    demo = _subparser(commands, "demo", _("fill the database with realistic sample data"), command_demo)
    demo.add_argument("--orders", type=_whole_number, metavar="N", help=_("how many service orders"))
    demo.add_argument("--contacts", type=_whole_number, metavar="N", help=_("how many contacts"))
    demo.add_argument("--activities", type=_whole_number, metavar="N", help=_("how many activities"))
    demo.add_argument("--seed", type=int, metavar="N", help=_("random seed, for the same data every time"))
    demo.add_argument("--force", action="store_true", help=_("add the data even if the database has records"))

    user = _subparser(commands, "user", _("add, list, deactivate or activate users"), command_user_help)
    user_commands = user.add_subparsers(title=_("commands"), metavar=_("COMMAND"), parser_class=_Parser)
    user_add = _subparser(user_commands, "add", _("register a user (the first one becomes an administrator)"),
                          command_user_add)
    user_add.add_argument("username", metavar=_("NAME"), help=_("the user's login on the server"))
    user_add.add_argument("--full-name", default="", metavar=_("TEXT"), help=_("the user's full name"))
    user_add.add_argument("--role", choices=("admin", "agent"), default="agent",
                          help=_("admin or agent (default: agent)"))
    user_list = _subparser(user_commands, "list", _("list the users"), command_user_list)
    user_list.add_argument("--active", action="store_true", help=_("only the active users"))
    for name, help_text, active in (("deactivate", _("stop a user from signing in"), False),
                                    ("activate", _("let a deactivated user sign in again"), True)):
        child = _subparser(user_commands, name, help_text, command_user_set_active)
        child.add_argument("username", metavar=_("NAME"), help=_("the user's login"))
        child.set_defaults(active=active)

    importing = _subparser(commands, "import", _("import contacts or clients from an .xlsx or .csv file"),
                           command_import,
                           _("Import contacts or clients from an .xlsx or .csv file whose first row has "
                             "the column names that crm export writes. Rejected rows are reported "
                             "with their line number; the others are imported."))
    importing.add_argument("kind", choices=IMPORT_KINDS, help=_("what the file holds"))
    importing.add_argument("file", metavar=_("FILE"), help=_("the .xlsx or .csv file"))

    # Here --user is a filter; who acts does not matter to a read-only export.
    export = _subparser(commands, "export", _("write a list to an .xlsx workbook"), command_export,
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

    search = _subparser(commands, "search", _("find words in orders, service entries and activities"),
                        command_search)
    search.add_argument("words", nargs="+", metavar=_("WORD"), help=_("words to find (accents and case do not matter)"))
    search.add_argument("--limit", type=_whole_number, default=DEFAULT_SEARCH_LIMIT, metavar="N",
                        help=_("at most this many matches (default: {count})").format(count=DEFAULT_SEARCH_LIMIT))

    backup = _subparser(commands, "backup", _("write a consistent copy of the live database"), command_backup)
    backup.add_argument("dest", metavar=_("DEST"), help=_("the copy's file name, or a folder for a dated name"))
    backup.add_argument("--force", action="store_true", help=_("replace the file if it exists"))

    check = _subparser(commands, "check", _("check the database's integrity and schema"), command_check)
    check.add_argument("--full", action="store_true", help=_("the slow, complete integrity check (SQLite)"))
    return parser


# --- helpers shared by the commands -------------------------------------------------


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


def _date_range(args: argparse.Namespace):
    from crm_tui.services.base import DateRange, parse_date

    start = parse_date(args.date_from, "from", _("--from"))
    end = parse_date(args.date_to, "to", _("--to"))
    return DateRange(start, end).check("from", _("--from"))


# --- open the TUI -------------------------------------------------------------------


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


# --- init ---------------------------------------------------------------------------


def command_init(args: argparse.Namespace) -> int:
    url = database_url(args)
    result = admin.initialise_database(url)
    print(_("Database: {url}").format(url=describe_url(url)))
    if result.before == result.after:
        print(_("Schema version {version}: already the latest.").format(version=result.after))
    elif result.before == 0:
        print(_("Created at schema version {version}.").format(version=result.after))
    else:
        print(_("Upgraded from schema version {before} to {after}.").format(
            before=result.before, after=result.after))
    if result.shared_path:
        print(_sharing_hint(Path(result.shared_path), result.folder_keeps_group))
    return EXIT_OK


def _sharing_hint(path: Path, folder_keeps_group: bool) -> str:
    folder = path.parent
    try:
        group = grp.getgrgid(folder.stat().st_gid).gr_name
    except (KeyError, OSError):
        group = "crm"
    if folder_keeps_group:
        return _("Shared with the group {group} of {folder}: the file and its -wal/-shm are readable "
                 "and writable by that group, and new files there keep it. Put each person in that "
                 "group (sudo usermod -aG {group} LOGIN).").format(folder=folder, group=group)
    return _("The file is readable and writable by the group {group}, but the folder {folder} does "
             "not keep its group on new files, so a second person would find the -wal/-shm files "
             "read-only. For a shared database use a team folder: sudo groupadd crm && "
             "sudo install -d -m 2770 -g crm /srv/crm, then crm init --db /srv/crm/crm.db."
             ).format(folder=folder, group=group)


# --- demo ---------------------------------------------------------------------------


_DEMO_SUMMARY_LABELS = (
    ("users", N_("users")), ("clients", N_("clients")), ("contacts", N_("contacts")),
    ("categories", N_("categories")), ("projects", N_("projects")), ("activities", N_("activities")),
    ("orders", N_("service orders")), ("service_entries", N_("service entries")),
    ("order_reviews", N_("order reviews")), ("opportunity_types", N_("opportunity types")),
    ("opportunities", N_("opportunities")), ("opportunity_events", N_("opportunity events")),
)


def command_demo(args: argparse.Namespace) -> int:
    import dataclasses

    from crm_tui.services import demo

    open_existing(args)
    size = demo.DemoSize.scaled(args.orders) if args.orders is not None else demo.DemoSize()
    changes = {name: value for name, value in (("contacts", args.contacts), ("activities", args.activities),
                                               ("seed", args.seed)) if value is not None}
    size = dataclasses.replace(size, **changes)
    summary = demo.fill_demo(size, progress=ProgressPrinter(sys.stderr), force=args.force)
    print(_("Sample data written:"))
    for name, label in _DEMO_SUMMARY_LABELS:
        print(f"  {_(label)}: {getattr(summary, name, 0)}")
    return EXIT_OK


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


# --- users --------------------------------------------------------------------------


def command_user_help(args: argparse.Namespace) -> int:
    raise CliError(_("Say what to do with users: add, list, deactivate or activate (see crm user --help)."),
                   EXIT_USAGE)


def command_user_add(args: argparse.Namespace) -> int:
    from crm_tui.services import users

    open_existing(args)
    if not users.database_has_users():
        actor = users.bootstrap_first_admin(args.username, args.full_name)
        print(_("User {name} added as the administrator of this new database.").format(name=actor.username))
        return EXIT_OK
    record = users.add_user(users.system_actor(login_name(args)), args.username, args.full_name, args.role)
    print(_("User {name} added ({role}).").format(name=record.username, role=record.role_label))
    return EXIT_OK


def command_user_list(args: argparse.Namespace) -> int:
    from crm_tui.services import users

    open_existing(args)
    records = list(_every_page(lambda request: users.list_users(request, active_only=args.active)))
    if not records:
        print(_("No users yet: add the first one with crm user add NAME."))
        return EXIT_OK
    width = max(len(record.username) for record in records)
    for record in records:
        state = _("active") if record.active else _("deactivated")
        print(printable(f"{record.username:<{width}}  {record.role_label:<14}  {state:<12}  {record.full_name}").rstrip())
    return EXIT_OK


def _every_page(read_page: Callable[[Any], Any]) -> Iterator[Any]:
    from crm_tui.services.base import MAX_PAGE_SIZE, PageRequest

    request = PageRequest(limit=MAX_PAGE_SIZE)
    while True:
        page = read_page(request)
        yield from page.rows
        if not page.has_after:
            return
        request = PageRequest(after=page.last_cursor, limit=MAX_PAGE_SIZE)


def command_user_set_active(args: argparse.Namespace) -> int:
    from crm_tui.services import users

    open_existing(args)
    record = users.find_user(args.username)
    if record is None:
        raise NotFound(_("There is no user {name}.").format(name=args.username))
    record = users.set_user_active(users.system_actor(login_name(args)), record.id, record.version, args.active)
    message = _("User {name} is active.") if record.active else _("User {name} is deactivated.")
    print(message.format(name=record.username))
    return EXIT_OK


# --- import -------------------------------------------------------------------------


def command_import(args: argparse.Namespace) -> int:
    from crm_tui.services import catalogs, users

    path = _readable_file(args.file)
    columns, import_row = {
        "contacts": (catalogs.CONTACT_COLUMNS, catalogs.import_contact_row),
        "clients": (catalogs.CLIENT_COLUMNS, catalogs.import_client_row),
    }[args.kind]
    open_existing(args)
    actor = users.system_actor(login_name(args))
    rows = read_table(path)
    header_line, keys = _read_header(rows, columns, path)
    imported = rejected = 0
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        values = {key: cell for key, cell in zip(keys, cells) if key}
        try:
            import_row(actor, values)
            imported += 1
        except ServiceError as exc:
            rejected += 1
            print(printable(_("Line {line}: {reason}").format(line=line, reason=exc)), file=sys.stderr)
    print(ngettext("{count} row imported", "{count} rows imported", imported).format(count=imported)
          + ", " + ngettext("{count} rejected.", "{count} rejected.", rejected).format(count=rejected))
    return EXIT_OK if rejected == 0 else EXIT_FAILURE


def _readable_file(name: str) -> Path:
    path = Path(name).expanduser()
    if not path.exists():
        raise CliError(_("The file {path} does not exist.").format(path=path))
    if not path.is_file():
        raise CliError(_("{path} is not a file.").format(path=path))
    if not os.access(path, os.R_OK):
        raise CliError(_("Cannot read {path}: permission denied.").format(path=path))
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise CliError(_("{path}: use an .xlsx or .csv file.").format(path=path), EXIT_USAGE)
    return path


def read_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for every row of an .xlsx or .csv file."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    return _read_csv(path)


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CliError(_("{path} is not a readable .xlsx workbook: {detail}").format(
            path=path, detail=_first_line(exc))) from exc
    try:
        sheet = workbook.worksheets[0]
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in row]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # what Excel writes on Windows
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CliError(_("{path}, line {line}: {detail}").format(path=path, line=line, detail=exc)) from exc


def _read_header(rows: Iterator[tuple[int, list[str]]], columns: Sequence[Any], path: Path) -> tuple[int, list[str | None]]:
    """The column key of each position of the first non-blank row (None: not ours)."""
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        names = _column_names(columns)
        keys = [names.get(fold(cell.strip())) for cell in cells]
        if not any(keys):
            raise CliError(_("The first row of {path} must have the column names, as crm export writes them.").format(
                path=path), EXIT_USAGE)
        return line, keys
    raise CliError(_("{path} is empty.").format(path=path), EXIT_USAGE)


def _column_names(columns: Sequence[Any]) -> dict[str, str]:
    """Folded key and label (in every language) -> column key."""
    import gettext

    names: dict[str, str] = {}
    catalogs = [gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=[code], fallback=True)
                for code in i18n.LANGUAGES]
    for column in columns:
        names[fold(column.key)] = column.key
        names.setdefault(fold(column.label), column.key)
        for catalog in catalogs:
            names.setdefault(fold(catalog.gettext(column.label)), column.key)
    return names


# --- export -------------------------------------------------------------------------

# Which filters each list takes: the option name -> the filter's field name.
_EXPORT_FILTERS = {
    "contacts": {"client": "client_id"},
    "clients": {},
    "projects": {"client": "client_id"},
    "orders": {"status": "status", "dates": "created", "client": "client_id", "contact": "contact_id",
               "user": "user_id"},
    "activities": {"status": "status", "dates": "dates", "client": "client_id", "contact": "contact_id",
                   "user": "user_id"},
    "opportunities": {"status": "status", "dates": "created", "client": "client_id", "contact": "contact_id",
                      "user": "agent_id"},
}
_SHEET_TITLES = {
    "contacts": N_("Contacts"), "clients": N_("Clients"), "projects": N_("Projects"),
    "activities": N_("Activities"), "orders": N_("Service orders"), "opportunities": N_("Opportunities"),
}


def command_export(args: argparse.Namespace) -> int:
    output = _output_file(args.output)
    open_existing(args)
    filters = _export_filters(args)
    columns, rows = _export_source(args.kind, filters)
    rows = _checked_rows(rows)
    from crm_tui.export.xlsx import ExportError, write_xlsx

    try:
        count = write_xlsx(str(output), columns, rows, sheet_title=_(_SHEET_TITLES[args.kind]))
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


def _export_filters(args: argparse.Namespace) -> dict[str, Any]:
    """The filter values the command line gives, checked against what the list accepts."""
    accepted = _EXPORT_FILTERS[args.kind]
    given = {"status": args.status, "client": args.client, "contact": args.contact, "user": args.filter_user,
             "dates": (args.date_from or args.date_to) or None}
    option_names = {"status": "--status", "client": "--client", "contact": "--contact", "user": "--user",
                    "dates": "--from/--to"}
    for name, value in given.items():
        if value is not None and name not in accepted:
            raise CliError(_("{option} does not apply to crm export {kind}.").format(
                option=option_names[name], kind=args.kind), EXIT_USAGE)
    filters: dict[str, Any] = {}
    if args.status is not None:
        filters[accepted["status"]] = args.status.strip().lower()
    if given["dates"]:
        filters[accepted["dates"]] = _date_range(args)
    if args.client is not None:
        filters[accepted["client"]] = _client_id(args.client)
    if args.contact is not None:
        filters[accepted["contact"]] = _contact_id(args.contact)
    if args.filter_user is not None:
        filters[accepted["user"]] = _user_id(args.filter_user)
    return filters


def _key_number(text: str, option: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise CliError(_("{option} takes a key (a whole number), not {value!r}.").format(
            option=option, value=value[:40]), EXIT_USAGE)
    return int(value)


def _client_id(text: str) -> int:
    from crm_tui.services import catalogs

    record = catalogs.find_client_by_key(_key_number(text, "--client"))
    if record is None:
        raise NotFound(_("There is no client with key {key}.").format(key=text.strip()))
    return record.id


def _contact_id(text: str) -> int:
    from crm_tui.services import catalogs

    record = catalogs.find_contact_by_key(_key_number(text, "--contact"))
    if record is None:
        raise NotFound(_("There is no contact with key {key}.").format(key=text.strip()))
    return record.id


def _user_id(username: str) -> int:
    from crm_tui.services import users

    record = users.find_user(username)
    if record is None:
        raise NotFound(_("There is no user {name}.").format(name=username))
    return record.id


def _export_source(kind: str, filters: dict[str, Any]) -> tuple[list[Any], Iterable[tuple]]:
    if kind == "orders":
        from crm_tui.services import orders

        return orders.ORDER_COLUMNS, orders.iter_order_rows(orders.OrderFilter(**filters))
    if kind == "activities":
        from crm_tui.services import activities

        return activities.ACTIVITY_COLUMNS, activities.iter_activity_rows(activities.ActivityFilter(**filters))
    if kind == "opportunities":
        from crm_tui.services import opportunities

        filters.setdefault("status", None)  # the whole list unless --status says otherwise
        return (opportunities.OPPORTUNITY_COLUMNS,
                opportunities.iter_opportunity_rows(opportunities.OpportunityFilter(**filters)))
    from crm_tui.services import catalogs

    columns, rows = {
        "contacts": (catalogs.CONTACT_COLUMNS, catalogs.iter_contact_rows),
        "clients": (catalogs.CLIENT_COLUMNS, catalogs.iter_client_rows),
        "projects": (catalogs.PROJECT_COLUMNS, catalogs.iter_project_rows),
    }[kind]
    return columns, rows(**filters)


# --- search -------------------------------------------------------------------------

_KIND_LABELS = {"order": N_("Order"), "activity": N_("Activity")}
_STATUS_LABELS = {"open": N_("Open"), "finished": N_("Finished"), "closed": N_("Closed"),
                  "pending": N_("Pending"), "done": N_("Done")}


def command_search(args: argparse.Namespace) -> int:
    from crm_tui.services.base import format_date
    from crm_tui.services.search import concept_search

    text = " ".join(args.words)
    open_existing(args)
    results = concept_search(text, limit=args.limit)
    if not results:
        print(_("Nothing found for {text}.").format(text=printable(text)))
        return EXIT_OK
    bold = sys.stdout.isatty()
    for result in results:
        heading = [_(_KIND_LABELS.get(result.kind, result.kind)), str(result.number),
                   format_date(result.when), result.contact_name, result.client_name,
                   _(_STATUS_LABELS.get(result.status, result.status))]
        print(" · ".join(printable(part) for part in heading if part))
        print("    " + marked_snippet(result.snippet, result.highlights, bold))
    return EXIT_OK


def marked_snippet(snippet: str, highlights: Sequence[tuple[int, int]], bold: bool) -> str:
    """The snippet with the matched words in bold (terminal) or between « » (pipe, file)."""
    start_mark, end_mark = ("\x1b[1m", "\x1b[0m") if bold else ("«", "»")
    pieces, position = [], 0
    for start, end in sorted(highlights):
        if start < position:
            continue
        pieces.append(printable(snippet[position:start]))
        pieces.append(start_mark + printable(snippet[start:end]) + end_mark)
        position = end
    pieces.append(printable(snippet[position:]))
    return "".join(pieces)


# --- backup and check ---------------------------------------------------------------


def command_backup(args: argparse.Namespace) -> int:
    open_existing(args, allow_older=True)
    result = admin.backup_database(args.dest, overwrite=args.force)
    print(_("Backup written to {path} ({size}).").format(path=result.path, size=_size(result.size_bytes)))
    if result.kind == "postgresql":
        print(_("Restore it with: pg_restore --clean --dbname NAME {path}").format(path=result.path))
    return EXIT_OK


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"


def command_check(args: argparse.Namespace) -> int:
    url = open_existing(args, allow_older=True)
    print(_("Database: {url}").format(url=describe_url(url)))
    results = admin.check_database(full=args.full)
    for result in results:
        state = _("ok") if result.ok else _("PROBLEM")
        print(printable(f"[{state}] {_(result.name)}: {result.detail}"))
    failed = [result for result in results if not result.ok]
    if failed:
        _print_error(ngettext("{count} check found a problem.", "{count} checks found a problem.",
                              len(failed)).format(count=len(failed)))
        return EXIT_FAILURE
    print(_("Every check passed."))
    return EXIT_OK
