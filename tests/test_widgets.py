"""The reusable widgets on their own: paged table, form, dates, look-up, dialogs."""
from __future__ import annotations

import datetime as dt
import html
import threading
from dataclasses import dataclass

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from crm_tui.services.base import Page, PageRequest
from crm_tui.services.errors import ConflictError, ValidationError
from crm_tui.widgets.dates import CalendarPicker, DateInput
from crm_tui.widgets.dialogs import ConfirmDialog
from crm_tui.widgets.form import BOOL, DATE, LOOKUP, FieldSpec, Form
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.record_table import MAX_PAGES, ColumnSpec, RecordTable
from test_app_support import HOSTILE, settle, type_text


@dataclass(frozen=True)
class Row:
    id: int
    name: str


class NumberList:
    """A keyset-paged list of `count` rows, counting what it is asked for."""

    def __init__(self, count: int) -> None:
        self.rows = [Row(i, f"Row {i}") for i in range(1, count + 1)]
        self.requests: list[PageRequest] = []

    def __call__(self, request: PageRequest) -> Page:
        self.requests.append(request)
        limit = request.limit
        if request.last:
            chosen = self.rows[-limit:]
        elif request.before is not None:
            earlier = [r for r in self.rows if r.id < request.before[0]]
            chosen = earlier[-limit:]
        elif request.after is not None:
            chosen = [r for r in self.rows if r.id > request.after[0]][:limit]
        else:
            chosen = self.rows[:limit]
        has_before = bool(chosen) and chosen[0].id > 1
        has_after = bool(chosen) and chosen[-1].id < len(self.rows)
        return Page(list(chosen), [(r.id,) for r in chosen], has_before, has_after)


class TableApp(App):
    def __init__(self, fetch) -> None:
        super().__init__()
        self.fetch = fetch
        self.selected = []

    def compose(self) -> ComposeResult:
        yield RecordTable([ColumnSpec("Name", lambda r: r.name)], self.fetch, page_size=50)

    def on_record_table_record_selected(self, event: RecordTable.RecordSelected) -> None:
        self.selected.append(event.record)


def ids(table: RecordTable) -> list[int]:
    return [r.id for r in table.records]


