"""What a service raises: each carries one translated sentence for the user."""
from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose; str() is the user's message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(ServiceError):
    """Bad input; `field` names the form field it belongs to (None for the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConflictError(ServiceError):
    """Someone else saved the record first (its version moved on) or a rule of state."""


class NotAllowed(ServiceError):
    """The user may not do this (role, inactive account, record in use)."""


class PermissionDenied(NotAllowed):
    """The actor's role (or inactive account) does not allow this change; raised by
    services/permissions.py, so the screens, the command line and scripts get the same answer."""


class NotFound(ServiceError):
    """The record does not exist (any more)."""


class DatabaseUnavailable(ServiceError):
    """The database server cannot be reached, or the connection broke during the change.

    `reason` is the sentence about the connection alone; `outcome_unknown` says the
    connection broke while the server was committing, so the change may have been saved.
    """

    def __init__(self, message: str, reason: str, outcome_unknown: bool = False):
        super().__init__(message)
        self.reason = reason
        self.outcome_unknown = outcome_unknown
