"""`crm export`: write a list to an .xlsx workbook.

On a terminal a long export shows a bar on stderr (rows written, time left). Ctrl+C, or
the connection dropping, stops it without leaving a half-written file.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from crm_tui.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    client_id,
    contact_id,
    date_range,
    open_existing,
    printable,
    say,
    subparser,
    user_id,
)
from crm_tui.i18n import _, ngettext
from crm_tui.services.exports import EXPORT_KINDS, EXPORT_LISTS, ExportList

_OPTION_NAMES = {"status": "--status", "client": "--client", "contact": "--contact", "user": "--user",
                 "dates": "--from/--to"}


def register(commands) -> None:
    # Here --user is a filter; who acts does not matter to a read-only export.
    export = subparser(commands, "export", _("write a list to an .xlsx workbook"), command_export,
                       acting_user=False, more_help=status_help)
    export.add_argument("kind", choices=EXPORT_KINDS, metavar=_("LIST"),
                        help=_("which list: {lists}").format(lists=", ".join(EXPORT_KINDS)))
    export.add_argument("-o", "--output", required=True, metavar=_("FILE.xlsx"), help=_("the workbook to write"))
    export.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    export.add_argument("--status", metavar=_("STATUS"),
                        help=_("only this status (orders, activities, opportunities: see below)"))
    export.add_argument("--from", dest="date_from", metavar=_("DATE"),
                        help=_("from this day (created, or when for activities)"))
    export.add_argument("--to", dest="date_to", metavar=_("DATE"), help=_("up to this day, included"))
    export.add_argument("--client", metavar=_("KEY"), help=_("only this client (its key)"))
    export.add_argument("--contact", metavar=_("KEY"), help=_("only this contact (its key)"))
    export.add_argument("--user", dest="filter_user", metavar=_("USERNAME"),
                        help=_("only this user's records (technician, agent or author)"))


def status_help() -> str:
    """The statuses --status takes, list by list, in the interface's language first."""
    from crm_tui.services.base import choice_words

    width = max(40, shutil.get_terminal_size().columns - 2)
    lines = [textwrap.fill(_("--status takes one of these, in either language (case and accents do not "
                             "matter):"), width)]
    for kind, listed in EXPORT_LISTS.items():
        if listed.statuses is None:
            continue
        labels, _from_word = listed.statuses()
        named = [words[0] + (" ({others})".format(others=", ".join(words[1:])) if len(words) > 1 else "")
                 for words in choice_words(labels).values()]
        lines.append(textwrap.fill(f"{kind}: " + ", ".join(named), width, initial_indent="  ",
                                   subsequent_indent="    "))
    return "\n".join(lines) + "\n"


