"""`crm report`: any report of the Reports menus to the screen, a file or the printer.

The screen gets the 80-column text; -o writes .txt, .html, .xlsx (or .ics for the
appointments), chosen by the file's extension; --print sends the text to `lp`. A file is
written beside its target and renamed at the end: Ctrl+C leaves no half-written file.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Iterable, Iterator

from crm_tui.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    open_existing,
    printable,
    say,
    subparser,
)
from crm_tui.cli.export import RowProgress, _hang_up_as_interrupt
from crm_tui.i18n import _, ngettext

OPTION_OF_RESTRICTION = {"dates": "--from/--to", "user": "--user", "client": "--client", "contact": "--contact",
                         "project": "--project", "status": "--status", "day": "--day", "order": "--order"}
METAVAR_OF_RESTRICTION = {"dates": "", "user": "USER", "client": "CLIENT", "contact": "CONTACT",
                          "project": "PROJECT", "status": "STATUS", "day": "DATE", "order": "NUMBER"}
TEXT_FORMATS = (".txt", ".html")


def register(commands) -> None:
    report = subparser(commands, "report", _("show, save or print a report"), command_report,
                       acting_user=False)
    report.add_argument("name", nargs="?", metavar=_("REPORT"), help=_("which report (crm report --list)"))
    report.add_argument("--list", action="store_true", help=_("list the reports and their restrictions"))
    report.add_argument("-o", "--output", metavar=_("FILE"),
                        help=_("write it to a file: .txt, .html, .xlsx (or .ics for the appointments)"))
    report.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    report.add_argument("--print", dest="to_printer", action="store_true", help=_("send it to the printer (lp)"))
    report.add_argument("--printer", metavar=_("NAME"), help=_("which printer (default: the system's)"))
    report.add_argument("--from", dest="date_from", metavar=_("DATE"), help=_("from this day"))
    report.add_argument("--to", dest="date_to", metavar=_("DATE"), help=_("up to this day, included"))
    report.add_argument("--day", metavar=_("DATE"), help=_("the day (appointments; default: today)"))
    report.add_argument("--user", dest="filter_user", metavar=_("USER"),
                        help=_("only this user (login or name): technician, agent, author or assignee"))
    report.add_argument("--client", metavar=_("CLIENT"), help=_("only this client (key or name)"))
    report.add_argument("--contact", metavar=_("CONTACT"), help=_("only this contact (key or name)"))
    report.add_argument("--project", metavar=_("PROJECT"), help=_("only this project (key or name)"))
    report.add_argument("--status", metavar=_("STATUS"), help=_("only this status, in either language"))
    report.add_argument("--order", metavar=_("NUMBER"), help=_("the service order (work sheet)"))


def command_report(args: argparse.Namespace) -> int:
    from crm_tui.services.reports import all_reports, get_report

    if args.list:
        for report in all_reports():
            say(list_line(report))
        return EXIT_OK
    if not args.name:
        raise CliError(_("Say which report: crm report NAME (crm report --list shows them)."), EXIT_USAGE)
    if args.printer and not args.to_printer:
        raise CliError(_("--printer goes with --print."), EXIT_USAGE)
    if args.output and args.to_printer:
        raise CliError(_("Choose one: -o FILE or --print."), EXIT_USAGE)
    report = get_report(args.name)
    if report.sheet_only and not args.output:
        raise CliError(_("{name} is a whole list, written as a sheet: crm report {name} -o FILE.xlsx").format(
            name=report.name), EXIT_USAGE)
    output = _output_file(args.output, args.force, report.formats) if args.output else None
    open_existing(args, read_only=True)
    filters = _filters(args, report)
    from crm_tui.services.reports import describe

    restrictions = describe(report, filters)
    rows = _checked_rows(report.rows(filters))
    chart = (lambda: report.chart(filters)) if report.chart is not None else None
    if output is not None:
        return _to_file(output, report, filters, rows)
    from crm_tui.export.report import text_lines

    lines = text_lines(report, restrictions, rows, chart)
    if args.to_printer:
        return _to_printer(args.printer, _(report.title), lines)
    for line in lines:
        say(line)
    return EXIT_OK


def list_line(report) -> str:
    """One report: its name, its restrictions as options, its title."""
    options = []
    for name in report.restrictions:
        option = OPTION_OF_RESTRICTION[name]
        if name == "dates":
            shown = f"--from {_('DATE')} --to {_('DATE')}"
        else:
            shown = f"{option} {_(METAVAR_OF_RESTRICTION[name])}"
        options.append(shown if name in report.required else f"[{shown}]")
    default = "  " + _("(dates: this month unless given)") if report.month_by_default else ""
    if report.sheet_only:
        default = "  " + _("(a sheet: -o FILE.xlsx)")
    return f"{report.name:<22}{' '.join(options)}  — {_(report.title)}{default}"


def _filters(args: argparse.Namespace, report):
    from crm_tui.services.reports.restrictions import TypedRestrictions, read_restrictions

    typed = TypedRestrictions(date_from=args.date_from, date_to=args.date_to, day=args.day, user=args.filter_user,
                              client=args.client, contact=args.contact, project=args.project, status=args.status,
                              order=args.order)
    return read_restrictions(report, typed)


def _checked_rows(rows: Iterable[tuple]) -> Iterator[tuple]:
    """The same rows, the first one read now: a missing order fails before any file is made."""
    iterator = iter(rows)
    first = next(iterator, None)
    return iter(()) if first is None else itertools.chain((first,), iterator)


def _output_file(name: str, replace: bool, formats: tuple[str, ...]) -> Path:
    path = Path(name).expanduser()
    if path.suffix.lower() not in formats:
        raise CliError(_("This report is written as {formats}, not {path}.").format(
            formats=", ".join(formats), path=path.name), EXIT_USAGE)
    if path.is_dir():
        raise CliError(_("{path} is a folder: give a file name.").format(path=path), EXIT_USAGE)
    if not path.parent.is_dir():
        raise CliError(_("The folder {path} does not exist.").format(path=path.parent))
    if path.exists() and not replace:
        raise CliError(_("{path} already exists: choose another name or use --force.").format(path=path))
    return path


def _to_file(output: Path, report, filters, rows) -> int:
    suffix = output.suffix.lower()
    replacing = output.exists()
    try:
        with _hang_up_as_interrupt():
            if suffix == ".xlsx":
                count = _write_sheet(output, report, filters, rows)
            else:
                from crm_tui.services.reports.output import prepare

                count = prepare(report, filters).write_file(output, rows)
    except KeyboardInterrupt as exc:
        message = (_("Report interrupted: {path} was left as it was.") if replacing
                   else _("Report interrupted: {path} was not written."))
        raise CliError(message.format(path=output), EXIT_INTERRUPTED) from exc
    if count == 0:
        from crm_tui.export.report import nothing_to_show

        say(nothing_to_show())
    say(ngettext("{count} row written to {path}", "{count} rows written to {path}", count).format(
        count=count, path=output))
    return EXIT_OK


def _write_sheet(output: Path, report, filters, rows) -> int:
    from crm_tui.export.report import write_report_xlsx
    from crm_tui.export.xlsx import ExportError

    progress = None
    if report.count is not None:
        progress = RowProgress.on_terminal(sys.stderr, lambda: report.count(filters), _(report.title))
    if progress is not None:
        rows = progress.rows(rows)
    try:
        return write_report_xlsx(str(output), report, rows)
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    finally:
        if progress is not None:
            progress.clear()


# --- the printer ----------------------------------------------------------------------


def _to_printer(requested: str | None, title: str, lines: Iterable[str]) -> int:
    from crm_tui.export.printing import PrintError, choose_printer, send_to_printer

    try:
        printer = choose_printer(requested)
        send_to_printer(printer, title, (printable(line) for line in lines))
    except PrintError as exc:
        raise CliError(str(exc), EXIT_USAGE if exc.usage else EXIT_FAILURE) from exc
    say(_("Sent to the printer {name}.").format(name=printer))
    return EXIT_OK