async def test_the_table_reads_one_page_at_a_time_and_keeps_at_most_three():
    fetch = NumberList(1_000)
    app = TableApp(fetch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(RecordTable)
        table.focus()
        assert ids(table)[0] == 1 and len(table.records) == 50
        assert table.position == "rows 1–50"
        table.move_cursor(row=49)
        await pilot.press("down")
        await settle(pilot)
        assert table.current_record.id == 51
        assert table.position == "rows 1–100"
        for _ in range(6):
            await pilot.press("pagedown")
            await settle(pilot)
        await pilot.press("end")  # jump to the last page
        await settle(pilot)
        assert fetch.requests[-1].last
        assert ids(table)[-1] == 1_000 and table.current_record.id == 1_000
        assert table.position == "last 50 rows"
        table.move_cursor(row=0)
        await pilot.press("up")  # past the first row: the page before
        await settle(pilot)
        assert table.current_record.id == 950
        assert table.position == "last 100 rows"
        for _ in range(10):
            table.move_cursor(row=0)
            await pilot.press("up")
            await settle(pilot)
        assert len(table.records) <= MAX_PAGES * 50
        assert table.current_record.id == 450
        assert table.position == "rows 451–600 from the end"
        await pilot.press("home")
        await settle(pilot)
        assert ids(table)[:2] == [1, 2] and table.position == "rows 1–50"
        await pilot.press("enter")
        await settle(pilot)
        assert app.selected == [Row(1, "Row 1")]


async def test_the_table_shows_text_literally():
    class OneRow(NumberList):
        def __init__(self):
            super().__init__(0)
            self.rows = [Row(1, HOSTILE), Row(2, "line\nbreak\x1b[31m")]

    app = TableApp(OneRow())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(RecordTable)
        assert table.get_row_at(0)[0].plain == HOSTILE
        assert "\x1b" not in table.get_row_at(1)[0].plain and "\n" not in table.get_row_at(1)[0].plain


async def test_growing_columns_share_a_wide_terminal_and_give_it_back_when_narrow():
    columns = [ColumnSpec("Id", lambda r: r.id, 5), ColumnSpec("Name", lambda r: r.name, 20, grow=True),
               ColumnSpec("Copy", lambda r: r.name, 10, grow=True)]

    class WideApp(App):
        def compose(self) -> ComposeResult:
            yield RecordTable(columns, NumberList(200), page_size=50)

    def widths(table) -> list[int]:
        return table.column_widths

    app = WideApp()
    async with app.run_test(size=(120, 20)) as pilot:
        await settle(pilot)
        table = app.query_one(RecordTable)
        wide = widths(table)
        assert wide[0] == 5 and wide[1] > 2 * wide[2] > 20  # shared by their widths
        rendered = sum(width + 2 * table.cell_padding for width in table.column_widths)
        assert rendered == table.scrollable_content_region.width  # all of it, no horizontal scroll
        assert table.max_scroll_x == 0
        assert table.get_row_at(0)[1].plain == "Row 1" and table.row_count == 50
        await pilot.resize_terminal(40, 20)
        await settle(pilot)
        assert widths(table) == [5, 20, 10]
        assert table.cursor_row == 0 and table.row_count == 50


class FormApp(App):
    def __init__(self, specs, save) -> None:
        super().__init__()
        self.specs = specs
        self.save = save
        self.saved = []

    def compose(self) -> ComposeResult:
        yield Form(self.specs, self.save)

    def on_form_saved(self, event: Form.Saved) -> None:
        self.saved.append(event.result)


SPECS = [
    FieldSpec("name", "Name", required=True, max_length=5),
    FieldSpec("when", "When", DATE),
    FieldSpec("done", "Done", BOOL),
]


async def test_the_form_validates_as_you_type_and_tracks_changes():
    app = FormApp(SPECS, lambda values: values)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        assert not form.dirty
        form.widget_for("name").focus()
        await type_text(pilot, "abcdef")
        await pilot.pause()
        assert form.errors()["name"] == "Name can have at most 5 characters (6 typed)."
        assert form.dirty
        await pilot.press("backspace")
        await pilot.pause()
        assert "name" not in form.errors()
        form.widget_for("when").focus()
        await type_text(pilot, "31/3")
        await pilot.pause()
        assert "when" not in form.errors()  # half a date is not an error yet
        await type_text(pilot, "1/2026")
        await pilot.pause()
        assert "is not a valid date" in form.errors()["when"]
        await pilot.press("backspace")
        await pilot.pause()
        assert "when" not in form.errors()
        await pilot.press("shift+tab")  # leaving it unfinished: now it is wrong
        await pilot.pause()
        assert "'31/31/202' is not a valid date" in form.errors()["when"]
        form.widget_for("when").focus()
        await pilot.press("end")
        await type_text(pilot, "6")
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "2026-12-31")
        await pilot.press("f8")  # no binding here: call save as the screens do
        form.save()
        await settle(pilot)
        assert app.saved == [{"name": "abcde", "when": dt.date(2026, 12, 31), "done": False}]
        assert not form.dirty


async def test_the_form_shows_service_errors_where_they_belong():
    def refuse(values):
        if values["name"] == "dup":
            raise ValidationError("That name exists.", "name")
        raise ConflictError("Someone changed it [bold]first[/].")

    app = FormApp(SPECS, refuse)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        form.widget_for("name").focus()
        await type_text(pilot, "dup")
        form.save()
        await settle(pilot)
        assert form.errors() == {"name": "That name exists."}
        await pilot.press("backspace")
        form.save()
        await settle(pilot)
        assert str(form.query_one("#form-error", Static).render()) == "✗ Someone changed it [bold]first[/]."
        assert app.saved == []


async def test_a_slow_save_leaves_the_screen_working_and_says_it_is_waiting():
    release = threading.Event()

    def slow(values):  # as when another user's change holds the database
        assert release.wait(10)
        return values

    app = FormApp(SPECS, slow)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        form.SLOW_SAVE_SECONDS = 0.1
        form.widget_for("name").focus()
        await type_text(pilot, "ab")
        form.save()
        await pilot.pause(0.3)
        assert form.saving and app.saved == []
        assert "waiting for another user's change" in [n.message for n in app._notifications][-1]
        form.save()  # a second F8 while the first is on its way does nothing
        await type_text(pilot, "c")  # the screen still takes keys
        assert form.widget_for("name").value == "abc"
        release.set()
        await settle(pilot)
        assert app.saved == [{"name": "ab", "when": None, "done": False}]
        assert not form.saving and form.dirty  # "c" came after the values were taken


