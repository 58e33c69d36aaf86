"""Concept search for the screens and `crm search`: hits resolved to orders and activities.

A search is read a page at a time, newest first (the default) or by relevance, and every
match can be reached by paging on (see `crm_tui.db.search` for how each order is kept
cheap whatever the number of matches).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from crm_tui.db import database
from crm_tui.db import search as index
from crm_tui.db.models import Activity, Client, Contact, ServiceOrder
from crm_tui.services.base import FIRST_PAGE, Page, PageRequest

ORDER = index.ORDER
ACTIVITY = index.ACTIVITY
NEWEST = index.NEWEST
RELEVANCE = index.RELEVANCE
ORDERS = (NEWEST, RELEVANCE)

# Line breaks and tabs would break a one-line snippet; each becomes one space so the
# highlight offsets still count characters of the text shown.
_FLATTEN = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\x0b": " ", "\x0c": " "})


@dataclass(frozen=True)
class SearchResult:
    kind: str  # ORDER or ACTIVITY
    id: int
    number: int  # order number or activity folio
    when: dt.datetime  # when the order was created / when the activity took place
    contact_name: str
    client_name: str
    status: str  # the record's status code (open/finished/closed, pending/done)
    snippet: str  # plain text around the match
    highlights: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in snippet


@dataclass
class SearchPage(Page[SearchResult]):
    """A page of results, with how many records match: exactly `total` when `total_exact`,
    else more than `total`. By relevance, `ranked_per_block` (when set) says the matches
    are ranked in blocks of that many, newest block first; None: ranked as a whole."""

    total: int = 0
    total_exact: bool = True
    ranked_per_block: int | None = None


@dataclass(frozen=True)
class _Summary:
    number: int
    when: dt.datetime
    contact_name: str
    client_name: str
    status: str


def split_snippet(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text and the (start, end) offsets of the parts the index marked as hits."""
    text: list[str] = []
    highlights: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in _pieces(marked):
        if piece == index.HIT_START:
            start = length if start is None else start
        elif piece == index.HIT_END:
            if start is not None and length > start:
                highlights.append((start, length))
            start = None
        else:
            flat = piece.translate(_FLATTEN)
            text.append(flat)
            length += len(flat)
    if start is not None and length > start:
        highlights.append((start, length))
    return "".join(text), highlights


_MARKS = re.compile(f"([{re.escape(index.HIT_START)}{re.escape(index.HIT_END)}])")


def _pieces(marked: str) -> list[str]:
    """The text between marks and the marks themselves, in order, without empty pieces."""
    return [piece for piece in _MARKS.split(marked) if piece]


def _orders(ids: set[int]) -> dict[int, _Summary]:
    if not ids:
        return {}
    rows = (ServiceOrder
            .select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.created_at, ServiceOrder.status,
                    Contact.name, Client.name.alias("client_name"))
            .join(Contact, on=(ServiceOrder.contact == Contact.id))
            .switch(ServiceOrder).join(Client, on=(ServiceOrder.client == Client.id))
            .where(ServiceOrder.id.in_(sorted(ids)))
            .tuples())
    return {row[0]: _Summary(row[1], row[2], row[4], row[5], row[3]) for row in rows}


def _activities(ids: set[int]) -> dict[int, _Summary]:
    if not ids:
        return {}
    rows = (Activity
            .select(Activity.id, Activity.folio, Activity.when, Activity.status,
                    Contact.name, Client.name.alias("client_name"))
            .join(Contact, on=(Activity.contact == Contact.id))
            .switch(Activity).join(Client, on=(Activity.client == Client.id))
            .where(Activity.id.in_(sorted(ids)))
            .tuples())
    return {row[0]: _Summary(row[1], row[2], row[4], row[5], row[3]) for row in rows}


def search_page(text: str, request: PageRequest = FIRST_PAGE, order: str = NEWEST) -> SearchPage:
    """One page of the orders and activities whose details, service entries or activity
    text match `text`: newest first, or best match first (`order=RELEVANCE`).

    Accents and case do not matter; any input is accepted (operators and punctuation are
    ignored, a text in double quotes is a phrase). No words: no results. Cursors of a
    page (`first_cursor`, `last_cursor`) ask for the page before or after it, in the same
    order; `PageRequest(last=True)` gives the oldest (or, by relevance, the last) page.
    """
    if not isinstance(text, str):
        return SearchPage([], [], False, False)
    hits = index.search_page(database, text, order=RELEVANCE if order == RELEVANCE else NEWEST,
                             after=request.after, before=request.before, last=request.last,
                             limit=request.clamped_limit())
    results, cursors = _resolved(hits.hits, hits.cursors)
    return SearchPage(results, cursors, hits.has_before, hits.has_after, total=hits.total,
                      total_exact=hits.total_exact, ranked_per_block=hits.ranked_per_block)


def concept_search(text: str, limit: int = 50, order: str = NEWEST) -> list[SearchResult]:
    """The first `limit` results of `search_page` (newest first unless `order` says otherwise)."""
    if not isinstance(text, str) or limit <= 0:
        return []
    return search_page(text, PageRequest(limit=limit), order).rows


def _resolved(hits: list[index.SearchHit], cursors: list[tuple]) -> tuple[list[SearchResult], list[tuple]]:
    """Each hit with its record's number, date, contact, client and status."""
    found = {
        ORDER: _orders({hit.target_id for hit in hits if hit.target_kind == ORDER}),
        ACTIVITY: _activities({hit.target_id for hit in hits if hit.target_kind == ACTIVITY}),
    }
    results, kept = [], []
    for hit, cursor in zip(hits, cursors):
        summary = found.get(hit.target_kind, {}).get(hit.target_id)
        if summary is None:  # deleted since the index was read
            continue
        snippet, highlights = split_snippet(hit.snippet)
        results.append(SearchResult(
            kind=hit.target_kind, id=hit.target_id, number=summary.number, when=summary.when,
            contact_name=summary.contact_name, client_name=summary.client_name,
            status=summary.status, snippet=snippet, highlights=highlights))
        kept.append(cursor)
    return results, kept
