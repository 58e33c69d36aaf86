"""The one clock every service reads: the time written on records, "today" for due tasks
and appointments.

Tests (and a demo of a given day) fix it with `frozen(moment)`; everything else reads the
local wall-clock time, to the second, which is what the people in the office read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current local time to the second (the fixed one while frozen)."""
    if _fixed is not None:
        return _fixed
    return dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


@contextmanager
def frozen(moment: dt.datetime) -> Iterator[dt.datetime]:
    """Within the block, `now()` is `moment` (to the second)."""
    global _fixed
    earlier = _fixed
    _fixed = moment.replace(microsecond=0)
    try:
        yield _fixed
    finally:
        _fixed = earlier