async def test_the_calendar_picks_a_date_with_the_keyboard():
    class DateApp(App):
        def compose(self) -> ComposeResult:
            yield DateInput(id="day")

    app = DateApp()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one(DateInput)
        field.value = "2026-11-27"
        field.focus()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, CalendarPicker)
        await pilot.press("right", "down", "pagedown", "enter")
        await pilot.pause()
        assert field.value == "2027-01-05"


async def test_the_lookup_keeps_the_id_of_the_record_chosen():
    people = [Row(7, "Ana [b]López"), Row(9, "Andrés")]

    class LookupApp(App):
        def compose(self) -> ComposeResult:
            yield LookupField(lambda text, limit: [p for p in people if text.lower() in p.name.lower()],
                              id="who")

    app = LookupApp()
    async with app.run_test(size=(80, 24)) as pilot:
        lookup = app.query_one(LookupField)
        lookup.focus()
        await type_text(pilot, "an")
        await settle(pilot)
        assert lookup.options.option_count == 2
        assert str(lookup.options.get_option_at_index(0).prompt) == "Ana [b]López"
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert lookup.value == 9 and lookup.text == "Andrés"
        await pilot.press("backspace")
        await pilot.pause()
        assert lookup.value is None


async def test_tab_in_a_lookup_takes_the_exact_key_or_the_only_match_and_moves_on():
    @dataclass
    class Keyed:
        id: int
        key: int
        name: str

    clients = [Keyed(1, 1, "Café Colibrí"), Keyed(2, 12, "Cámaras del Norte"), Keyed(3, 13, "Abarrotes 1")]

    def find(text, limit):
        return [c for c in clients if text in str(c.key) or text.lower() in c.name.lower()][:limit]

    class LookupApp(App):
        def compose(self) -> ComposeResult:
            yield LookupField(find, id="client")
            yield Input(id="after")

    app = LookupApp()
    async with app.run_test(size=(80, 24)) as pilot:
        lookup = app.query_one(LookupField)
        lookup.focus()
        await pilot.press("1", "tab")  # three matches, one of them key 1 exactly
        await settle(pilot)
        assert lookup.value == 1 and lookup.text == "1 Café Colibrí"
        assert app.focused.id == "after"

        lookup.set_choice(None)
        lookup.focus()
        await type_text(pilot, "norte")
        await pilot.press("tab")  # the only match
        await settle(pilot)
        assert lookup.value == 2 and app.focused.id == "after"

        lookup.set_choice(None)
        lookup.focus()
        await pilot.press("c", "tab")  # several matches, none exact: on to the next field all the same
        await settle(pilot)
        assert lookup.value is None and lookup.text == "c"
        assert app.focused.id == "after"
        hint = lookup.query_one(".lookup-hint", Static)
        assert hint.display and str(hint.render()) == "2 matches: choose one with ↓"
        assert lookup.options.display and lookup.options.option_count == 2

        lookup.focus()
        await pilot.press("down", "down", "enter")  # the matches are still chosen from with ↓
        await settle(pilot)
        assert lookup.value == 2 and not hint.display and not lookup.options.display


async def test_an_unchosen_lookup_is_an_error_until_a_record_is_chosen_or_the_text_cleared():
    people = [Row(7, "Ana López"), Row(9, "Andrés")]
    specs = [FieldSpec("who", "Contact in charge", LOOKUP,
                       lookup=lambda text, limit: [p for p in people if text.lower() in p.name.lower()])]
    app = FormApp(specs, lambda values: values)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        form.widget_for("who").focus()
        await type_text(pilot, "an")
        await settle(pilot)
        form.save()
        await settle(pilot)
        assert form.errors()["who"] == "Contact in charge: 2 matches: choose one with ↓"
        assert app.saved == []
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert "who" not in form.errors()
        form.save()
        await settle(pilot)
        assert app.saved == [{"who": None}]


