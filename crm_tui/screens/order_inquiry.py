"""Menu item «Single order inquiry»: its screen comes in a later version."""
from __future__ import annotations

from crm_tui.i18n import N_
from crm_tui.screens.later import make_later

TITLE = N_("Single order inquiry")
make_screen = make_later(TITLE)
