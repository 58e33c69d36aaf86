"""Who is using the CRM: the account the process runs as, and the registered, active
user behind a login. Apart from users.py (managing users), so that opening the CRM
loads only this before its first frame.
"""
from __future__ import annotations

import os
import pwd
from typing import Any

from crm_tui.db.models import User
from crm_tui.i18n import _
from crm_tui.services.base import Actor
from crm_tui.services.errors import NotAllowed, NotFound


def _actor(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=user.role)


def _name_as_given(username: Any) -> str:
    """A login to look up, exactly as given: cleaning it could turn `lu<ESC>pe`, which
    is nobody, into `lupe`, who is someone (stored names hold no control characters)."""
    return "" if username is None else str(username).strip()


def identify(username: str) -> Actor:
    """The registered, active user behind an OS login; refuses anybody else."""
    name = _name_as_given(username)
    user = User.get_or_none(User.username == name)
    if user is None:
        raise NotAllowed(
            _("The user {name} is not registered in this CRM: ask an administrator to add you "
              "with `crm user add {name}`.").format(name=name))
    if not user.active:
        raise NotAllowed(
            _("The user {name} is deactivated in this CRM: ask an administrator to "
              "reactivate the account.").format(name=name))
    return _actor(user)


def database_has_users() -> bool:
    return User.select().exists()


def system_login() -> str:
    """The account this process runs as, from the operating system (not from $USER or
    $LOGNAME, which anybody can set to any name)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError as exc:
        raise NotAllowed(_("Cannot tell who you are: your account (uid {uid}) has no name on this "
                           "server.").format(uid=os.getuid())) from exc


def system_actor(username: str, login: str | None = None) -> Actor:
    """Who acts when someone runs the command line: `username`, a registered, active user
    with the role the CRM gives it. The person's own `login` (the system login unless
    given) may name another user only when it is itself an active CRM administrator."""
    own = system_login() if login is None else login
    name = _name_as_given(username)
    if name == own:
        return identify(own)
    if not identify(own).is_admin:
        raise NotAllowed(_("Only a CRM administrator can act as another user (--user): "
                           "you are {name}.").format(name=own))
    if User.get_or_none(User.username == name) is None:
        raise NotFound(_("There is no user {name}.").format(name=name))
    return identify(name)
