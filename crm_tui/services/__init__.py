"""The CRM's rules: every operation the screens, the command line and the tests call.

Functions take plain values and return plain dataclasses or pages of rows; they raise
ValidationError / ConflictError / NotAllowed / NotFound with a translated message.
Nothing here imports Textual.
"""
# First: peewee loads through crm_tui.db, without the PostgreSQL driver (a fifth of a
# second) and with what it uses late left for later, whichever module comes first.
import crm_tui.db  # noqa: F401,I001
from crm_tui.services.base import Actor, DateRange, Page, PageRequest, FIRST_PAGE
from crm_tui.services.errors import (
    ConflictError,
    NotAllowed,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationError,
)

__all__ = [
    "Actor",
    "ConflictError",
    "DateRange",
    "FIRST_PAGE",
    "NotAllowed",
    "NotFound",
    "Page",
    "PermissionDenied",
    "PageRequest",
    "ServiceError",
    "ValidationError",
]
