"""Menu item «Activity follow-up»: its screen comes in a later version."""
from __future__ import annotations

from crm_tui.i18n import N_
from crm_tui.screens.later import make_later

TITLE = N_("Activity follow-up")
make_screen = make_later(TITLE)
