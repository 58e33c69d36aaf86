"""One translated sentence for whatever stopped an operation: a rule of the CRM, a
database that refused it, or a database server that went away. The screens and the
command line show this, never the driver's own text alone."""
from __future__ import annotations

import sqlite3

import peewee as pw

from crm_tui.db.connection import ConnectionLost, DatabaseOpenError
from crm_tui.i18n import _
from crm_tui.services.errors import ServiceError

# Everything the database layer may raise at run time (driver errors arrive wrapped by peewee).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (pw.PeeweeException, sqlite3.Error)

# What an operation on the CRM may end with, short of a defect in the program.
FAILURES: tuple[type[BaseException], ...] = (ServiceError, DatabaseOpenError, *DATABASE_ERRORS)


def user_message(exc: BaseException) -> str:
    """The sentence to show for `exc`, in the user's language."""
    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, (ConnectionLost, DatabaseOpenError)):
        return str(exc)
    detail = driver_detail(exc)
    if isinstance(exc, pw.IntegrityError):
        return _("The database refused the change because it would break a rule: {detail}").format(detail=detail)
    if isinstance(exc, DATABASE_ERRORS):
        return _("The database reported an error: {detail}").format(detail=detail)
    return _("Unexpected error: {detail}").format(detail=f"{exc.__class__.__name__}: {detail}")


def driver_detail(exc: BaseException) -> str:
    """The first line of an error's own text, without control characters."""
    lines = str(exc).strip().splitlines() or [exc.__class__.__name__]
    return "".join(character if character.isprintable() else " " for character in lines[0])
