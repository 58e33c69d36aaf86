"""What the order screens share: a form with the screen's own checks, and an order told
in lines. Their fields are the declarations in services/orders.py."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from crm_tui.i18n import _
from crm_tui.services import orders
from crm_tui.services.base import format_datetime
from crm_tui.services.fields import Field
from crm_tui.widgets.form import FieldSpec, Form


def order_input(values: dict[str, Any]) -> orders.OrderInput:
    return orders.OrderInput(**{name: values.get(name) for name in orders.ORDER.names()})


class CheckedForm(Form):
    """A form with checks of its screen before the field's own (an order number that
    names no order, or a closed one, is told at the field, as typed)."""

    def __init__(self, specs: Sequence[Field | FieldSpec], save: Callable[[dict[str, Any]], Any] | None = None,
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