async def test_the_confirm_dialog_shows_the_question_literally():
    class DialogApp(App):
        def on_mount(self) -> None:
            self.push_screen(ConfirmDialog(f"Delete «{HOSTILE}»?"), self.answered)
            self.answer = None

        def answered(self, value):
            self.answer = value

    app = DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        question = app.screen.query_one("#question", Static)
        assert str(question.render()) == f"Delete «{HOSTILE}»?"
        await pilot.click("#question")
        await pilot.pause()
        assert app.is_running
        await pilot.press("y")
        await pilot.pause()
        assert app.answer is True


async def test_a_multi_line_paste_into_a_one_line_field_keeps_every_line():
    specs = [FieldSpec("address", "Address"), FieldSpec("when", "When", DATE)]
    app = FormApp(specs, lambda values: values)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(Form)
        form.widget_for("address").focus()
        await pilot.pause()
        app.post_message(events.Paste("Av. Juárez 12\r\nCol. Centro\n\nCP 06000\n"))
        await settle(pilot)
        assert form.values()["address"] == "Av. Juárez 12 Col. Centro CP 06000"
        form.widget_for("when").focus()
        await pilot.pause()
        app.post_message(events.Paste("2026-12-01\n"))
        await settle(pilot)
        assert form.values()["when"] == dt.date(2026, 12, 1)


def drawn(app) -> str:
    """The text of the screen as drawn."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def row_offset(table: RecordTable, row: int) -> tuple[int, int]:
    """Where row `row` (0-based, none scrolled away) is, from the table's corner: past its
    border, if any, and its header."""
    content = table.content_region
    return content.x - table.region.x + 2, content.y - table.region.y + table.header_height + row


async def test_the_table_lays_out_only_the_rows_in_view():
    """A page of 500 rows costs the rows on screen: the others are read, never laid out."""
    laid_out: list[int] = []

    class CountingApp(App):
        def compose(self) -> ComposeResult:
            yield RecordTable([ColumnSpec("Name", lambda r: (laid_out.append(r.id), r.name)[1], 20)],
                              NumberList(2_000), page_size=500)

    app = CountingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(RecordTable)
        assert table.row_count == 500
        in_view = table.visible_row_count()
        assert sorted(set(laid_out)) == list(range(1, in_view + 1))
        table.focus()
        await pilot.press("end")
        await settle(pilot)
        assert table.current_record.id == 2_000
        assert len(set(laid_out)) <= 2 * in_view + 2  # the first screen and the last one
        assert "Row 2000" in drawn(app)


async def test_a_click_chooses_a_row_and_a_double_click_opens_it():
    app = TableApp(NumberList(30))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(RecordTable)
        await pilot.click(RecordTable, offset=row_offset(table, 3))
        await settle(pilot)
        assert table.current_record.id == 4 and app.selected == []
        await pilot.click(RecordTable, offset=row_offset(table, 6), times=2)
        await settle(pilot)
        assert table.current_record.id == 7
        assert app.selected == [Row(7, "Row 7")]
        await pilot.click(RecordTable, offset=row_offset(table, 6))  # a click on the chosen row opens it too
        await settle(pilot)
        assert app.selected == [Row(7, "Row 7"), Row(7, "Row 7")]


async def test_rows_wider_than_the_table_scroll_sideways_under_a_fixed_header():
    columns = [ColumnSpec(f"Column {index}", lambda r, index=index: f"{r.name} in {index}", 14) for index in range(8)]

    class WideRows(App):
        def compose(self) -> ComposeResult:
            yield RecordTable(columns, NumberList(100), page_size=50)

    app = WideRows()
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(RecordTable)
        table.focus()
        for _ in range(7):
            await pilot.press("right")
        await settle(pilot)
        screen = drawn(app)
        assert "Column 7" in screen and "Row 1 in 7" in screen
        for _ in range(30):
            await pilot.press("down")
        await settle(pilot)
        screen = drawn(app)
        assert table.current_record.id == 31
        assert "Column 7" in screen and "Row 31 in 7" in screen and "Row 1 in 7" not in screen
