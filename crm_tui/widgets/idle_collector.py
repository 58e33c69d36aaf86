"""Full garbage collections while the user is idle, never while a key's answer is drawn.

`crm` loads with the collector off (crm_tui.__main__). Once the first frame is drawn,
what is alive (modules, styles, the first screen) lives as long as the program: it is
frozen out of every later collection. The young generations are then collected as
usual, but the full (oldest generation) collections, which pass over every widget of
the screens opened since and paused the drawing of a query's rows by 30 to 130 ms, wait
for a second without keys or clicks. They run when CPython would have run one, no more
often.
"""
from __future__ import annotations

import gc
import time
from typing import Any

from textual import events

QUIET_SECONDS = 1.0  # no key, paste or click for this long: the user is reading
CHECK_SECONDS = 1.0
# CPython runs a full collection after this many collections of the middle generation
# (its third threshold): a full collection is due after as many.
MIDDLE_COLLECTIONS_PER_FULL = 10
_NEVER = 2**31 - 1


def _middle_collections() -> int:
    return gc.get_stats()[1]["collections"]


class CollectsWhenIdle:
    """Mixin for a Textual App (put it before App in the bases)."""

    _last_input = 0.0
    _middle_at_last_full = 0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste, events.MouseDown)):
            self._last_input = time.monotonic()
        await super().on_event(event)  # type: ignore[misc]

    def collect_when_idle(self) -> None:
        """Turn the collector on (after `crm` loaded with it off), full collections left
        to the quiet moments. Nothing changes for a collector already on (tests, say)."""
        if gc.isenabled():
            return
        gc.freeze()
        young, middle, _full = gc.get_threshold()
        gc.set_threshold(young, middle, _NEVER)
        gc.enable()
        self._middle_at_last_full = _middle_collections()
        self.set_interval(CHECK_SECONDS, self.collect_if_idle)  # type: ignore[attr-defined]

    def collect_if_idle(self) -> bool:
        """Run the full collection that is due, if the user is quiet. True if it ran."""
        if time.monotonic() - self._last_input < QUIET_SECONDS:
            return False
        if _middle_collections() - self._middle_at_last_full < MIDDLE_COLLECTIONS_PER_FULL:
            return False
        gc.collect()
        self._middle_at_last_full = _middle_collections()
        return True
