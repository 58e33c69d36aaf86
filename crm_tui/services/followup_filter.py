"""What the home screen's list holds: whose activities, which client, contact, days and
status. Apart from services/followup.py, which reads the database, so that the home
screen draws its first frame before the database modules it needs are loaded."""
from __future__ import annotations

from dataclasses import dataclass

from crm_tui.services.base import DateRange

# An activity's status codes (Activity.PENDING / DONE; tests/test_followup.py checks they match).
PENDING, DONE = "pending", "done"
ANY_STATUS = ""


@dataclass(frozen=True)
class FollowupFilter:
    """What the home list shows. `person_id`: activities that person logged or tasks
    assigned to them. `status` pending by default; ANY_STATUS shows both."""

    person_id: int | None = None
    client_id: int | None = None
    contact_id: int | None = None
    dates: DateRange = DateRange()
    status: str = PENDING
