"""Appointments as an iCalendar file (RFC 5545) for a phone's calendar.

Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character); text
values escape backslash, semicolon, comma and line breaks. Times are local ("floating"):
the appointment is at 09:30 wherever the phone is, as the office booked it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    """One appointment as a calendar holds it."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    location: str
    description: str

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_text(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n"))


def fold(line: str) -> str:
    """One content line as RFC 5545 wants it: CRLF, then a space, every 75 octets."""
    pieces, current, size = [], [], 0
    limit = MAX_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            pieces.append("".join(current))
            current, size = [], 0
            limit = MAX_OCTETS - 1  # the continuation's leading space counts
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return "\r\n ".join(pieces) + "\r\n"


def _local(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar_lines(events: Iterable[CalendarEvent], stamp: dt.datetime, name: str = "") -> Iterator[str]:
    yield fold("BEGIN:VCALENDAR")
    yield fold("VERSION:2.0")
    yield fold("PRODID:-//crm_tui//Reports//EN")
    yield fold("CALSCALE:GREGORIAN")
    if name:
        yield fold("X-WR-CALNAME:" + escape_text(name))
    for event in events:
        yield fold("BEGIN:VEVENT")
        yield fold("UID:" + escape_text(event.uid))
        yield fold("DTSTAMP:" + _utc(stamp))
        yield fold("DTSTART:" + _local(event.start))
        yield fold("DTEND:" + _local(event.end))
        yield fold("SUMMARY:" + escape_text(event.summary))
        if event.location:
            yield fold("LOCATION:" + escape_text(event.location))
        if event.description:
            yield fold("DESCRIPTION:" + escape_text(event.description))
        yield fold("END:VEVENT")
    yield fold("END:VCALENDAR")


def render_ics(events: Iterable[CalendarEvent], stamp: dt.datetime, name: str = "") -> str:
    return "".join(calendar_lines(events, stamp, name))
