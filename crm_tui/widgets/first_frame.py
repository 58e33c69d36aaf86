"""The start-up benchmark's signal: the moment the first frame reaches the terminal.

With CRM_EXIT_AFTER_FIRST_FRAME=1, an app that lists `FirstFrameMark` before `App`
writes a mark to the terminal right behind its first frame, through the same writer, so
whoever reads the terminal sees the mark only once the whole frame has arrived; then the
app leaves. The mark carries the process's CPU seconds until then (`first_frame_mark`),
which a shared machine disturbs less than the clock. The benchmark's one-widget app uses
the same class, so both sides are timed alike. Without the variable nothing changes.
"""
from __future__ import annotations

import os
import re
import time
from typing import Any

EXIT_AFTER_FIRST_FRAME = "CRM_EXIT_AFTER_FIRST_FRAME"
# An application program command (APC): terminals ignore it, and no text a screen shows
# can produce it (widgets show control characters as visible signs).
FIRST_FRAME_MARK = "\x1b_crm-first-frame"
MARK_END = "\x1b\\"
# The mark as written: FIRST_FRAME_MARK, " cpu=" and the CPU seconds, MARK_END.
WRITTEN_MARK = re.compile(rb"\x1b_crm-first-frame cpu=([0-9.]+)\x1b\\")


def first_frame_mark(cpu_seconds: float) -> str:
    return f"{FIRST_FRAME_MARK} cpu={cpu_seconds:.6f}{MARK_END}"


# Its value for "the first frame that shows the home screen's rows": the home screen
# calls `rows_in_place()` once its list holds its first page, and the next frame written
# (the first to show them) is marked.
AFTER_ROWS = "rows"


def first_frame_wanted() -> bool:
    return os.environ.get(EXIT_AFTER_FIRST_FRAME, "") not in ("", "0", AFTER_ROWS)


def rows_frame_wanted() -> bool:
    return os.environ.get(EXIT_AFTER_FIRST_FRAME, "") == AFTER_ROWS


class FirstFrameMark:
    """For an App (list it before App): marks its first frame written to the terminal."""

    _first_frame_marked = False
    _rows_in_place = False

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)  # type: ignore[misc]
        if self._first_frame_marked or renderable is None or not self._frame_awaited():
            return
        if not self._frame_was_written():
            return
        self._mark_and_leave()

    def rows_in_place(self) -> None:
        """The home screen's list holds its first page: the next frame written shows it."""
        self._rows_in_place = True

    def _frame_awaited(self) -> bool:
        return first_frame_wanted() or (rows_frame_wanted() and self._rows_in_place)

    def _mark_and_leave(self) -> None:
        self._first_frame_marked = True
        self._driver.write(first_frame_mark(time.process_time()))  # type: ignore[attr-defined]
        self.exit(0)  # type: ignore[attr-defined]

    def _frame_was_written(self) -> bool:
        # The conditions under which App._display hands a frame to the terminal's writer.
        app: Any = self
        return (app._running and not app._closed and not app.is_headless and app._driver is not None
                and not app._batch_count)
