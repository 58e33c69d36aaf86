"""What the two report menus share: choose a report of the registry, set its restrictions
(a filter bar built from the report's restrictions), then [Print] shows it in a page view
(the 80-column text of `crm report`, bars under a comparison) that sends it on to a
printer or a .txt / .html file, and [Sheet] writes its .xlsx in the background, with
progress and cancel."""
from __future__ import annotations

import functools
import threading
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Log, OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import N_, _, ngettext
from crm_tui.screens.list_screen import key_label
from crm_tui.screens.lookups import LOOKUPS
from crm_tui.services.errors import ValidationError
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.services.reports.output import PreparedReport, prepare, reports_of
from crm_tui.services.reports.restrictions import read_bar, restriction_filter
from crm_tui.widgets.chrome import CrmFooter, StatusLine
from crm_tui.widgets.dialogs import AskTextDialog, ChooseDialog, ConfirmDialog
from crm_tui.widgets.filter_bar import QUERY_KEY, FilterBar
from crm_tui.widgets.safe import clean_display, plain
from crm_tui.widgets.sheet_writer import (REPORT_FORMATS, SheetJob, SheetWords, SheetWriter, refuse_path,
                                          rows_exported)

PRINT_KEY, SHEET_KEY, CANCEL_SHEET_KEY = "f5", "f6", "f10"
PRINTER_KEY, FILE_KEY = "f5", "f2"
# Lines read ahead of what the page shows: the rest of a long report is read as it is scrolled to.
LINES_AHEAD = 1000
# Lines handed to the page at a time; the first screenful goes at once.
FIRST_BATCH, BATCH = 30, 500


def _button(key: str, label: str, button_id: str) -> Button:
    return Button(plain("{key} {label}".format(key=key_label(key), label=_(label))), id=button_id, compact=True)


class ReportScreen(Screen):
    """A menu's reports: the list, the chosen one's restrictions, [Print] and [Sheet]."""

    TITLE_LABEL = N_("Reports")
    GROUPS: tuple[str, ...] = ()

    BINDINGS = [
        # The filter bar's [F7 Query] shows the report too.
        Binding(QUERY_KEY, "query", N_("Query"), id="report_query",
                tooltip=N_("Read the list with the filters as they are")),
        Binding(PRINT_KEY, "show_report", N_("Print"), id="report_print",
                tooltip=N_("Show the report on screen, to print it or save it as a file")),
        Binding(SHEET_KEY, "sheet", N_("Sheet"), id="report_sheet",
                tooltip=N_("Write the report to an Excel sheet")),
        Binding(CANCEL_SHEET_KEY, "cancel_sheet", N_("Cancel sheet"), id="report_cancel_sheet",
                tooltip=N_("Stop writing the sheet")),
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reports = reports_of(*self.GROUPS)
        self.report = self.reports[0]

    def compose(self) -> ComposeResult:
        yield StatusLine(_(self.TITLE_LABEL))
        with Vertical(classes="report-screen"):
            yield OptionList(*[Option(plain(_(report.title), one_line=True), id=report.name)
                               for report in self.reports], id="report-list")
            yield Static(plain(self._about(self.report)), id="report-about", classes="report-about")
            yield FilterBar(restriction_filter(self.report), LOOKUPS, id="filter-bar")
            yield SheetWriter(SheetWords(wrong_format=REPORT_FORMATS), changed=self._sheet_buttons, id="export-row")
            with Horizontal(classes="buttons"):
                yield _button(PRINT_KEY, N_("Print"), "print")
                yield _button(SHEET_KEY, N_("Sheet"), "sheet")
                yield _button(CANCEL_SHEET_KEY, N_("Cancel sheet"), "cancel-sheet")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#cancel-sheet", Button).disabled = True
        self.query_one("#report-list", OptionList).focus()

    @staticmethod
    def _about(report) -> str:
        note = _(report.note) if report.note else ""
        default = _("Without dates: this month.") if report.month_by_default else ""
        return " ".join(part for part in (note, default) if part)

    # --- choosing the report ------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#report-list")
    async def _report_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        chosen = self.reports[event.option_index]
        if chosen is self.report:
            return
        self.report = chosen
        self.query_one("#report-about", Static).update(plain(self._about(chosen)))
        old_bar = self.query_one(FilterBar)
        await old_bar.remove()
        await self.query_one(".report-screen").mount(
            FilterBar(restriction_filter(chosen), LOOKUPS, id="filter-bar"), after="#report-about")

    @on(OptionList.OptionSelected, "#report-list")
    def _report_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one(FilterBar).focus_first()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_sheet":
            return True if self.sheet_writer.writing else None
        return True

    # --- the restrictions -----------------------------------------------------------------

    def _filters(self):
        """The report's filter as the bar holds it; None (the refusal shown at its field)
        when something typed is not a restriction."""
        bar = self.query_one(FilterBar)
        if bar.filter_class is not restriction_filter(self.report):
            return None  # the chosen report's restrictions are still being put in place
        try:
            return read_bar(self.report, bar.read())
        except ValidationError as error:
            bar.show_error(error.message, error.field)
            self.app.notify(error.message, severity="error", markup=False)
            return None

    @on(FilterBar.Applied)
    def _restrictions_applied(self, event: FilterBar.Applied) -> None:
        # Enter in a restriction (or F7) shows the report, as [Print] does.
        event.stop()
        self.action_show_report()

    # --- [Print]: the page view --------------------------------------------------------

    def action_query(self) -> None:
        # A binding of its own action: the footer shows one key per action.
        self.action_show_report()

    def action_show_report(self) -> None:
        filters = self._filters()
        if filters is not None:
            self.app.push_screen(ReportPageScreen(self.report, filters), self._page_closed)

    def _page_closed(self, refusal: tuple[str, str | None] | None) -> None:
        # The page could not be read (an order that does not exist): said at the restriction.
        if refusal is not None:
            message, field = refusal
            self.query_one(FilterBar).show_error(message, field)

    # --- [Sheet] -----------------------------------------------------------------------------

    @property
    def sheet_writer(self) -> SheetWriter:
        return self.query_one(SheetWriter)

    def action_sheet(self) -> None:
        if self.sheet_writer.busy():
            return
        filters = self._filters()
        if filters is None:
            return
        report = self.report
        self.sheet_writer.ask("~/" + report.name + ".xlsx", lambda target: self._start_sheet(target, report, filters))

    def _start_sheet(self, path: Path, report, filters) -> None:
        # Prepared in the worker, once: describing the restrictions may read the database.
        prepared = functools.cache(lambda: prepare(report, filters))
        self.sheet_writer.start(path, SheetJob(count=lambda: prepared().count(),
                                               write=lambda *args: prepared().write_sheet(*args),
                                               written=sheet_written))

    def _sheet_buttons(self) -> None:
        writing = self.sheet_writer.writing
        self.query_one("#cancel-sheet", Button).disabled = not writing
        self.query_one("#sheet", Button).disabled = writing
        self.refresh_bindings()

    def action_cancel_sheet(self) -> None:
        self.sheet_writer.stop()

    def _progress(self, written: int, total: int | None) -> None:
        self.sheet_writer.show_progress(written, total)

    # --- buttons, back ---------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"print": self.action_show_report, "sheet": self.action_sheet,
                   "cancel-sheet": self.action_cancel_sheet}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def action_back(self) -> None:
        self.dismiss()


