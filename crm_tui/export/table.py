"""The description of a list's columns, shared by services (which fill rows) and writers."""
from __future__ import annotations

from dataclasses import dataclass

TEXT = "text"
INTEGER = "integer"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    key: str  # stable name, also the header read back by `crm import`
    label: str  # N_() marked English label; writers translate it for the header
    kind: str = TEXT
    width: int = 16  # characters, a starting point for the sheet's column width
