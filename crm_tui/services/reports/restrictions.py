"""Restrictions typed by a person (the command line, the report screen) read into a
ReportFilter: dates in the interface's format, statuses in either language, a user,
client, contact or project by key or by name."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import peewee as pw

from crm_tui.db.models import Client, Contact, Project, User
from crm_tui.db.text import fold
from crm_tui.i18n import _
from crm_tui.services.base import DateRange, clean_line, parse_date
from crm_tui.services.errors import ValidationError
from crm_tui.services.reports import (
    CLIENT,
    CONTACT,
    DATES,
    DAY,
    ORDER,
    PROJECT,
    RESTRICTION_LABELS,
    STATUS,
    USER,
    Report,
    ReportFilter,
)

MAX_KEY = 2_147_483_647
# Names shown when a name matches several records.
SHOWN_MATCHES = 3


@dataclass(frozen=True)
class TypedRestrictions:
    """The restrictions as typed; None for those not given."""

    date_from: str | None = None
    date_to: str | None = None
    day: str | None = None
    user: str | None = None
    client: str | None = None
    contact: str | None = None
    project: str | None = None
    status: str | None = None
    order: str | None = None

    def given(self) -> dict[str, Any]:
        names = {DATES: self.date_from or self.date_to, DAY: self.day, USER: self.user, CLIENT: self.client,
                 CONTACT: self.contact, PROJECT: self.project, STATUS: self.status, ORDER: self.order}
        return {name: value for name, value in names.items() if value is not None}


def read_restrictions(report: Report, typed: TypedRestrictions) -> ReportFilter:
    """The filter `typed` means for `report`; a ValidationError (one line) otherwise."""
    for name in typed.given():
        if name not in report.restrictions:
            raise ValidationError(_("The report {report} does not take {restriction}; it takes: {accepted}.").format(
                report=report.name, restriction=_(RESTRICTION_LABELS[name]).lower(),
                accepted=", ".join(_(RESTRICTION_LABELS[accepted]).lower() for accepted in report.restrictions)
                or "-"), name)
    values: dict[str, Any] = {}
    if typed.date_from or typed.date_to:
        values["dates"] = DateRange(parse_date(typed.date_from, "from", _("From")),
                                    parse_date(typed.date_to, "to", _("To"))).check("dates", _("Dates"))
    if typed.day is not None:
        values["day"] = parse_date(typed.day, "day", _("Day"), required=True)
    if typed.status is not None:
        if report.statuses is None:
            raise ValidationError(_("The report {report} does not take a status.").format(report=report.name),
                                  "status")
        values["status"] = report.statuses()[1](typed.status)
    if typed.order is not None:
        values["order_number"] = _key(typed.order, _("Order number"))
    for name, field, finder in ((USER, "user_id", user_id), (CLIENT, "client_id", client_id),
                                (CONTACT, "contact_id", contact_id), (PROJECT, "project_id", project_id)):
        text = typed.given().get(name)
        if text is not None:
            values[field] = finder(text)
    return report.prepared(ReportFilter(**values))


def _key(text: str, label: str) -> int:
    value = clean_line(text)
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_KEY:
        raise ValidationError(_("{field}: {value!r} is not a number.").format(field=label, value=value[:40]),
                              "key")
    return int(value)


def _by_key_or_name(text: str, label: str, model: type[pw.Model], by_key: Callable[[int], Any],
                    by_name: Callable[[str], list[tuple[int, str]]]) -> int:
    value = clean_line(text)
    if not value:
        raise ValidationError(_("{field} is empty.").format(field=label), "key")
    if value.isascii() and value.isdigit():
        record = by_key(_key(value, label))
        if record is None:
            raise ValidationError(_("{field}: there is none with key {key}.").format(field=label, key=value), "key")
        return record
    matches = by_name(value)
    exact = [(record_id, name) for record_id, name in matches if fold(name) == fold(value)]
    matches = exact or matches
    if len(matches) == 1:
        return matches[0][0]
    if not matches:
        raise ValidationError(_("{field}: nothing is called {name!r}.").format(field=label, name=value[:40]), "key")
    names = ", ".join(name for _id, name in matches[:SHOWN_MATCHES])
    raise ValidationError(_("{field}: {name!r} names several ({names}…): give the key.").format(
        field=label, name=value[:40], names=names), "key")


def _named(model: type[pw.Model], value: str) -> list[tuple[int, str]]:
    wanted = fold(value)
    query = (model.select(model.id, model.name).where(model.name_folded.contains(wanted))
             .order_by(model.name_folded, model.id).limit(SHOWN_MATCHES + 20))
    return [(row.id, row.name) for row in query]


def _keyed(model: type[pw.Model]) -> Callable[[int], int | None]:
    def find(key: int) -> int | None:
        record = model.get_or_none(model.key == key)
        return record.id if record else None
    return find


def client_id(text: str) -> int:
    return _by_key_or_name(text, _("Client"), Client, _keyed(Client), lambda value: _named(Client, value))


def contact_id(text: str) -> int:
    return _by_key_or_name(text, _("Contact"), Contact, _keyed(Contact), lambda value: _named(Contact, value))


def project_id(text: str) -> int:
    return _by_key_or_name(text, _("Project"), Project, _keyed(Project), lambda value: _named(Project, value))


def user_id(text: str) -> int:
    """A user by login (as given) or by full name (accents and case ignored)."""
    value = clean_line(text)
    record = User.get_or_none(User.username == value)
    if record is not None:
        return record.id
    wanted = fold(value)
    users = [(user.id, user.full_name or user.username) for user in User.select(User.id, User.username, User.full_name)
             if wanted and (wanted == fold(user.full_name) or wanted in fold(user.full_name))]
    exact = [(user_id, name) for user_id, name in users if fold(name) == wanted]
    users = exact or users
    if len(users) == 1:
        return users[0][0]
    if not users:
        raise ValidationError(_("There is no user {name}.").format(name=value[:40]), "user")
    raise ValidationError(_("{field}: {name!r} names several ({names}…): give the login.").format(
        field=_("User"), name=value[:40], names=", ".join(name for _id, name in users[:SHOWN_MATCHES])), "user")
