"""Dates as people type them: the language's format, and its common shortcuts."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import i18n
from crm_tui.services.base import parse_date, parse_datetime
from crm_tui.services.errors import ValidationError

DAY = dt.date(2026, 12, 1)


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("typed", ["01/12/2026", "01122026", "01/12/26", "1/12/2026", "2026-12-01"])
def test_spanish_dates_with_or_without_separators(spanish, typed):
    assert parse_date(typed, "day", "Fecha") == DAY


@pytest.mark.parametrize("typed", ["2026-12-01", "20261201"])
def test_english_dates_with_or_without_separators(typed):
    assert parse_date(typed, "day", "Date") == DAY


@pytest.mark.parametrize("typed", ["31/02/2026", "31022026", "0112202", "011220266", "1/1", "ayer"])
def test_impossible_or_partial_dates_are_refused(spanish, typed):
    with pytest.raises(ValidationError) as refused:
        parse_date(typed, "day", "Fecha")
    assert refused.value.field == "day"


def test_a_compact_date_with_a_time(spanish):
    assert parse_datetime("01122026", "when", "Cuándo") == dt.datetime(2026, 12, 1)
    assert parse_datetime("01/12/2026 09:30", "when", "Cuándo") == dt.datetime(2026, 12, 1, 9, 30)
