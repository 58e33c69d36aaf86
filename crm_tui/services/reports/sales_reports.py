"""Reports on opportunities (the sales side)."""
from __future__ import annotations

from typing import Iterator

import peewee as pw

from crm_tui.db.models import Client, Opportunity, User
from crm_tui.db.text import fold
from crm_tui.export.table import DATE, INTEGER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services import opportunities
from crm_tui.services.base import display_name_sql, iter_keyset
from crm_tui.services.reports import CLIENT, DATES, SALES_REPORTS, USER, Report, ReportFilter, declare
from crm_tui.services.reports.common import CHUNK, as_date, by_name, user_names


def _restricted(query: pw.Select, filters: ReportFilter) -> pw.Select:
    query = filters.dates.apply(query, Opportunity.created_at)
    if filters.user_id is not None:
        query = query.where(Opportunity.agent == filters.user_id)
    if filters.client_id is not None:
        query = query.where(Opportunity.client == filters.client_id)
    return query


def _status_counts() -> list[pw.Node]:
    return [pw.fn.SUM(pw.Case(None, [(Opportunity.status == status, 1)], 0)) for status in opportunities.STATUSES]


# --- the funnel: opportunities by status and agent -----------------------------------------

FUNNEL_COLUMNS = [
    Column("agent", N_("Agent"), TEXT, 20),
    *[Column(status, label, INTEGER, 8) for status, label in opportunities.STATUS_LABELS.items()],
    Column("total", N_("Total"), INTEGER, 7),
]


def _funnel_rows(filters: ReportFilter) -> Iterator[tuple]:
    query = (_restricted(Opportunity.select(Opportunity.agent, *_status_counts(), pw.fn.COUNT(Opportunity.id)),
                         filters).group_by(Opportunity.agent))
    counted = [(agent, *(int(count or 0) for count in counts)) for agent, *counts in query.tuples()]
    yield from by_name(counted, user_names())


def _funnel_chart(filters: ReportFilter) -> list[tuple[str, float]]:
    query = (_restricted(Opportunity.select(Opportunity.status, pw.fn.COUNT(Opportunity.id)), filters)
             .group_by(Opportunity.status))
    counts = dict(query.tuples())
    return [(_(label), int(counts.get(status, 0))) for status, label in opportunities.STATUS_LABELS.items()]


declare(Report(
    name="funnel", title=N_("Opportunities by status and agent"), group=SALES_REPORTS,
    restrictions=(DATES, USER, CLIENT), columns=FUNNEL_COLUMNS, rows=_funnel_rows,
    sums=(*opportunities.STATUSES, "total"), chart=_funnel_chart, chart_title=N_("Opportunities by status"),
    note=N_("Opportunities created in the dates, by where they stand now.")))


# --- lost opportunities: why, and what to improve ---------------------------------------------

LOST_COLUMNS = [
    Column("number", N_("Number"), INTEGER, 6),
    Column("updated", N_("Lost on"), DATE, 10),
    Column("agent", N_("Agent"), TEXT, 12),
    Column("client", N_("Client"), TEXT, 14),
    Column("why_lost", N_("Why it was lost"), TEXT, 20),
    Column("to_improve", N_("What to improve"), TEXT, 20),
]


def _lost_query(filters: ReportFilter, *fields: pw.Node) -> pw.Select:
    query = (Opportunity.select(*fields)
             .join(User, on=(Opportunity.agent == User.id))
             .switch(Opportunity).join(Client, on=(Opportunity.client == Client.id))
             .where(Opportunity.status == opportunities.LOST))
    return _restricted(query, filters)


def _lost_rows(filters: ReportFilter) -> Iterator[tuple]:
    query = _lost_query(filters, Opportunity.number, Opportunity.updated_at, display_name_sql(User), Client.name,
                        Opportunity.why_lost, Opportunity.to_improve, Opportunity.number)
    for row in iter_keyset(query, [Opportunity.number], descending=True, chunk_size=CHUNK):
        yield (row[0], as_date(row[1]), *row[2:6])


declare(Report(
    name="lost-reasons", title=N_("Lost opportunities: why, and what to improve"), group=SALES_REPORTS,
    restrictions=(DATES, USER, CLIENT), columns=LOST_COLUMNS, rows=_lost_rows,
    count=lambda filters: _lost_query(filters, Opportunity.id).count()))


# --- how customers found us ---------------------------------------------------------------------

FOUND_US_COLUMNS = [
    Column("found_us_by", N_("How they found us"), TEXT, 30),
    Column("opportunities", N_("Opportunities"), INTEGER, 13),
    Column("closed", N_("Closed"), INTEGER, 7),
    Column("lost", N_("Lost"), INTEGER, 7),
]


def _found_us_counts(filters: ReportFilter) -> list[tuple[str, int, int, int]]:
    """Counts by answer, the same answer however it was typed (case, accents, spaces)."""
    closed = pw.fn.SUM(pw.Case(None, [(Opportunity.status == opportunities.CLOSED, 1)], 0))
    lost = pw.fn.SUM(pw.Case(None, [(Opportunity.status == opportunities.LOST, 1)], 0))
    query = (_restricted(Opportunity.select(Opportunity.found_us_by, pw.fn.COUNT(Opportunity.id), closed, lost),
                         filters).group_by(Opportunity.found_us_by))
    merged: dict[str, list] = {}
    spellings: dict[str, list[tuple[int, str]]] = {}
    for answer, count, closed_count, lost_count in query.tuples():
        text = " ".join((answer or "").split()) or _("(not said)")
        entry = merged.setdefault(fold(text), [0, 0, 0])
        entry[0] += int(count)
        entry[1] += int(closed_count or 0)
        entry[2] += int(lost_count or 0)
        spellings.setdefault(fold(text), []).append((-int(count), text))
    # Each answer as most people typed it (the same on either database).
    counted = [(min(spellings[key])[1], *entry) for key, entry in merged.items()]
    return sorted(counted, key=lambda entry: (-entry[1], fold(entry[0])))


def _found_us_rows(filters: ReportFilter) -> Iterator[tuple]:
    yield from _found_us_counts(filters)


declare(Report(
    name="found-us", title=N_("How customers found us"), group=SALES_REPORTS,
    restrictions=(DATES, USER, CLIENT), columns=FOUND_US_COLUMNS, rows=_found_us_rows,
    sums=("opportunities", "closed", "lost"),
    chart_columns=("found_us_by", "opportunities"),
    chart_title=N_("Opportunities by how they found us")))
