"""What the two concept-search indexes share: how a record's key is made, and the hit marks.

A record's key grows from the newest record to the oldest:

    key = (LAST_HOUR - hour of the record's date) * HOUR_UNIT
          + (ID_RANGE - 1 - record id mod ID_RANGE) * 2 + kind bit (0 order, 1 activity)

(the date an order was created, the date of an activity; within one hour, the higher id
first). See crm_tui.db.search for why.
"""
from __future__ import annotations

HIT_START = "\x02"
HIT_END = "\x03"

ORDER, ACTIVITY = "order", "activity"
KIND_BIT = {ORDER: 0, ACTIVITY: 1}

HOUR_UNIT = 2 ** 30
ID_RANGE = 2 ** 29
LAST_HOUR = 2 ** 27 - 1  # the year 17000; dates before 1970 count back from it as well

# A word in at least one record in COMMON_SHARE is common (as "el", "para", "revisar"):
# both indexes look up the common words of a query only where its rarer words match.
COMMON_SHARE = 20
