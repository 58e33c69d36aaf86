"""Hostile input, by property: markup, formulas, escape sequences, right-to-left and wide
characters, 100,000-character texts, impossible dates and numbers, through every service's
add and modify, a headless render and a form. See tests/hostile.py for the values and the rule."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import (
    AREA_NAMES,
    ShownValues,
    hostile_texts,
    hostile_writes,
    make_world,
    raw_controls,
    terminal_output,
    try_write,
)
from crm_tui.db.models import Client
from crm_tui.services.base import clean_line
from crm_tui.widgets.safe import SafeInput, clean_display
from test_app_support import SIZE, make_app, open_item, settle, ui_admin, ui_db  # noqa: F401

ON_POSTGRES = "postgres"
# Each area gets this many examples on SQLite; PostgreSQL (slower, and the same code) fewer.
SQLITE_EXAMPLES = int(os.environ.get("CRM_HOSTILE_EXAMPLES", "30"))
POSTGRES_EXAMPLES = 8


def service_settings(examples: int):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


@pytest.fixture
def world(db, admin, agent):
    return make_world(admin, agent)


@pytest.mark.parametrize("area", AREA_NAMES)
def test_every_service_refuses_a_hostile_value_clearly_or_stores_it_as_typed(world, db_url, area):
    examples = POSTGRES_EXAMPLES if db_url.startswith(ON_POSTGRES) else SQLITE_EXAMPLES

    @service_settings(examples)
    @given(write=hostile_writes([area]))
    def check(write):
        try_write(world, *write)  # raises Crash, with what happened, for a crash

    check()


# --- on the screen ------------------------------------------------------------------------


@settings(max_examples=5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(values=st.lists(hostile_texts(), min_size=1, max_size=3))
async def test_a_hostile_value_on_screen_never_reaches_the_terminal_raw(values):
    app = ShownValues()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for slot, value in enumerate(values):
            app.show(value, slot)
            await pilot.pause()
            output = terminal_output(app)
            assert raw_controls(output) == [], repr(value[:80])
            assert "\x1b]" not in output, "an operating-system command (OSC) reached the terminal"
            visible = clean_display(value, one_line=True).strip()[:5]
            if visible and visible.isprintable() and visible.isascii():
                assert visible in app.query_one(f"#field{slot}", SafeInput).value


# --- through a form ---------------------------------------------------------------------------


@settings(max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(name=hostile_texts())
async def test_a_hostile_name_pasted_into_the_client_form_is_refused_or_saved_as_shown(ui_admin, name):
    from textual import events

    Client.delete().execute()
    app = make_app(ui_admin)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f2")
        await settle(pilot)
        field = app.screen.focused
        assert isinstance(field, SafeInput)
        app.post_message(events.Paste(name))
        await settle(pilot)
        shown = field.value
        await pilot.press("f8")
        await settle(pilot)
        output = terminal_output(app)
        assert raw_controls(output) == [] and "\x1b]" not in output
        stored = [client.name for client in Client.select()]
        if stored:
            assert stored == [clean_line(shown)]
        else:
            picture = app.export_screenshot()
            assert "✗" in picture or "required" in picture, "refused without a message"
