"""`crm search`: concept search from the shell."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from crm_tui.cli.common import EXIT_OK, EXIT_USAGE, CliError, open_existing, printable, say, subparser, whole_number
from crm_tui.i18n import N_, _

DEFAULT_SEARCH_LIMIT = 20
_KIND_LABELS = {"order": N_("Order"), "activity": N_("Activity")}
_STATUS_LABELS = {"open": N_("Open"), "finished": N_("Finished"), "closed": N_("Closed"),
                  "pending": N_("Pending"), "done": N_("Done")}


def register(commands) -> None:
    search = subparser(commands, "search", _("find words in orders, service entries and activities"),
                       command_search)
    search.add_argument("words", nargs="+", metavar=_("WORD"), help=_("words to find (accents and case do not matter)"))
    search.add_argument("--limit", type=whole_number, default=DEFAULT_SEARCH_LIMIT, metavar="N",
                        help=_("at most this many matches (default: {count})").format(count=DEFAULT_SEARCH_LIMIT))
    search.add_argument("--by-relevance", action="store_true",
                        help=_("best matches first (default: newest first)"))


def command_search(args: argparse.Namespace) -> int:
    from crm_tui.services.base import format_date
    from crm_tui.services.search import NEWEST, RELEVANCE, concept_search

    text = " ".join(word.strip() for word in args.words if word.strip())
    if not text:
        raise CliError(_("Say what to find: crm search WORD… (see crm search --help)"), EXIT_USAGE)
    open_existing(args, read_only=True)
    results = concept_search(text, limit=args.limit, order=RELEVANCE if args.by_relevance else NEWEST)
    if not results:
        say(_("Nothing found for {text}.").format(text=text))
        return EXIT_OK
    bold = sys.stdout.isatty()
    for result in results:
        heading = [_(_KIND_LABELS.get(result.kind, result.kind)), str(result.number),
                   format_date(result.when), result.contact_name, result.client_name,
                   _(_STATUS_LABELS.get(result.status, result.status))]
        say(" · ".join(part for part in heading if part))
        # Made printable piece by piece: the bold marks are the only escapes sent.
        print("    " + marked_snippet(result.snippet, result.highlights, bold))
    return EXIT_OK


def marked_snippet(snippet: str, highlights: Sequence[tuple[int, int]], bold: bool) -> str:
    """The snippet with the matched words in bold (terminal) or between « » (pipe, file)."""
    start_mark, end_mark = ("\x1b[1m", "\x1b[0m") if bold else ("«", "»")
    pieces, position = [], 0
    for start, end in sorted(highlights):
        if start < position:
            continue
        pieces.append(printable(snippet[position:start]))
        pieces.append(start_mark + printable(snippet[start:end]) + end_mark)
        position = end
    pieces.append(printable(snippet[position:]))
    return "".join(pieces)
