"""`crm demo`: fill a database with realistic sample data."""
from __future__ import annotations

import argparse
import dataclasses
import sys

from crm_tui.cli.common import EXIT_OK, ProgressPrinter, login_name, open_existing, printable, subparser, whole_number
from crm_tui.i18n import N_, _

_SUMMARY_LABELS = (
    ("users", N_("users")), ("clients", N_("clients")), ("contacts", N_("contacts")),
    ("categories", N_("categories")), ("projects", N_("projects")), ("activities", N_("activities")),
    ("orders", N_("service orders")), ("service_entries", N_("service entries")),
    ("order_reviews", N_("order reviews")), ("opportunity_types", N_("opportunity types")),
    ("opportunities", N_("opportunities")), ("opportunity_events", N_("opportunity events")),
)


def register(commands) -> None:
    demo = subparser(commands, "demo", _("fill the database with realistic sample data"), command_demo)
    demo.add_argument("--orders", type=whole_number, metavar="N", help=_("how many service orders"))
    demo.add_argument("--contacts", type=whole_number, metavar="N", help=_("how many contacts"))
    demo.add_argument("--activities", type=whole_number, metavar="N", help=_("how many activities"))
    demo.add_argument("--seed", type=int, metavar="N", help=_("random seed, for the same data every time"))
    demo.add_argument("--force", action="store_true", help=_("add the data even if the database has records"))


def command_demo(args: argparse.Namespace) -> int:
    from crm_tui.services import demo

    open_existing(args)
    size = demo.DemoSize.scaled(args.orders) if args.orders is not None else demo.DemoSize()
    changes = {name: value for name, value in (("contacts", args.contacts), ("activities", args.activities),
                                               ("seed", args.seed)) if value is not None}
    size = dataclasses.replace(size, **changes)
    operator = login_name(args)
    summary = demo.fill_demo(size, progress=ProgressPrinter(sys.stderr), force=args.force, operator=operator)
    print(_("Sample data written:"))
    for name, label in _SUMMARY_LABELS:
        print(f"  {_(label)}: {getattr(summary, name, 0)}")
    if summary.operator == demo.OPERATOR_ADDED:
        print(printable(_("You ({name}) are now an administrator of this CRM.").format(name=operator)))
    elif summary.operator == demo.OPERATOR_LEFT_OUT:
        print(printable(_("You ({name}) are not a user of this CRM: an administrator can add you with "
                          "crm user add {name}.").format(name=operator)))
    return EXIT_OK
