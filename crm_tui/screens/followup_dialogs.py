"""The home screen's small dialogs: the follow-up note of [Ok] / [Pend], and [Cargar
Actividades] (whose activities, which client or contact, which days, which status)."""
from __future__ import annotations

from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import get_current_worker

from crm_tui.i18n import N_, _
from crm_tui.services import catalogs, users
from crm_tui.services.followup_filter import ANY_STATUS, DONE, PENDING, FollowupFilter
from crm_tui.services.base import DateRange, format_date
from crm_tui.services.errors import ConflictError, ValidationError
from crm_tui.services.failures import user_message
from crm_tui.widgets.chrome import CrmFooter
from crm_tui.widgets.dates import DateInput
from crm_tui.widgets.lookup import LookupField
from crm_tui.widgets.safe import SafeTextArea, plain


class NoteDialog(ModalScreen[Any]):
    """Asks for the follow-up note and saves it (`save(notes)`, in a worker). A refusal
    (a conflict, an empty note) is shown here and the text stays; Esc cancels."""

    BINDINGS = [
        Binding("f8", "save", N_("Save"), id="note_save"),
        Binding("escape", "cancel", N_("Cancel"), id="note_cancel"),
    ]

    def __init__(self, question: str, notes: str, save: Callable[[str], Any],
                 reread: Callable[[], str] | None = None) -> None:
        # `reread()`, after another user's change, reads the record again (the next F8
        # goes over it) and says who changed it and how it stands now.
        super().__init__()
        self.question = question
        self.notes = notes
        self.save_note = save
        self.reread = reread
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog note-dialog"):
            yield Static(plain(self.question), classes="dialog-question")
            yield SafeTextArea(self.notes, id="note")
            yield Static("", id="note-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("Save F8")), variant="primary", id="save", compact=True)
                yield Button(plain(_("Cancel")), id="cancel", compact=True)
        yield CrmFooter(show_command_palette=False)

    def on_mount(self) -> None:
        note = self.query_one("#note", SafeTextArea)
        note.focus()
        note.move_cursor(note.document.end)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#note-error", Static).update("")
        self._save(self.query_one("#note", SafeTextArea).text)

    @work(thread=True, exclusive=True, group="followup-note")
    def _save(self, notes: str) -> None:
        worker = get_current_worker()
        try:
            result = self.save_note(notes)
        except ConflictError as exc:
            message = exc.message
            if self.reread is not None:
                try:
                    message = self.reread()
                except Exception as failure:  # noqa: BLE001 - shown at the note
                    message = user_message(failure)
            if not worker.is_cancelled:
                self.app.call_from_thread(self._refused, message)
            return
        except Exception as exc:  # noqa: BLE001 - every refusal is shown at the note
            if not worker.is_cancelled:
                self.app.call_from_thread(self._refused, user_message(exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.dismiss, result)

    def _refused(self, message: str) -> None:
        self.saving = False
        self.query_one("#note-error", Static).update(plain("✗ " + message))

    def action_cancel(self) -> None:
        self.dismiss(None)


STATUS_CHOICES = ((N_("Pending"), PENDING), (N_("Done"), DONE), (N_("All activities"), ANY_STATUS))


class LoadActivitiesDialog(ModalScreen[Any]):
    """[Cargar Actividades]: answers (FollowupFilter, the names shown for it), or None."""

    BINDINGS = [
        Binding("f8", "load", N_("Load"), id="load_apply"),
        Binding("escape", "cancel", N_("Cancel"), id="load_cancel"),
    ]

    def __init__(self, filters: FollowupFilter, names: dict[str, str]) -> None:
        super().__init__()
        self.filters = filters
        self.names = dict(names)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog load-dialog"):
            yield Static(plain(_("Load activities")), classes="screen-title")
            with Horizontal(classes="load-row"):
                yield Label(plain(_("User")))
                yield LookupField(users.lookup_users, id="load-person")
            with Horizontal(classes="load-row"):
                yield Label(plain(_("Client")))
                yield LookupField(catalogs.lookup_clients, id="load-client")
            with Horizontal(classes="load-row"):
                yield Label(plain(_("Contact")))
                yield LookupField(catalogs.lookup_contacts, id="load-contact")
            with Horizontal(classes="load-row"):
                yield Label(plain(_("From")))
                yield DateInput(format_date(self.filters.dates.start), id="load-from", compact=True)
                yield Label(plain(_("to")), classes="load-to")
                yield DateInput(format_date(self.filters.dates.end), id="load-to", compact=True)
            with Horizontal(classes="load-row"):
                yield Label(plain(_("Status")))
                yield Select([(plain(_(label)), value) for label, value in STATUS_CHOICES],
                             value=self.filters.status, allow_blank=False, id="load-status", compact=True)
            yield Static("", id="load-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("Load F8")), variant="primary", id="load", compact=True)
                yield Button(plain(_("Cancel")), id="cancel", compact=True)
        yield CrmFooter(show_command_palette=False)

    def on_mount(self) -> None:
        for key, value in (("person", self.filters.person_id), ("client", self.filters.client_id),
                           ("contact", self.filters.contact_id)):
            if value is not None:
                self.query_one(f"#load-{key}", LookupField).set_choice(value, self.names.get(key, ""))
        self.query_one("#load-person", LookupField).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "load":
            self.action_load()
        else:
            self.action_cancel()

    @on(Input.Submitted, "DateInput")
    def _date_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_load()

    def action_load(self) -> None:
        try:
            start = self.query_one("#load-from", DateInput).parsed(_("From"))
            end = self.query_one("#load-to", DateInput).parsed(_("to"))
            dates = DateRange(start, end).check("dates", _("Dates"))
        except ValidationError as exc:
            self.query_one("#load-error", Static).update(plain("✗ " + exc.message))
            return
        names: dict[str, str] = {}
        ids: dict[str, int | None] = {}
        for key in ("person", "client", "contact"):
            lookup = self.query_one(f"#load-{key}", LookupField)
            if lookup.value is None and lookup.text.strip() and not lookup.accept_or_ask():
                message = lookup.choice_hint() or _("Choose one of the matches, or empty the field.")
                self.query_one("#load-error", Static).update(plain("✗ " + message))
                lookup.focus()
                return
            ids[key] = lookup.value
            if lookup.value is not None:
                names[key] = lookup.chosen_text
        status = self.query_one("#load-status", Select).value
        filters = FollowupFilter(person_id=ids["person"], client_id=ids["client"],
                                          contact_id=ids["contact"], dates=dates,
                                          status=status if isinstance(status, str) else PENDING)
        self.dismiss((filters, names))

    def action_cancel(self) -> None:
        self.dismiss(None)
