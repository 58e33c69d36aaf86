"""The people who use the CRM: who may sign in, and who manages them (admins only)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import peewee as pw

from crm_tui.db.models import User
from crm_tui.db.text import fold
from crm_tui.i18n import N_, _
from crm_tui.services.base import (
    FIRST_PAGE,
    KEEP,
    Actor,
    Page,
    PageRequest,
    WriteInput,
    check_choice,
    clean_line,
    get_or_raise,
    keyset_page,
    limit_length,
    require,
    insert_new,
    update_versioned,
    retrying_write,
    writing,
)
from crm_tui.services import permissions
from crm_tui.services.errors import NotAllowed, ValidationError
from crm_tui.services.fields import BOOL, CHOICE, Entity, Field, model_length
from crm_tui.services.login import (  # noqa: F401 - part of this module's API
    _actor,
    _name_as_given,
    database_has_users,
    identify,
    system_actor,
    system_login,
)

ROLES = (User.ADMIN, User.AGENT)
ROLE_LABELS = {User.ADMIN: N_("Administrator"), User.AGENT: N_("Agent")}

LABEL_USERNAME = N_("Username")
LABEL_FULL_NAME = N_("Full name")
LABEL_ROLE = N_("Role")

USER = Entity("user", N_("User"), (
    Field("username", LABEL_USERNAME, required=True, max_length=model_length(User, "username"),
          help=N_("The login on the server (as in `whoami`).")),
    Field("full_name", LABEL_FULL_NAME, max_length=model_length(User, "full_name")),
    Field("role", LABEL_ROLE, CHOICE, required=True, choices=tuple((role, ROLE_LABELS[role]) for role in ROLES)),
    Field("active", N_("Active"), BOOL),
))

# OS logins: letters, digits, dot, underscore and hyphen.
_USERNAME = re.compile(r"^[\w.-]+$")
_USERNAME_MAX = User.username.max_length


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    @property
    def is_admin(self) -> bool:
        return self.role == User.ADMIN

    @property
    def role_label(self) -> str:
        return _(ROLE_LABELS.get(self.role, self.role))


def _record(user: User) -> UserRecord:
    return UserRecord(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
                      active=bool(user.active), version=user.version, created_at=user.created_at,
                      updated_at=user.updated_at)


# --- signing in ---------------------------------------------------------------------


@retrying_write
def bootstrap_first_admin(username: str, full_name: str = "") -> Actor:
    """Register the very first user of a new database as its administrator."""
    name = _clean_username(username)
    full = _clean_full_name(full_name)
    with writing():
        if database_has_users():
            raise NotAllowed(
                _("This database already has users: ask an administrator to add {name}.").format(name=name))
        founder = Actor(0, name, full, User.ADMIN)
        user = User.get_by_id(insert_new(User, founder, dict(
            username=name, full_name=full, role=User.ADMIN, active=True)))
    return _actor(user)


# --- managing users -----------------------------------------------------------------


def _clean_username(value: str) -> str:
    name = require(clean_line(value), "username", _(LABEL_USERNAME))
    limit_length(name, "username", _(LABEL_USERNAME), _USERNAME_MAX)
    if not _USERNAME.match(name):
        raise ValidationError(
            _("{field} can only have letters, digits, dots (.), underscores (_) and hyphens (-), "
              "like the login on the server.").format(field=_(LABEL_USERNAME)), "username")
    return name


def _clean_full_name(value: str) -> str:
    return limit_length(clean_line(value), "full_name", _(LABEL_FULL_NAME), User.full_name.max_length)


def _clean_role(value: str) -> str:
    role = clean_line(value).lower()
    return check_choice(role, ROLES, "role", _(LABEL_ROLE))


@dataclass(frozen=True)
class UserInput(WriteInput):
    """A user to add (username, full name, role) or what to change (full name, role, active)."""

    username: Any = KEEP
    full_name: Any = KEEP
    role: Any = KEEP
    active: Any = KEEP


def _given_or(value: Any, default: Any) -> Any:
    return default if value is KEEP or value is None else value


@retrying_write
def add_user(actor: Actor, data: UserInput) -> UserRecord:
    with writing():
        permissions.check_manage_users(actor)
        name = _clean_username(_given_or(data.username, ""))
        full = _clean_full_name(_given_or(data.full_name, ""))
        chosen_role = _clean_role(_given_or(data.role, User.AGENT))
        existing = User.get_or_none(pw.fn.LOWER(User.username) == name.lower())
        if existing is not None:
            raise ValidationError(
                _("The user {name} already exists.").format(name=existing.username), "username")
        user = User.get_by_id(insert_new(User, actor, dict(
            username=name, full_name=full, role=chosen_role, active=True)))
    return _record(user)


def _other_active_admins(user_id: int) -> int:
    return (User.select()
            .where((User.role == User.ADMIN) & (User.active == True) & (User.id != user_id))  # noqa: E712
            .count())


def _keep_one_admin(actor: Actor, user: User, role: str, active: bool) -> None:
    was_admin = user.role == User.ADMIN and user.active
    stays_admin = role == User.ADMIN and active
    if was_admin and not stays_admin and _other_active_admins(user.id) == 0:
        if user.id == actor.id:
            raise NotAllowed(
                _("You are the last active administrator: make someone else an administrator "
                  "before you deactivate yourself or change your role."))
        raise NotAllowed(
            _("{name} is the last active administrator: the CRM needs at least one.").format(
                name=user.username))


@retrying_write
def modify_user(actor: Actor, user_id: int, version: int, data: UserInput) -> UserRecord:
    """Change a user's full name, role or active flag (a login is never renamed)."""
    with writing():
        permissions.check_manage_users(actor)
        user = get_or_raise(User, user_id, _("User"))
        if data.username not in (KEEP, None) and data.username != user.username:
            raise ValidationError(_("A user's login cannot be changed."), "username")
        new_full = _clean_full_name(_given_or(data.full_name, user.full_name))
        new_role = _clean_role(_given_or(data.role, user.role))
        new_active = bool(_given_or(data.active, user.active))
        _keep_one_admin(actor, user, new_role, new_active)
        update_versioned(User, user_id, version, actor,
                         {"full_name": new_full, "role": new_role, "active": new_active})
    return get_user(user_id)


