"""The `crm` command: open the full-screen CRM, or run an admin task from the shell.

One module per command (init, demo, user, import, export, search, report, backup, check,
history), each
with a `register(commands)` that adds its parser and the function that runs it. Every
failure ends as one translated line on stderr and a non-zero exit code (2 for bad input,
1 for everything else); `--debug` or CRM_DEBUG=1 also shows the traceback. Textual and
openpyxl are imported only by the commands that use them, so `crm --help`, `crm export`
and `crm search` start quickly.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from typing import Any, Sequence

from crm_tui import __version__, config, i18n
from crm_tui.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    Parser,
    common_options,
    first_line,
    print_error,
    refuse_text_that_is_not_utf8,
)
from crm_tui.cli.open_app import command_open_app
from crm_tui.db.connection import DatabaseOpenError, close_database
from crm_tui.i18n import N_, _
from crm_tui.services.errors import NotFound, ServiceError, ValidationError
from crm_tui.services.failures import DATABASE_ERRORS, user_message

__all__ = ["main", "build_parser", "describe_failure", "marked_snippet"]

# The modules of crm_tui.cli that each add one command; loaded only when a command may be
# asked for (`crm` alone, which opens the CRM, does without them).
COMMAND_MODULES = ("init", "demo", "user", "importing", "export", "search", "report", "backup", "check",
                   "history")
# The options that take a value, shared by `crm` and every command.
VALUE_OPTIONS = ("--db", "--user", "--lang")

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


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in _before_separator(arguments) or os.environ.get("CRM_DEBUG", "") not in ("", "0")
    _replace_what_the_terminal_cannot_show()
    try:
        language = choose_language(_option_value(arguments, "--lang"))
        refuse_text_that_is_not_utf8(arguments)
        args = build_parser(commands=not opens_the_app(arguments)).parse_args(arguments)
        args.language = language
        if args.handler is not command_open_app:
            gc.enable()  # off while loading (crm_tui.__main__); the app turns it on after its first frame
        return args.handler(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        print_error(_("Interrupted."))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - the one place where failures become a message
        message, code = describe_failure(exc)
        if debug:
            import traceback

            traceback.print_exc()
        print_error(message)
        return code
    finally:
        close_database()


def opens_the_app(arguments: Sequence[str]) -> bool:
    """True when the words hold only --db, --user, --lang and --debug: no command, no --help."""
    words = iter(arguments)
    for word in words:
        if word in VALUE_OPTIONS:
            next(words, None)
        elif word != "--debug" and not word.startswith(tuple(f"{name}=" for name in VALUE_OPTIONS)):
            return False
    return True


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG, add_help=False,
        description=_("A terminal CRM for service companies. Without a command it opens the "
                      "full-screen interface."))
    common_options(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"crm_tui {__version__}",
                        help=_("show the version and exit"))
    parser.set_defaults(handler=command_open_app)
    if not commands:
        return parser
    children = parser.add_subparsers(title=_("commands"), metavar=_("COMMAND"), parser_class=Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"crm_tui.cli.{name}").register(children)
    return parser


def __getattr__(name: str) -> Any:
    if name == "marked_snippet":  # part of this package's interface, loaded with `crm search`
        from crm_tui.cli.search import marked_snippet

        return marked_snippet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def describe_failure(exc: BaseException) -> tuple[str, int]:
    """The one line the user reads for `exc`, and the exit code."""
    if isinstance(exc, CliError):
        return str(exc), exc.code
    if isinstance(exc, (ValidationError, NotFound)):
        return str(exc), EXIT_USAGE
    if isinstance(exc, (ServiceError, DatabaseOpenError, config.ConfigError)):
        return str(exc), EXIT_FAILURE
    if isinstance(exc, DATABASE_ERRORS):
        return user_message(exc), EXIT_FAILURE
    if isinstance(exc, OSError):
        return _os_error_message(exc), EXIT_FAILURE
    return _("Unexpected error: {detail} (run with --debug to see where it happened)").format(
        detail=f"{exc.__class__.__name__}: {first_line(exc)}"), EXIT_FAILURE


def _os_error_message(exc: OSError) -> str:
    reason = exc.strerror or first_line(exc)
    if exc.filename:
        return _("{path}: {reason}").format(path=exc.filename, reason=reason)
    return reason


def _replace_what_the_terminal_cannot_show() -> None:
    # A terminal whose locale is not UTF-8 gets "?" for a character it lacks, not a failure.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):  # not a text file, or already closed
            pass


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
