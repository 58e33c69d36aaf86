"""A form built from field specs: validates as you type, saves with F8, knows if it is dirty."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from crm_tui.i18n import _
from crm_tui.services import catalogs, orders, users
from crm_tui.services import fields as declared
from crm_tui.services.errors import ServiceError, ValidationError
from crm_tui.services.failures import FAILURES, user_message
from crm_tui.widgets.dates import DateInput, DateTimeInput
from crm_tui.widgets.lookup import LookupField, describe_record
from crm_tui.widgets.one_line import OneLineInput
from crm_tui.widgets.safe import SafeTextArea, plain

# The kinds are the declarations' (services/fields.py); named here too for the screens.
TEXT = declared.TEXT
MULTILINE = declared.MULTILINE
WHOLE = declared.WHOLE
DATE = declared.DATE
DATETIME = declared.DATETIME
CHOICE = declared.CHOICE
LOOKUP = declared.LOOKUP
BOOL = declared.BOOL
KINDS = declared.KINDS
# Starts every error line: an error reads as one without colours too (NO_COLOR, 16 colours).
ERROR_SIGN = "✗ "

# Where a declared lookup source finds its records: lookup(text, limit, **narrowing).
# Looked up when called, so the service function in use is always the current one.
LOOKUP_FUNCTIONS: dict[str, Callable[..., list]] = {
    "client": lambda text, limit, **narrowing: catalogs.lookup_clients(text, limit, **narrowing),
    "contact": lambda text, limit, **narrowing: catalogs.lookup_contacts(text, limit, **narrowing),
    "project": lambda text, limit, **narrowing: catalogs.lookup_projects(text, limit, **narrowing),
    "user": lambda text, limit, **narrowing: users.lookup_users(text, limit, **narrowing),
    "category": lambda text, limit, **narrowing: catalogs.lookup_categories(text, limit, **narrowing),
    "order": lambda text, limit, **narrowing: orders.lookup_orders(text, limit, **narrowing),
    "opportunity_type": lambda text, limit, **narrowing: catalogs.lookup_opportunity_types(text, limit,
                                                                                          **narrowing),
}
assert set(LOOKUP_FUNCTIONS) == set(declared.LOOKUP_SOURCES), "every declared lookup source has a function"


def error_text(message: str) -> str:
    return ERROR_SIGN + message if message else ""


def chosen_text(field_name: str) -> Callable[[Any], str]:
    """How a record names what a lookup field holds: `client_id` reads the record's
    `client_key` (or `client_number`) and `client_name`."""
    prefix = field_name.removesuffix("_id")

    def read(record: Any, attribute: str) -> Any:
        return record.get(attribute) if isinstance(record, dict) else getattr(record, attribute, None)

    def text_of(record: Any) -> str:
        key = read(record, f"{prefix}_key")
        if key is None:
            key = read(record, f"{prefix}_number")
        name = read(record, f"{prefix}_name") or ""
        return " ".join(str(part) for part in (key, name) if part not in (None, ""))

    return text_of


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form, as the widget needs it. Screens pass declared `Field`s
    (services/fields.py), which form_field() turns into these."""

    name: str
    label: str  # N_() marked, translated when shown
    kind: str = TEXT
    required: bool = False
    max_length: int | None = None
    choices: tuple[tuple[Any, str], ...] = ()  # (value, N_ label) for kind=choice
    lookup: Callable[..., list] | None = None  # lookup(text, limit) for kind=lookup
    describe: Callable[[Any], str] = describe_record  # how a looked-up record reads
    display: Callable[[Any], str] | None = None  # text of the saved choice, from the record
    read_only: bool = False
    help: str = ""  # N_() marked hint shown under the field
    # (lookup parameter, field) pairs: the lookup is narrowed by what other fields hold,
    # e.g. (("client_id", "client_id"),) looks up only the chosen client's contacts.
    lookup_filter: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None  # WHOLE
    maximum: int | None = None  # WHOLE
    shown_when: str | None = None  # shown only while this other field has a value
    shown_for: tuple[Any, ...] = ()  # ... one of these values, when given


