"""The general order inquiry: orders by filters, or by concept search within the filters,
a page at a time, and the same list as export rows.

A concept search reads the search index page by page (newest first) and keeps the orders
that also meet the filters; activities that match are left out. Each listed order keeps
the snippet where its words were found and where they are in it, to highlight them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from crm_tui.db import database
from crm_tui.db import search as index
from crm_tui.db.models import ServiceOrder
from crm_tui.services import orders
from crm_tui.services import search as concept
from crm_tui.services.base import DEFAULT_PAGE_SIZE, FIRST_PAGE, Page, PageRequest

# Search hits read per index page, and at most how many one page of the list looks
# through before it shows what it found (the next page goes on from there).
# About half the hits are activities: twice a page of orders, read at once, fills a page
# mostly in one read, and makes fewer snippets than a larger read.
HITS_PER_READ = 2 * DEFAULT_PAGE_SIZE + 10
MOST_HITS_PER_PAGE = 4000
# A snippet is shown from this many characters before its first word found.
LEAD_BEFORE_MATCH = 14
ELLIPSIS = "…"


@dataclass(frozen=True)
class ListedOrder:
    """One row of the general order inquiry: the order, and for a search, where it matched."""

    order: orders.OrderRecord
    snippet: str = ""
    highlights: tuple[tuple[int, int], ...] = ()

    @property
    def id(self) -> int:
        return self.order.id

    @property
    def detail_line(self) -> str:
        """What the detail column shows: the matching snippet from a little before its first
        word found (so that a narrow column shows it), else the detail's start."""
        if self.snippet:
            return self._snippet_shown()[0]
        return self.order.detail.splitlines()[0] if self.order.detail else ""

    @property
    def detail_highlights(self) -> tuple[tuple[int, int], ...]:
        return self._snippet_shown()[1] if self.snippet else ()

    def _snippet_shown(self) -> tuple[str, tuple[tuple[int, int], ...]]:
        first = self.highlights[0][0] if self.highlights else 0
        if first <= LEAD_BEFORE_MATCH:
            return self.snippet, self.highlights
        # From the start of a word, when one starts close enough before the match.
        space = self.snippet.rfind(" ", first - LEAD_BEFORE_MATCH, first - 1)
        cut = space + 1 if space >= 0 else first - LEAD_BEFORE_MATCH
        shifted = tuple((start - cut + 1, end - cut + 1) for start, end in self.highlights if start >= cut)
        return ELLIPSIS + self.snippet[cut:], shifted


def list_page(filters: orders.OrderFilter = orders.OrderFilter(), search_text: str = "",
              request: PageRequest = FIRST_PAGE) -> Page[ListedOrder]:
    """One page of the general order inquiry: by the filters (newest first), or the orders
    whose detail or service entries hold `search_text` and that meet the filters."""
    if search_text.strip():
        return _search_page(filters, search_text, request)
    page = orders.list_orders(filters, request)
    return Page([ListedOrder(record) for record in page.rows], page.cursors, page.has_before,
                page.has_after, page.offset)


def _search_page(filters: orders.OrderFilter, text: str, request: PageRequest) -> Page[ListedOrder]:
    limit = request.clamped_limit()
    backward = request.before is not None or request.last
    cursor_request = PageRequest(after=request.after, before=request.before, last=request.last,
                                 limit=HITS_PER_READ)
    kept: list[tuple[ListedOrder, tuple]] = []
    looked = 0
    more = False
    while True:
        hits = index.search_page(database, text, after=cursor_request.after, before=cursor_request.before,
                                 last=cursor_request.last, limit=HITS_PER_READ, kind=index.ORDER)
        looked += len(hits.hits)
        found = _meeting_filters(hits.hits, filters)
        pairs = [(found[hit.target_id], cursor) for hit, cursor in zip(hits.hits, hits.cursors)
                 if hit.target_kind == index.ORDER and hit.target_id in found]
        beyond = hits.has_before if backward else hits.has_after
        if backward:
            kept = pairs + kept
        else:
            kept = kept + pairs
        if len(kept) > limit:
            more = True
            break
        if not beyond or not hits.hits or looked >= MOST_HITS_PER_PAGE:
            more = beyond and bool(hits.hits)
            break
        cursor_request = (PageRequest(before=hits.cursors[0], limit=HITS_PER_READ) if backward
                          else PageRequest(after=hits.cursors[-1], limit=HITS_PER_READ))
    if backward:
        more = more or len(kept) > limit
        kept = kept[-limit:]
        has_before, has_after = more, not request.last
    else:
        more = more or len(kept) > limit
        kept = kept[:limit]
        has_before, has_after = request.after is not None, more
    return Page([row for row, _cursor in kept], [cursor for _row, cursor in kept], has_before, has_after)


def _meeting_filters(hits: list[index.SearchHit], filters: orders.OrderFilter) -> dict[int, ListedOrder]:
    """The orders among `hits` that meet `filters`, by id, each with its snippet (the
    activities that matched are left out, unread)."""
    ids = [hit.target_id for hit in hits if hit.target_kind == index.ORDER]
    if not ids:
        return {}
    if has_filters(filters):
        query = orders._filtered(orders._order_ids(), filters).where(ServiceOrder.id.in_(ids))
        ids = [row.id for row in query]
    records = orders._orders_by_id(sorted(ids)) if ids else {}
    listed = {}
    for hit in hits:
        if hit.target_kind == index.ORDER and hit.target_id in records:
            snippet, highlights = concept.split_snippet(hit.snippet)
            listed[hit.target_id] = ListedOrder(records[hit.target_id], snippet, tuple(highlights))
    return listed


def has_filters(filters: orders.OrderFilter) -> bool:
    return filters != orders.OrderFilter()


# --- export: the listed result ------------------------------------------------------------


def iter_listed_rows(filters: orders.OrderFilter, search_text: str = "") -> Iterator[tuple]:
    """Every order the inquiry lists for `filters` and `search_text`, as rows in
    orders.ORDER_COLUMNS order (a search: newest match first; else by number)."""
    if not search_text.strip():
        yield from orders.iter_order_rows(filters)
        return
    request = PageRequest(limit=200)
    while True:
        page = _search_page(filters, search_text, request)
        for listed in page.rows:
            yield _export_row(listed.order)
        if not page.has_after or not page.cursors:
            return
        request = PageRequest(after=page.last_cursor, limit=200)


def count_listed_rows(filters: orders.OrderFilter, search_text: str = "") -> int | None:
    """How many rows iter_listed_rows gives, when that is cheap to know (None for a search)."""
    if search_text.strip():
        return None
    return orders.count_order_rows(filters)


def _export_row(order: orders.OrderRecord) -> tuple:
    return (order.number, orders.status_label(order.status), orders.priority_label(order.priority),
            order.created_at, order.client_name, order.contact_name, order.project_name,
            order.category_name, order.assigned_user_name, order.appointment_at, order.detail,
            order.equipment, order.finished_at, order.closed_at, order.rating, order.customer_comments,
            order.times_reopened, order.created_by)
