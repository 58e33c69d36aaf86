"""What the order screens share: their form fields from the declarations in
services/orders.py, a form with the screen's own checks, and an order told in lines."""
from __future__ import annotations

from typing import Any, Callable

from crm_tui.i18n import _
from crm_tui.services import catalogs, orders, users
from crm_tui.services.base import format_datetime
from crm_tui.services.fields import Entity, Field, WHOLE
from crm_tui.widgets.form import TEXT, FieldSpec, Form

# What a LOOKUP field of the declarations looks records up with.
LOOKUPS: dict[str, Callable[..., list]] = {
    "project": lambda text, limit: catalogs.lookup_projects(text, limit),
    "contact": lambda text, limit: catalogs.lookup_contacts(text, limit),
    "user": lambda text, limit: users.lookup_users(text, limit),
    "category": lambda text, limit: catalogs.lookup_categories(text, limit),
    "order": lambda text, limit: orders.lookup_orders(text, limit),
}

# How an order shows the record a LOOKUP field holds (when the form opens a stored order).
ORDER_DISPLAY: dict[str, Callable[[Any], str]] = {
    "project_id": lambda order: order.project_name,
    "contact_id": lambda order: "{name} ({client})".format(name=order.contact_name, client=order.client_name),
    "assigned_user_id": lambda order: order.assigned_user_name,
    "category_id": lambda order: order.category_name,
}


def describe_order(order: orders.OrderRecord) -> str:
    """An order in a look-up list: number, status, contact and client, the detail's start."""
    return "{number} · {status} · {contact} ({client}) · {detail}".format(
        number=order.number, status=orders.status_label(order.status), contact=order.contact_name,
        client=order.client_name, detail=order.detail.splitlines()[0] if order.detail else "")


def spec_of(field: Field, **overrides: Any) -> FieldSpec:
    """The form field for a declared field (a whole number is typed as text and checked
    by the service)."""
    values: dict[str, Any] = dict(name=field.name, label=field.label,
                                  kind=TEXT if field.kind == WHOLE else field.kind,
                                  required=field.required, max_length=field.max_length,
                                  choices=field.choices, help=field.help)
    if field.lookup is not None:
        values["lookup"] = LOOKUPS[field.lookup]
    if field.lookup == "order":
        values["describe"] = describe_order
    return FieldSpec(**{**values, **overrides})


def specs_of(entity: Entity, **overrides_by_name: dict[str, Any]) -> list[FieldSpec]:
    return [spec_of(field, **overrides_by_name.get(field.name, {})) for field in entity.fields]


def order_specs(**overrides_by_name: dict[str, Any]) -> list[FieldSpec]:
    """The service order's form fields, showing a stored order's names."""
    for name, display in ORDER_DISPLAY.items():
        overrides_by_name.setdefault(name, {}).setdefault("display", display)
    return specs_of(orders.ORDER, **overrides_by_name)


def order_input(values: dict[str, Any]) -> orders.OrderInput:
    return orders.OrderInput(**{name: values.get(name) for name in orders.ORDER.names()})


class CheckedForm(Form):
    """A form with checks of its screen before the field's own (an order number that
    names no order, or a closed one, is told at the field, as typed)."""

    def __init__(self, specs: list[FieldSpec], save: Callable[[dict[str, Any]], Any] | None = None,
                 record: Any = None, *, checks: dict[str, Callable[[], str]] | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(specs, save, record, id=id, classes=classes)
        self.checks = checks or {}

    def check_field(self, name: str) -> str:
        check = self.checks.get(name)
        message = check() if check is not None else ""
        return message or super().check_field(name)

    def clear(self, initial: dict[str, Any]) -> None:
        """Empty every field (then `initial`), with no error left: ready for the next record."""
        self.fill(initial)
        for name, state in self._states.items():
            state.touched = False
            self.show_field_error(name, "")
        self.show_form_error("")


def order_lines(order: orders.OrderRecord) -> list[str]:
    """The order's data and where it is in its life, one fact a line."""
    def line(label: str, value: Any) -> str:
        return "{label}: {value}".format(label=label, value=value if value not in (None, "") else "—")

    lines = [
        line(_("Status"), orders.status_label(order.status)),
        line(orders.label("contact_id"), "{contact} ({client})".format(contact=order.contact_name,
                                                                      client=order.client_name)),
        line(orders.label("priority"), orders.priority_label(order.priority)),
        line(orders.label("assigned_user_id"), order.assigned_user_name),
        line(orders.label("appointment_at"), format_datetime(order.appointment_at)),
        line(orders.label("category_id"), order.category_name),
        line(orders.label("created"), "{when} ({who})".format(when=format_datetime(order.created_at),
                                                              who=order.created_by)),
        line(orders.label("finished"), format_datetime(order.finished_at)),
        line(_("Closed on"), format_datetime(order.closed_at)),
        line(_("Times reopened"), order.times_reopened),
    ]
    if order.rating is not None:
        lines.append(line(orders.label("rating"), order.rating))
    return lines


def entry_lines(entries: list[orders.EntryRecord]) -> list[str]:
    """Each service entry: when, who, minutes, whether it finished the service, the work."""
    if not entries:
        return [_("No service entries yet.")]
    lines = []
    for entry in entries:
        minutes = _("{minutes} min").format(minutes=entry.minutes) if entry.minutes is not None else ""
        finished = _("Service finished") if entry.service_finished else ""
        head = " · ".join(part for part in (format_datetime(entry.when), entry.user_name, minutes, finished)
                          if part)
        lines.append(head)
        lines.extend("  " + text for text in entry.work_done.splitlines() or [""])
    return lines


def review_lines(detail: orders.OrderDetail) -> list[str]:
    """The order's history, then each review with the customer's comments."""
    lines = [_("History")]
    lines.extend("  {when} · {who} · {what}".format(when=format_datetime(event.when), who=event.user_name,
                                                    what=event.what)
                 for event in orders.order_history(detail))
    if detail.reviews:
        lines.append(_("Reviews"))
        for review in detail.reviews:
            lines.append("  {when} · {who} · {action}".format(
                when=format_datetime(review.when), who=review.user_name,
                action=_(orders.REVIEW_ACTION_LABELS.get(review.action, review.action))))
            lines.extend("    " + text for text in review.customer_comments.splitlines())
    return lines