def form_field(field: declared.Field, *, read_only: bool = False, help: str | None = None) -> FieldSpec:
    """The form's view of a declared field; a lookup source becomes its lookup function."""
    lookup = LOOKUP_FUNCTIONS[field.lookup] if field.lookup is not None else None
    return FieldSpec(field.name, field.label, field.kind, required=field.required, max_length=field.max_length,
                     choices=field.choices, lookup=lookup,
                     display=chosen_text(field.name) if lookup is not None else None,
                     read_only=read_only, help=field.help if help is None else help,
                     lookup_filter=field.lookup_filter, minimum=field.minimum, maximum=field.maximum,
                     shown_when=field.shown_when, shown_for=field.shown_for)


def as_spec(field: declared.Field | FieldSpec) -> FieldSpec:
    return field if isinstance(field, FieldSpec) else form_field(field)


@dataclass
class _FieldState:
    spec: FieldSpec
    touched: bool = False
    error: str = ""


class Form(VerticalScroll):
    """Fields from specs, one under the other, each with its error line."""

    # A save still running after this long is waiting for the database: the user is told.
    SLOW_SAVE_SECONDS = 1.0

    class Saved(Message):
        def __init__(self, form: "Form", result: Any) -> None:
            super().__init__()
            self.form = form
            self.result = result

        @property
        def control(self) -> "Form":
            return self.form

    class SaveRefused(Message):
        """The service refused the save for a reason that is no one field's (a conflict,
        a record deleted meanwhile); the form shows the reason at its top."""

        def __init__(self, form: "Form", error: ServiceError) -> None:
            super().__init__()
            self.form = form
            self.error = error

        @property
        def control(self) -> "Form":
            return self.form

    def __init__(self, fields: Sequence[declared.Field | FieldSpec],
                 save: Callable[[dict[str, Any]], Any] | None = None,
                 record: Any = None, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        specs = [as_spec(field) for field in fields]
        self.specs = {spec.name: spec for spec in specs}
        self.save_callable = save
        self.record = record
        self._states = {spec.name: _FieldState(spec) for spec in specs}
        self._snapshot: dict[str, Any] = {}
        self._saving = False
        # The message at the top stands for the fields' own errors: it goes with the last.
        self._form_error_is_fields = False

    # --- building ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="form-error", classes="form-error")
        yield Static("", id="form-status", classes="form-status")
        for spec in self.specs.values():
            marker = " *" if spec.required else ""
            classes = "field-row -tall" if spec.kind == MULTILINE else "field-row"
            with Horizontal(classes=classes, id=f"row-{spec.name}"):
                yield Label(plain(_(spec.label) + marker), classes="field-label", id=f"label-{spec.name}")
                yield self._make_widget(spec)
            if spec.help:
                yield Static(plain(_(spec.help)), classes="field-help", id=f"help-{spec.name}")
            yield Static("", id=f"error-{spec.name}", classes="field-error")
            yield Static("", id=f"typed-{spec.name}", classes="field-typed")

    def _make_widget(self, spec: FieldSpec) -> Widget:
        widget_id = f"field-{spec.name}"
        if spec.kind == MULTILINE:
            widget = SafeTextArea(id=widget_id, soft_wrap=True, show_line_numbers=False, classes="multiline",
                              compact=True)
        elif spec.kind == DATE:
            widget = DateInput(id=widget_id, compact=True)
        elif spec.kind == DATETIME:
            widget = DateTimeInput(id=widget_id, compact=True)
        elif spec.kind == CHOICE:
            widget = Select([(plain(_(label)), value) for value, label in spec.choices], id=widget_id,
                            allow_blank=not spec.required, prompt=_("Choose"), compact=True)
        elif spec.kind == LOOKUP:
            widget = LookupField(self._lookup_of(spec), spec.describe, id=widget_id, own_hint=False)
        elif spec.kind == BOOL:
            widget = Checkbox(plain(_("Yes")), id=widget_id, compact=True)
        else:
            widget = OneLineInput(id=widget_id, compact=True)
        if spec.read_only:
            widget.disabled = True
        return widget

    def _lookup_of(self, spec: FieldSpec) -> Callable[..., list]:
        if not spec.lookup_filter:
            return spec.lookup

        def narrowed(text: str, limit: int) -> list:
            narrowing = {parameter: self.raw_value(field) for parameter, field in spec.lookup_filter}
            return spec.lookup(text, limit, **narrowing)

        return narrowed

    def on_mount(self) -> None:
        if self.record is not None:
            self.fill(self.record)
        self._show_fields()
        self._snapshot = self.values()
        self._follow_fields_that_show_others()

    def _follow_fields_that_show_others(self) -> None:
        """A field another is shown for shows or hides it as its value changes, before
        the next key: a Tab typed right after ticking a box goes to the field it shows."""
        for name in {spec.shown_when for spec in self.specs.values() if spec.shown_when}:
            widget = self.widget_for(name)
            if isinstance(widget, (Checkbox, Select, Input)):
                self.watch(widget, "value", lambda _value: self._show_fields(), init=False)

    # --- values --------------------------------------------------------------------

    def widget_for(self, name: str) -> Widget:
        return self.query_one(f"#field-{name}")

    def raw_value(self, name: str) -> Any:
        spec = self.specs[name]
        widget = self.widget_for(name)
        if spec.kind == MULTILINE:
            return widget.text
        if spec.kind == CHOICE:
            return None if widget.value is Select.NULL else widget.value
        if spec.kind == LOOKUP:
            return widget.value
        if spec.kind == BOOL:
            return widget.value
        return widget.value

    def values(self) -> dict[str, Any]:
        """What the form holds, dates and whole numbers parsed (what does not parse stays
        text). A hidden field holds nothing: what was typed there is not saved."""
        raw = {name: self.raw_value(name) for name in self.specs}
        result: dict[str, Any] = {}
        for name, spec in self.specs.items():
            if not self._shown(name, raw):
                result[name] = self._empty_value(spec)
                continue
            value = raw[name]
            if spec.kind in (DATE, DATETIME):
                try:
                    value = self.widget_for(name).parsed(_(spec.label))
                except ValidationError:
                    pass
            elif spec.kind == WHOLE:
                value = self._whole_number(value)
            result[name] = value
        return result

    @staticmethod
    def _empty_value(spec: FieldSpec) -> Any:
        if spec.kind in (TEXT, MULTILINE):
            return ""
        if spec.kind == BOOL:
            return False
        return None

    @staticmethod
    def _whole_number(text: Any) -> Any:
        """The number typed, None when empty; text that is no whole number stays text."""
        stripped = "" if text is None else str(text).strip()
        if not stripped:
            return None
        try:
            return int(stripped)
        except ValueError:
            return stripped

    # --- fields shown only when another has a value ---------------------------------

    def _shown(self, name: str, raw: dict[str, Any] | None = None) -> bool:
        if raw is None:
            raw = {other: self.raw_value(other) for other in self.specs}
        return declared.is_shown(self.specs[name], raw, self.specs)

    def is_shown(self, name: str) -> bool:
        """Whether the field is on show now (its "shown when" field has a value)."""
        return self._shown(name)

    def _show_fields(self) -> None:
        """Shows the fields whose "shown when" field has a value and hides the others,
        with their help, error and "you typed" lines.

        A hidden field's row keeps its place at no height, its widget disabled (not
        display: none): the focus order is by position on screen, and a row that comes
        back takes effect for a Tab typed right after, before the screen is laid out."""
        if not any(spec.shown_when for spec in self.specs.values()):
            return
        raw = {name: self.raw_value(name) for name in self.specs}
        for name, spec in self.specs.items():
            shown = self._shown(name, raw)
            row = self.query_one(f"#row-{name}")
            if row.has_class("-hidden-field") != shown:
                continue
            row.set_class(not shown, "-hidden-field")
            row.styles.height = None if shown else 0
            self.widget_for(name).disabled = spec.read_only or not shown
            for help_line in self.query(f"#help-{name}"):
                help_line.display = shown
            if not shown:
                self.show_field_error(name, "")
                self.query_one(f"#typed-{name}", Static).display = False

    def fill(self, record: Any) -> None:
        """Show a record's values (attributes or dict keys named like the fields)."""
        for name, spec in self.specs.items():
            value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
            self.set_value(name, value, record)
        self._snapshot = self.values()

    def set_value(self, name: str, value: Any, record: Any = None) -> None:
        spec = self.specs[name]
        widget = self.widget_for(name)
        if spec.kind == MULTILINE:
            widget.load_text("" if value is None else str(value))
        elif spec.kind in (DATE, DATETIME):
            if isinstance(value, (dt.date, dt.datetime)) or value is None:
                widget.set_date(value)
            else:
                widget.value = str(value)
        elif spec.kind == CHOICE:
            widget.value = Select.NULL if value in (None, "") else value
        elif spec.kind == LOOKUP:
            text = spec.display(record) if (spec.display and record is not None and value) else ""
            widget.set_choice(value, text)
        elif spec.kind == BOOL:
            widget.value = bool(value)
        else:
            widget.value = "" if value is None else str(value)
        self._show_fields()

    def shown_text(self, name: str) -> str:
        """The field as the user reads it on screen (a lookup's text, a choice's label)."""
        spec = self.specs[name]
        widget = self.widget_for(name)
        if spec.kind == MULTILINE:
            return widget.text
        if spec.kind == CHOICE:
            labels = {value: _(label) for value, label in spec.choices}
            return labels.get(self.raw_value(name), "")
        if spec.kind == LOOKUP:
            return widget.text
        if spec.kind == BOOL:
            return _("Yes") if widget.value else _("No")
        return widget.value

    def shown_texts(self) -> dict[str, str]:
        return {name: self.shown_text(name) for name in self.specs}

    def field_state(self, name: str) -> tuple[Any, str, Any]:
        """What one field holds, as put_back() takes it again: its value, its text and (a
        lookup) the record chosen."""
        chosen = getattr(self.widget_for(name), "chosen_record", None)
        return self.raw_value(name), self.shown_text(name), chosen

    def put_back(self, name: str, state: tuple[Any, str, Any]) -> None:
        """Show again what field_state() read (what the user had typed there)."""
        raw, text, chosen = state
        if self.specs[name].kind == LOOKUP:
            self.widget_for(name).set_choice(raw, text, chosen)
            self._show_fields()
        else:
            self.set_value(name, raw)

    def texts_of(self, record: Any) -> dict[str, str]:
        """How `record` reads in this form, field by field; the form keeps what it holds."""
        held = {name: self.field_state(name) for name in self.specs}
        snapshot = self._snapshot
        self.fill(record)
        texts = self.shown_texts()
        for name, state in held.items():
            self.put_back(name, state)
        self._snapshot = snapshot
        return texts

    def show_typed(self, typed: dict[str, str]) -> None:
        """Under each field named, what the user had typed there (after a reload showed
        the stored record instead); the other fields show nothing extra."""
        for name in self.specs:
            line = self.query_one(f"#typed-{name}", Static)
            text = typed.get(name)
            line.update(plain(_("You typed: {text}").format(text=text), one_line=True) if text is not None
                        else "")
            line.display = text is not None

    @property
    def dirty(self) -> bool:
        return self.values() != self._snapshot

    def changed_fields(self) -> list[str]:
        """The fields the user changed since the form was filled or saved."""
        values = self.values()
        return [name for name in self.specs if values[name] != self._snapshot.get(name)]

    def mark_clean(self) -> None:
        self._snapshot = self.values()

    # --- validation ----------------------------------------------------------------

    def check_field(self, name: str) -> str:
        """The error of one field as it stands ("" when fine)."""
        spec = self.specs[name]
        label = _(spec.label)
        value = self.raw_value(name)
        if spec.kind in (DATE, DATETIME):
            try:
                parsed = self.widget_for(name).parsed(label)
            except ValidationError as error:
                return error.message
            if spec.required and parsed is None:
                return _("{field} is required.").format(field=label)
            return ""
        if spec.kind == LOOKUP:
            lookup: LookupField = self.widget_for(name)
            if value is None and lookup.choice_hint():
                return "{field}: {hint}".format(field=label, hint=lookup.choice_hint())
            if value is None and lookup.text.strip():
                return _("{field}: choose one of the matches (type a key or part of the name, then Tab or Enter).").format(
                    field=label)
            if spec.required and value is None:
                return _("{field} is required.").format(field=label)
            return ""
        if spec.kind == BOOL:
            return ""
        if spec.kind == WHOLE:
            return self._check_whole(spec, value)
        text = "" if value is None else str(value)
        stripped = text.strip() if spec.kind == TEXT else text.rstrip()
        if spec.required and not stripped:
            return _("{field} is required.").format(field=label)
        if spec.max_length and len(stripped) > spec.max_length:
            return _("{field} can have at most {maximum} characters ({length} typed).").format(
                field=label, maximum=spec.max_length, length=len(stripped))
        return ""

    def _check_whole(self, spec: FieldSpec, text: Any) -> str:
        label = _(spec.label)
        number = self._whole_number(text)
        if number is None:
            return _("{field} is required.").format(field=label) if spec.required else ""
        if not isinstance(number, int):
            return _("{field} must be a whole number ('{text}' is not).").format(field=label, text=number)
        if spec.minimum is not None and spec.maximum is not None and not spec.minimum <= number <= spec.maximum:
            return _("{field} must be from {minimum} to {maximum}.").format(
                field=label, minimum=spec.minimum, maximum=spec.maximum)
        if spec.minimum is not None and number < spec.minimum:
            return _("{field} must be at least {minimum}.").format(field=label, minimum=spec.minimum)
        if spec.maximum is not None and number > spec.maximum:
            return _("{field} must be at most {maximum}.").format(field=label, maximum=spec.maximum)
        return ""

    def show_field_error(self, name: str, message: str) -> None:
        self._states[name].error = message
        error_line = self.query_one(f"#error-{name}", Static)
        error_line.update(plain(error_text(message)))
        error_line.set_class(bool(message), "-shown")
        self.widget_for(name).set_class(bool(message), "-invalid")
        if not message and self._form_error_is_fields and not self.errors():
            self.show_form_error("")

    def show_form_error(self, message: str, *, of_fields: bool = False) -> None:
        """The message at the top of the form; `of_fields`: it only sums up the fields'
        errors, and goes once no field shows one."""
        self._form_error_is_fields = of_fields and bool(message)
        form_error = self.query_one("#form-error", Static)
        form_error.update(plain(error_text(message)))
        form_error.set_class(bool(message), "-shown")

    def validate_all(self) -> bool:
        first_bad = None
        raw = {name: self.raw_value(name) for name in self.specs}
        self._ask_for_choices(raw)
        for name in self.specs:
            message = self.check_field(name) if self._shown(name, raw) else ""
            self._states[name].touched = True
            self.show_field_error(name, message)
            if message and first_bad is None:
                first_bad = name
        if first_bad is not None:
            self.widget_for(first_bad).focus()
            return False
        return True

    def _ask_for_choices(self, raw: dict[str, Any]) -> None:
        """A lookup holding a text not looked up as a whole yet (F8 typed right behind it)
        says, as Tab would, how many records the text names."""
        for name, spec in self.specs.items():
            if spec.kind == LOOKUP and raw[name] is None and self._shown(name, raw):
                self.widget_for(name).ask_if_several()

    def forget_checks(self) -> None:
        """Start afresh (a form cleared for the next record): no field shows an error
        until it is typed in or saved again."""
        for name, state in self._states.items():
            state.touched = False
            self.show_field_error(name, "")
        self.show_form_error("")

    def errors(self) -> dict[str, str]:
        return {name: state.error for name, state in self._states.items() if state.error}

    def _field_name_of(self, widget: Widget | None) -> str | None:
        while widget is not None and widget is not self:
            if widget.id and widget.id.startswith("field-") and widget.id[6:] in self.specs:
                return widget.id[6:]
            widget = widget.parent
        return None

    def _edited(self, widget: Widget | None) -> None:
        name = self._field_name_of(widget)
        if name is None:
            return
        state = self._states[name]
        if not state.touched and not self._has_content(name):
            return
        state.touched = True
        message = self.check_field(name)
        if message and self._being_typed(name):
            message = ""  # half a date is not wrong yet: it is checked once whole or left
        self.show_field_error(name, message)

    def _being_typed(self, name: str) -> bool:
        widget = self.widget_for(name)
        return isinstance(widget, DateInput) and widget.being_typed

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark_current_row()
        if isinstance(event.widget, DateInput):
            self._edited(event.widget)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark_current_row()

    def _mark_current_row(self) -> None:
        """The row of the field being typed in is marked (its label shows in reverse).

        Read from the focus as it is now: the blur of one field and the focus of the next
        may arrive in either order."""
        name = self._field_name_of(self.screen.focused)
        for row in self.query(".field-row"):
            row.set_class(row.id == f"row-{name}", "-current")

    def _has_content(self, name: str) -> bool:
        value = self.raw_value(name)
        return value not in (None, "", False)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(LookupField.Changed)
    def _changed(self, event: Message) -> None:
        control = getattr(event, "control", None)
        self._edited(control)
        self._show_fields()

    @on(LookupField.NeedsChoice)
    def _needs_choice(self, event: LookupField.NeedsChoice) -> None:
        """A lookup left with several matches says so at once, at its field."""
        name = self._field_name_of(event.lookup)
        if name is not None:
            self._states[name].touched = True
            self._edited(event.lookup)

    # --- saving --------------------------------------------------------------------

    def resolve_field(self, field_name: str | None) -> str | None:
        """The form field a service's ValidationError.field refers to."""
        if not field_name:
            return None
        for candidate in (field_name, f"{field_name}_id", field_name.removesuffix("_id")):
            if candidate in self.specs:
                return candidate
        return None

    @property
    def saving(self) -> bool:
        """A save is on its way to the database."""
        return self._saving

    def save(self) -> None:
        """Validate, then save in the background; errors are shown where they belong and
        Saved is posted when the record is stored.

        The save runs outside the screen's thread: waiting for another user's change to
        finish (SQLite lets one writer at a time) never freezes the screen.
        """
        if self._saving:
            return
        self.show_form_error("")
        if not self.validate_all():
            self.show_form_error(_("Some fields need attention (see below)."), of_fields=True)
            return
        if self.save_callable is None:
            return
        self._saving = True
        self.set_timer(self.SLOW_SAVE_SECONDS, self._say_still_saving)
        self._save_in_background(self.save_callable, self.values())

    def _say_still_saving(self) -> None:
        """Shown at the top of the form for as long as the save waits (a toast alone
        would go away long before the database's wait ends)."""
        if self._saving:
            message = _("Saving… waiting for another user's change to finish.")
            self._show_status(message)
            self.app.notify(message, markup=False)

    def _show_status(self, message: str) -> None:
        status = self.query_one("#form-status", Static)
        status.update(plain(message))
        status.set_class(bool(message), "-shown")
        if message:
            self.scroll_home(animate=False)

    @work(thread=True, group="form-save")
    def _save_in_background(self, save: Callable[[dict[str, Any]], Any], values: dict[str, Any]) -> None:
        try:
            result = save(values)
        except ServiceError as error:
            self.app.call_from_thread(self._save_refused, error)
            return
        except FAILURES as error:  # the database's own error: shown as one translated sentence
            self.app.call_from_thread(self._save_refused, ServiceError(user_message(error)))
            return
        except BaseException:
            self.app.call_from_thread(self._save_ended)
            raise
        self.app.call_from_thread(self._save_stored, result, values)

    def _save_ended(self) -> None:
        self._saving = False
        self._show_status("")

    def _save_refused(self, error: ServiceError) -> None:
        self._save_ended()
        if isinstance(error, ValidationError):
            name = self.resolve_field(error.field)
            if name is not None:
                self.show_field_error(name, error.message)
                self.widget_for(name).focus()
            self.show_form_error(error.message, of_fields=name is not None)
            return
        self.show_form_error(error.message)
        self.post_message(self.SaveRefused(self, error))

    def _save_stored(self, result: Any, values: dict[str, Any]) -> None:
        self._save_ended()
        self._snapshot = values  # what was typed meanwhile is still a change
        self.post_message(self.Saved(self, result))