def set_user_active(actor: Actor, user_id: int, version: int, active: bool) -> UserRecord:
    return modify_user(actor, user_id, version, UserInput(active=active))


def get_user(user_id: int) -> UserRecord:
    return _record(get_or_raise(User, user_id, _("User")))


def find_user(username: str) -> UserRecord | None:
    user = User.get_or_none(User.username == _name_as_given(username))
    return _record(user) if user else None


def _ids_matching(text: str, active_only: bool) -> list[int]:
    # A company has tens of users, not millions: folding in Python gives the same
    # accent-insensitive match on SQLite and PostgreSQL without a fold() in SQL.
    wanted = fold(text.strip())
    query = User.select(User.id, User.username, User.full_name)
    if active_only:
        query = query.where(User.active == True)  # noqa: E712
    return [u.id for u in query if wanted in fold(u.username) or wanted in fold(u.full_name)]


USERNAME_ORDER = "username"


def list_users(request: PageRequest = FIRST_PAGE, text: str = "", active_only: bool = False,
               order: str = USERNAME_ORDER, descending: bool = False) -> Page[UserRecord]:
    """One page of users, by username (the order a unique index keeps)."""
    if order != USERNAME_ORDER:
        raise ValidationError(_("The list cannot be sorted by {order}.").format(order=order), "order")
    query = User.select()
    if active_only:
        query = query.where(User.active == True)  # noqa: E712
    if clean_line(text):
        query = query.where(User.id.in_(_ids_matching(text, active_only)))
    return keyset_page(query, [User.username], descending, request, _record)


def lookup_users(text: str, limit: int = 10) -> list[UserRecord]:
    """Active users whose username or full name contains `text` (accents and case ignored)."""
    query = User.select().where(User.active == True)  # noqa: E712
    if clean_line(text):
        query = query.where(User.id.in_(_ids_matching(text, True)))
    return [_record(u) for u in query.order_by(User.username).limit(max(1, int(limit)))]