def sheet_written(count: int, path: Path) -> str:
    if count == 0:
        return nothing_to_show() + " " + rows_exported(count, path)
    return rows_exported(count, path)


def nothing_to_show() -> str:
    from crm_tui.export.report import nothing_to_show as said

    return said()


class ReportPageScreen(Screen[tuple[str, str | None] | None]):
    """The report as pages of 80-column text, read as it is scrolled to; from here it goes
    to a printer (lp) or to a file."""

    BINDINGS = [
        Binding(PRINTER_KEY, "to_printer", N_("Printer"), id="report_to_printer",
                tooltip=N_("Send the report to a printer (lp)")),
        Binding(FILE_KEY, "to_file", N_("File"), id="report_to_file",
                tooltip=N_("Save the report as a .txt or .html file")),
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self, report, filters) -> None:
        super().__init__()
        self.report = report
        self.filters = filters
        self.prepared: PreparedReport | None = None
        self._shown = 0
        self._complete = False
        self._wanted = LINES_AHEAD
        self._more = threading.Event()
        self._closing = False

    def compose(self) -> ComposeResult:
        yield StatusLine(_(self.report.title))
        with Vertical(classes="report-page"):
            yield Log(id="page", highlight=False, auto_scroll=False)
            with Horizontal(classes="buttons"):
                yield _button(PRINTER_KEY, N_("Printer"), "to-printer")
                yield _button(FILE_KEY, N_("File"), "to-file")
                yield Static(id="page-position", classes="page-position")
        yield CrmFooter()

    @property
    def page(self) -> Log:
        return self.query_one("#page", Log)

    def on_mount(self) -> None:
        self.page.focus()
        self._read_page()
        self.set_interval(0.2, self._follow_scroll, name="report page")

    def on_unmount(self) -> None:
        self._closing = True
        self._more.set()

    # --- reading the page as it is scrolled to ------------------------------------------------

    @work(thread=True, exclusive=True, group="report-page")
    def _read_page(self) -> None:
        try:
            prepared = prepare(self.report, self.filters)
            self.prepared = prepared
            batch: list[str] = []
            limit = FIRST_BATCH
            for line in prepared.text_lines():
                # The page drops an empty string; a line break alone is its blank line.
                batch.append(clean_display(line, one_line=True) or "\n")
                if len(batch) >= limit:
                    self._hand_over(batch)
                    batch, limit = [], BATCH
                    if not self._wait_for_demand():
                        return
            self._hand_over(batch, complete=True)
        except FAILURES as error:
            field = getattr(error, "field", None)
            self.app.call_from_thread(self._unreadable, user_message(error), field)

    def _hand_over(self, lines: list[str], complete: bool = False) -> None:
        self._shown += len(lines)
        self.app.call_from_thread(self._add_lines, lines, complete)

    def _wait_for_demand(self) -> bool:
        """Wait until the reader scrolls near the end of what was read; False when the page closed."""
        while self._shown >= self._wanted and not self._closing:
            self._more.wait(0.5)
            self._more.clear()
        return not self._closing

    def _add_lines(self, lines: list[str], complete: bool) -> None:
        self.page.write_lines(lines, scroll_end=False)
        self._complete = complete
        self._show_position()

    def _unreadable(self, message: str, field: str | None) -> None:
        self.app.notify(message, severity="error", markup=False)
        self.dismiss((message, "order_number" if field in ("order", "order_number", "key") else field))

    def _follow_scroll(self) -> None:
        page = self.page
        if not self._complete and page.scroll_offset.y + 3 * page.size.height >= page.line_count:
            self._wanted = page.line_count + LINES_AHEAD
            self._more.set()
        self._show_position()

    def _show_position(self) -> None:
        page = self.page
        first = min(page.line_count, page.scroll_offset.y + 1)
        last = min(page.line_count, page.scroll_offset.y + page.size.height)
        of = str(page.line_count) if self._complete else f"{page.line_count}+"
        self.query_one("#page-position", Static).update(plain(_("Lines {first}–{last} of {total}").format(
            first=first, last=last, total=of)))

    # --- to the printer ---------------------------------------------------------------------------

    def action_to_printer(self) -> None:
        self._find_printers()

    @work(thread=True, exclusive=True, group="report-printer")
    def _find_printers(self) -> None:
        from crm_tui.export.printing import PrintError, available_printers

        try:
            names, default = available_printers()
        except PrintError as error:
            self.app.call_from_thread(self.app.notify, str(error), severity="error", markup=False, timeout=10)
            return
        self.app.call_from_thread(self._choose_printer, names, default)

    def _choose_printer(self, names: list[str], default: str | None) -> None:
        def chosen(printer: str | None) -> None:
            if printer:
                self._print(printer)

        self.app.push_screen(ChooseDialog(_("Print on which printer?"), names, default), chosen)

    @work(thread=True, exclusive=True, group="report-printer")
    def _print(self, printer: str) -> None:
        from crm_tui.export.printing import PrintError, send_to_printer

        try:
            prepared = self.prepared or prepare(self.report, self.filters)
            send_to_printer(printer, prepared.title, prepared.text_lines())
        except PrintError as error:
            self.app.call_from_thread(self.app.notify, str(error), severity="error", markup=False, timeout=10)
            return
        except FAILURES as error:
            self.app.call_from_thread(self.app.notify, user_message(error), severity="error", markup=False)
            return
        self.app.call_from_thread(self.app.notify, _("Sent to the printer {name}.").format(name=printer),
                                  markup=False)

    # --- to a file ----------------------------------------------------------------------------------

    def action_to_file(self) -> None:
        formats = tuple(suffix for suffix in self.report.formats if suffix != ".xlsx")
        question = _("Save the report as ({formats}):").format(formats=", ".join(formats))

        def answered(text: str | None) -> None:
            if text:
                self._check_file(Path(text).expanduser(), formats)

        self.app.push_screen(AskTextDialog(question, "~/" + self.report.name + ".txt"), answered)

    def _check_file(self, path: Path, formats: tuple[str, ...]) -> None:
        refusal = refuse_path(path, formats)
        if refusal:
            self.app.notify(refusal, severity="error", markup=False)
            return
        if not path.exists():
            self._write_file(path)
            return

        def replace(answer: bool | None) -> None:
            if answer:
                self._write_file(path)

        self.app.push_screen(ConfirmDialog(_("{path} already exists. Replace it?").format(path=path)), replace)

    @work(thread=True, exclusive=True, group="report-file")
    def _write_file(self, path: Path) -> None:
        try:
            prepared = self.prepared or prepare(self.report, self.filters)
            count = prepared.write_file(path)
        except OSError as error:
            self.app.call_from_thread(self.app.notify, _("Cannot write {path}: {reason}").format(
                path=path, reason=error.strerror or error), severity="error", markup=False)
            return
        except FAILURES as error:
            self.app.call_from_thread(self.app.notify, user_message(error), severity="error", markup=False)
            return
        message = ngettext("{count} row written to {path}", "{count} rows written to {path}", count).format(
            count=count, path=path)
        self.app.call_from_thread(self.app.notify, message, markup=False, timeout=10)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"to-printer": self.action_to_printer, "to-file": self.action_to_file}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def action_back(self) -> None:
        self.dismiss(None)
