"""Menu item «Reports»: the reports on activities and tasks, and on opportunities (the
funnel, lost reasons, how customers found us): choose, restrict, [Print] or [Sheet]."""
from __future__ import annotations

from crm_tui.i18n import N_
from crm_tui.screens.report_parts import ReportScreen
from crm_tui.services.reports import ACTIVITY_REPORTS, SALES_REPORTS

TITLE = N_("Reports")


class ReportsScreen(ReportScreen):
    TITLE_LABEL = TITLE
    GROUPS = (ACTIVITY_REPORTS, SALES_REPORTS)


def make_screen(app) -> ReportsScreen:
    return ReportsScreen()
