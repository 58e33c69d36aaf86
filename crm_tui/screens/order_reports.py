"""Menu item «Order reports»: the reports on service orders (by status, work by
technician, by client and project, satisfaction, reopened, a technician's route sheet, an
order's work sheet): choose, restrict, [Print] or [Sheet]."""
from __future__ import annotations

from crm_tui.i18n import N_
from crm_tui.screens.report_parts import ReportScreen
from crm_tui.services.reports import ORDER_REPORTS

TITLE = N_("Order reports")


class OrderReportsScreen(ReportScreen):
    TITLE_LABEL = TITLE
    GROUPS = (ORDER_REPORTS,)


def make_screen(app) -> OrderReportsScreen:
    return OrderReportsScreen()