def command_export(args: argparse.Namespace) -> int:
    output = _output_file(args.output, args.force)
    open_existing(args, read_only=True)
    from crm_tui.services.reports import get_report

    listed = EXPORT_LISTS[args.kind]
    filters = _export_filters(args, listed)
    report = get_report(args.kind)  # the list as the report registry declares it
    columns, rows = report.columns, _checked_rows(report.rows(filters))
    progress = RowProgress.on_terminal(sys.stderr, lambda: report.count(filters), _(report.title))
    if progress is not None:
        rows = progress.rows(rows)
    from crm_tui.export.xlsx import ExportError, write_xlsx

    replacing = output.exists()
    try:
        with _hang_up_as_interrupt():
            count = write_xlsx(str(output), columns, rows, sheet_title=_(report.title))
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    except KeyboardInterrupt as exc:
        message = (_("Export interrupted: {path} was left as it was.") if replacing
                   else _("Export interrupted: {path} was not written."))
        raise CliError(message.format(path=output), EXIT_INTERRUPTED) from exc
    finally:
        if progress is not None:
            progress.clear()
    say(ngettext("{count} row written to {path}", "{count} rows written to {path}", count).format(
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


@contextlib.contextmanager
def _hang_up_as_interrupt():
    """A dropped SSH connection (SIGHUP) or a kill (SIGTERM) stop the export as Ctrl+C
    does, so the half-written file is removed instead of left behind."""
    def interrupt(_signal_number, _frame):
        raise KeyboardInterrupt

    previous = {}
    try:
        for name in ("SIGHUP", "SIGTERM"):
            number = getattr(signal, name, None)
            if number is not None:
                previous[number] = signal.signal(number, interrupt)
    except ValueError:  # not the main thread: the default handling stays
        pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _output_file(name: str, replace: bool) -> Path:
    path = Path(name).expanduser()
    if path.suffix.lower() != ".xlsx":
        raise CliError(_("The output file must end in .xlsx: {path}").format(path=path), EXIT_USAGE)
    if path.is_dir():
        raise CliError(_("{path} is a folder: give a file name.").format(path=path), EXIT_USAGE)
    folder = path.parent
    if not folder.is_dir():
        raise CliError(_("The folder {path} does not exist.").format(path=folder))
    if path.exists() and not replace:
        raise CliError(_("{path} already exists: choose another name or use --force.").format(path=path))
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(_("Cannot write {path}: permission denied.").format(path=path))
    return path


def _export_filters(args: argparse.Namespace, listed: ExportList):
    """The restrictions the command line gives, checked against what the list accepts."""
    from crm_tui.services.reports import ReportFilter

    accepted = listed.filters
    given = {"status": args.status, "client": args.client, "contact": args.contact, "user": args.filter_user,
             "dates": (args.date_from or args.date_to) or None}
    for name, value in given.items():
        if value is not None and name not in accepted:
            raise CliError(_("{option} does not apply to crm export {kind}.").format(
                option=_OPTION_NAMES[name], kind=args.kind), EXIT_USAGE)
    filters: dict[str, Any] = {}
    if args.status is not None and listed.statuses is not None:
        _labels, status_from_word = listed.statuses()
        filters["status"] = status_from_word(args.status)
    if given["dates"]:
        filters["dates"] = date_range(args)
    if args.client is not None:
        filters["client_id"] = client_id(args.client)
    if args.contact is not None:
        filters["contact_id"] = contact_id(args.contact)
    if args.filter_user is not None:
        filters["user_id"] = user_id(args.filter_user)
    return ReportFilter(**filters)


_ROOM_FOR_CTRL_C = 3


class RowProgress:
    """A bar on one line of a terminal: rows written of the total, and the time left."""

    EVERY_ROWS = 1000  # rows between two looks at the clock
    SECONDS_BETWEEN_UPDATES = 0.25

    def __init__(self, stream, total: int, title: str):
        self.stream = stream
        self.total = total
        self.title = printable(title)
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.bar_full, self.bar_empty = ("█", "░") if _speaks_utf8(stream) else ("#", "-")
        # One width for the whole export, with room beside the bar for the longest text
        # of the writing (saving, at the end, may drop the bar). The line stays short of the
        # last columns, where the terminal echoes ^C: a wrapped line could not be redrawn.
        self.columns = _columns(stream) - _ROOM_FOR_CTRL_C
        longest = len(self._text(total, total, _("{time} left").format(time="0:00:00")))
        self.bar_width = max(0, min(30, self.columns - len(self.title) - longest - 3))

    @classmethod
    def on_terminal(cls, stream, count, title: str) -> "RowProgress | None":
        """A progress bar when `stream` is a terminal (the total is counted only then)."""
        try:
            live = stream.isatty()
        except (AttributeError, ValueError):
            live = False
        return cls(stream, count(), title) if live else None

    def rows(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        every, show = self.EVERY_ROWS, self._show
        done = 0
        show(0)
        for done, row in enumerate(rows, 1):
            yield row
            if done % every == 0:
                show(done)
        self._show(done, force=True, finishing=True)

    def clear(self) -> None:
        self._write("\r\x1b[K")

    def _show(self, done: int, force: bool = False, finishing: bool = False) -> None:
        now = time.monotonic()
        if not force and done and now - self.shown_at < self.SECONDS_BETWEEN_UPDATES:
            return
        self.shown_at = now
        total = max(self.total, done)
        if finishing:
            state = _("saving the file…")
        elif done:
            state = _("{time} left").format(time=_duration((now - self.started) / done * (total - done)))
        else:
            state = ""
        text = self._text(done, total, state)
        line = f"{self.title}{self._bar(done, total)} {text}"
        if len(line) > self.columns:
            line = f"{self._title_within(self.columns - len(text) - 1)} {text}".lstrip()
        self._write("\r\x1b[K" + line[:self.columns])

    def _title_within(self, room: int) -> str:
        """The title, cut with … to `room` characters: the figures and the time left matter more."""
        if len(self.title) <= room:
            return self.title
        return self.title[:room - 1] + "…" if room > 1 else ""

    def _bar(self, done: int, total: int) -> str:
        if self.bar_width < 5:
            return ""
        filled = self.bar_width * done // total if total else self.bar_width
        return f" [{self.bar_full * filled}{self.bar_empty * (self.bar_width - filled)}]"

    @staticmethod
    def _text(done: int, total: int, state: str) -> str:
        percent = f"{100 * done // total if total else 100:>3}%"
        counted = ngettext("{done}/{total} row", "{done}/{total} rows", total).format(
            done=f"{done:,}", total=f"{total:,}")
        return "  ".join(part for part in (percent, counted, state) if part)

    def _write(self, text: str) -> None:
        try:
            print(text, end="", file=self.stream, flush=True)
        except OSError:  # the terminal went away: the export goes on
            pass


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):  # not a real terminal (or a test's stand-in)
        return shutil.get_terminal_size().columns


def _speaks_utf8(stream) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding == "utf8"


def _duration(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
