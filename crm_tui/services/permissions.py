"""Who may write what: one check per kind of change, called by every writing service with
its actor, so the screens, the command line and any script get the same answer.

The role is read from the database inside the writing transaction rather than trusted
from the `Actor` the caller holds: an account an administrator deactivated or demoted
while its owner kept the CRM open is refused at its next change.

Roles: an administrator may change everything; an agent (the technicians) works on the
catalogs, orders and opportunities, but changes only the activities that are its own
(logged by it, for it, or assigned to it) and the opportunities in its charge, and never
users or opportunity types. Nobody deletes a record that others use.
"""
from __future__ import annotations

from typing import Callable

from crm_tui.db.models import User
from crm_tui.i18n import _, ngettext
from crm_tui.services.base import Actor
from crm_tui.services.errors import NotAllowed, PermissionDenied


def stored_role(actor: Actor) -> str:
    """The actor's role as the database holds it now; refuses an unknown or inactive account."""
    row = User.select(User.role, User.active).where(User.id == actor.id).first()
    if row is None or not row.active:
        raise PermissionDenied(
            _("Your account {name} is not an active user of this CRM any more: nothing was saved. "
              "Ask an administrator.").format(name=actor.username))
    return row.role


def _is_admin(actor: Actor) -> bool:
    return stored_role(actor) == User.ADMIN


def check_may_write(actor: Actor) -> None:
    """Any active user may add and change clients, contacts, categories, projects and
    service orders."""
    stored_role(actor)


def check_manage_users(actor: Actor) -> None:
    if not _is_admin(actor):
        raise PermissionDenied(_("Only an administrator can add or change users."))


def check_manage_catalog(actor: Actor, what: str) -> None:
    """A catalog only administrators change (`what`: its translated name, plural)."""
    if not _is_admin(actor):
        raise PermissionDenied(_("Only an administrator can change the {what}.").format(what=what))


# --- activities -------------------------------------------------------------------------


def owns_activity(actor: Actor, user_id: int | None, created_by: str) -> bool:
    """Whether the activity is the actor's: logged for it or by it."""
    return actor.id == user_id or actor.username == created_by


def may_change_activity(actor: Actor, user_id: int | None, created_by: str,
                        assignee_id: int | None) -> bool:
    """What a screen asks before offering a change (the role the actor signed in with)."""
    return actor.is_admin or owns_activity(actor, user_id, created_by) or actor.id == assignee_id


def may_delete_activity(actor: Actor, user_id: int | None, created_by: str) -> bool:
    return actor.is_admin or owns_activity(actor, user_id, created_by)


def check_add_activity(actor: Actor, user_id: int) -> None:
    """An agent logs activities as itself; only an administrator logs one for someone else."""
    if not _is_admin(actor) and user_id != actor.id:
        raise PermissionDenied(
            _("Only an administrator can log an activity in another user's name."))


def check_change_activity(actor: Actor, folio: int, user_id: int | None, created_by: str,
                          assignee_id: int | None, owner_name: str) -> None:
    if _is_admin(actor) or owns_activity(actor, user_id, created_by) or actor.id == assignee_id:
        return
    raise PermissionDenied(
        _("Activity {folio} belongs to {owner}: only they, the one it is assigned to or an "
          "administrator can change it.").format(folio=folio, owner=owner_name or created_by))


def check_delete_activity(actor: Actor, folio: int, user_id: int | None, created_by: str,
                          owner_name: str) -> None:
    if _is_admin(actor) or owns_activity(actor, user_id, created_by):
        return
    raise PermissionDenied(
        _("Only {author} (who logged activity {folio}) or an administrator can delete it.").format(
            author=owner_name or created_by, folio=folio))


# --- opportunities ------------------------------------------------------------------------


def check_change_opportunity(actor: Actor, number: int, agent_id: int, created_by: str,
                             agent_name: str) -> None:
    """The opportunity's agent, who registered it, or an administrator changes it."""
    if _is_admin(actor) or actor.id == agent_id or actor.username == created_by:
        return
    raise PermissionDenied(
        _("Opportunity {number} is in the charge of {agent}: only they or an administrator "
          "can change it.").format(number=number, agent=agent_name))


# --- deleting what others use -------------------------------------------------------------

_USE_PHRASES: dict[str, Callable[[int], str]] = {
    "contacts": lambda n: ngettext("{count} contact", "{count} contacts", n),
    "projects": lambda n: ngettext("{count} project", "{count} projects", n),
    "projects_in_charge": lambda n: ngettext("{count} project in its charge",
                                             "{count} projects in its charge", n),
    "activities": lambda n: ngettext("{count} activity", "{count} activities", n),
    "orders": lambda n: ngettext("{count} service order", "{count} service orders", n),
    "opportunities": lambda n: ngettext("{count} opportunity", "{count} opportunities", n),
}


def _uses_text(counts: dict[str, int]) -> str:
    """'12 activities and 3 service orders' for the non-zero counts."""
    phrases = [_USE_PHRASES[what](n).format(count=n) for what, n in counts.items() if n]
    if len(phrases) == 1:
        return phrases[0]
    return _("{first} and {last}").format(first=", ".join(phrases[:-1]), last=phrases[-1])


def check_delete_unused(actor: Actor, counts: dict[str, int], message: str, name: str) -> None:
    """Any active user deletes a record nobody uses; a used one is refused for everybody
    (`message` names it with {name} and says what uses it with {uses})."""
    stored_role(actor)
    if any(counts.values()):
        raise NotAllowed(message.format(name=name, uses=_uses_text(counts)))
