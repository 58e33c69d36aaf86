"""Menu item «Look up activities»: its screen comes in a later version."""
from __future__ import annotations

from crm_tui.i18n import N_
from crm_tui.screens.later import make_later

TITLE = N_("Look up activities")
make_screen = make_later(TITLE)
