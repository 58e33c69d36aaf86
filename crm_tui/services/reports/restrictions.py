"""Restrictions typed by a person (the command line, the report screen) read into a
ReportFilter: dates in the interface's format, statuses in either language, a user,
client, contact or project by key or by name. The report screen's filter bar is built
from a dataclass of each report's restrictions (restriction_filter) and read back with
read_bar."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Callable

import peewee as pw

from crm_tui.db.models import Client, Contact, Project, User
from crm_tui.db.text import fold
from crm_tui.i18n import _
from crm_tui.services.base import DateRange, clean_line, parse_date
from crm_tui.services.errors import ValidationError
from crm_tui.services.filters import filter_field
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


# --- the report screen's filter bar ------------------------------------------------------

# Each restriction as a field of the filter bar's dataclass: its name, type and default.
_BAR_FIELDS = {
    DATES: ("dates", DateRange, DateRange()),
    USER: ("user_id", int | None, None),
    CLIENT: ("client_id", int | None, None),
    CONTACT: ("contact_id", int | None, None),
    PROJECT: ("project_id", int | None, None),
    STATUS: ("status", str | None, None),
    DAY: ("day", dt.date | None, None),
    ORDER: ("order_number", str, ""),
}
_bar_classes: dict[str, type] = {}


def bar_field(restriction: str) -> str:
    """The filter bar's field of a restriction (what a refusal names)."""
    return _BAR_FIELDS[restriction][0]


def restriction_filter(report: Report) -> type:
    """The report's restrictions as a filter dataclass, for a filter bar (services/filters.py):
    dates a range, a day a date, a user, client, contact or project a lookup, a status a
    choice among the report's statuses, an order number typed."""
    if report.name not in _bar_classes:
        fields = []
        for restriction in report.restrictions:
            name, kind, default = _BAR_FIELDS[restriction]
            choices = report.statuses()[0] if restriction == STATUS and report.statuses else None
            fields.append((name, kind, field(default=default, metadata=filter_field(
                RESTRICTION_LABELS[restriction], choices=choices))))
        _bar_classes[report.name] = make_dataclass(f"{report.name.title().replace('-', '')}Restrictions",
                                                   fields, frozen=True)
    return _bar_classes[report.name]


def read_bar(report: Report, chosen: Any) -> ReportFilter:
    """The ReportFilter of what the filter bar holds (`chosen`: an instance of
    restriction_filter(report)), with the report's defaults; a ValidationError names the
    bar's field it is about."""
    values = {name: getattr(chosen, name) for name in (bar_field(restriction) for restriction in report.restrictions)}
    order = values.pop("order_number", "")
    if order.strip():
        try:
            values["order_number"] = _key(order, _("Order number"))
        except ValidationError as error:
            raise ValidationError(error.message, "order_number") from error
    try:
        return report.prepared(ReportFilter(**{name: value for name, value in values.items() if value is not None}))
    except ValidationError as error:
        raise ValidationError(error.message, bar_field(error.field) if error.field in _BAR_FIELDS else error.field) \
            from error
