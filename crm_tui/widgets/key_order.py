"""Keys in the order they were typed, each to the widget focused when it is handled.

Over SSH, and from a paste or a password manager, keys arrive in bursts. Textual routes
each key to the widget focused when the key *arrives*; the Tab of a burst only moves the
focus once the keys behind it were already sent to the field it leaves, so a whole
form's worth of typing lands in its first field. `KeysInOrder` holds the keys back and
hands on the next one only when the previous one has gone all the way through: through
the widget it went to and every container above it (where bindings such as Tab run), and
through the screen in front (a key that opened a screen lets that screen start and
choose its field first).
"""
from __future__ import annotations

from collections import deque
from functools import partial
from typing import Any

from textual import events
from textual.dom import DOMNode

# A key whose way through the widgets was cut (its widget was removed meanwhile) stops
# holding the keys behind it after this long. Only a safety net: keys never wait for it
# otherwise.
STUCK_KEY_SECONDS = 1.0


class KeysInOrder:
    """Mixin for a Textual App (put it before App in the bases)."""

    _keys_waiting: deque | None = None
    _key_in_flight = 0  # number of the key on its way (0: none)
    _keys_handed = 0
    _stuck_timer: Any = None

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            await super().on_event(event)  # type: ignore[misc]
            return
        if self._keys_waiting is None:
            self._keys_waiting = deque()
        if self._key_in_flight or self._keys_waiting:
            self._keys_waiting.append(event)
            return
        await self._hand_on(event)

    async def _hand_on(self, event: events.Event) -> None:
        app: Any = self
        self._keys_handed += 1
        number = self._key_in_flight = self._keys_handed
        route = list(app.focused.ancestors_with_self) if app.focused is not None else [app.screen, app]
        self._stuck_timer = app.set_timer(STUCK_KEY_SECONDS, partial(self._key_handled, number))
        await super().on_event(event)  # type: ignore[misc]
        self._follow(route, 0, number)

    def _follow(self, route: list[DOMNode], index: int, number: int) -> None:
        """Go after the key from node to node: a callback queued behind it in a node's
        messages runs once that node has dealt with it (and passed it to its parent)."""
        while index < len(route):
            if route[index].call_later(self._follow, route, index + 1, number):
                return
            index += 1  # that node is closing: it will not pass the key on
        app: Any = self
        if not app.screen.call_later(app.call_later, self._key_handled, number):
            self._key_handled(number)

    async def _key_handled(self, number: int) -> None:
        if number != self._key_in_flight:
            return  # the safety net already let the keys behind it go
        if self._stuck_timer is not None:
            self._stuck_timer.stop()
            self._stuck_timer = None
        self._key_in_flight = 0
        if self._keys_waiting:
            await self._hand_on(self._keys_waiting.popleft())
