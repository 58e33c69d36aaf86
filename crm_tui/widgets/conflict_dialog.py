"""What a save that met another user's newer version asks: field by field, keep what you
typed or take what is stored now; or cancel, and nothing typed is lost."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from crm_tui.i18n import N_, _
from crm_tui.services.conflicts import FieldConflict
from crm_tui.widgets.chrome import CrmFooter
from crm_tui.widgets.safe import plain


class ConflictDialog(ModalScreen[dict[str, bool] | None]):
    """Dismisses with {field name: keep mine} for every field listed, or None (cancel).

    A field the user changed starts as "keep mine"; one only the other user changed starts
    as "take the stored one"."""

    BINDINGS = [
        Binding("f8", "apply", N_("Apply"), id="conflict_apply"),
        Binding("f2", "keep_all", N_("All mine"), id="conflict_keep_all",
                tooltip=N_("Keep what you typed in every field")),
        Binding("f3", "take_all", N_("All stored"), id="conflict_take_all",
                tooltip=N_("Take what is stored now in every field")),
        Binding("escape", "cancel", N_("Cancel"), id="conflict_cancel"),
    ]

    def __init__(self, conflicts: list[FieldConflict], stored_by: str) -> None:
        super().__init__()
        self.conflicts = conflicts
        self.stored_by = stored_by

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog conflict-dialog"):
            yield Static(plain(_("Stored by {who} while you were editing. Nothing of yours is saved yet: "
                                 "for each field, tick to keep yours or untick to take the stored one.")
                               .format(who=self.stored_by)), classes="dialog-question", id="conflict-question")
            with VerticalScroll(id="conflict-fields"):
                for conflict in self.conflicts:
                    yield Checkbox(plain(self._choice_label(conflict, conflict.you_changed)),
                                   value=conflict.you_changed, id=f"keep-{conflict.name}", compact=True)
                    yield Static(plain(_("  yours:  {text}").format(text=conflict.yours or "—"), one_line=True),
                                 classes="conflict-yours")
                    yield Static(plain(_("  stored: {text}").format(text=conflict.stored or "—"), one_line=True),
                                 classes="conflict-stored")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(_("F8 Apply")), variant="primary", id="apply", compact=True)
                yield Button(plain(_("F2 All mine")), id="keep-all", compact=True)
                yield Button(plain(_("F3 All stored")), id="take-all", compact=True)
                yield Button(plain(_("Esc Cancel")), id="cancel", compact=True)
        yield CrmFooter(show_command_palette=False)

    @staticmethod
    def _choice_label(conflict: FieldConflict, keep_mine: bool) -> str:
        # Said in words: a ticked and an unticked box differ only by colour, lost without it.
        text = _("Keep mine: {field}") if keep_mine else _("Take the stored one: {field}")
        return text.format(field=conflict.label)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        for conflict in self.conflicts:
            if event.checkbox.id == f"keep-{conflict.name}":
                event.checkbox.label = plain(self._choice_label(conflict, event.value))

    def on_mount(self) -> None:
        boxes = self.query(Checkbox)
        if boxes:
            boxes.first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {"apply": self.action_apply, "keep-all": self.action_keep_all,
                   "take-all": self.action_take_all, "cancel": self.action_cancel}
        actions[event.button.id]()

    def choices(self) -> dict[str, bool]:
        return {conflict.name: self.query_one(f"#keep-{conflict.name}", Checkbox).value
                for conflict in self.conflicts}

    def action_apply(self) -> None:
        self.dismiss(self.choices())

    def _tick_all(self, keep_mine: bool) -> None:
        for box in self.query(Checkbox):
            box.value = keep_mine

    def action_keep_all(self) -> None:
        self._tick_all(True)
        self.dismiss(self.choices())

    def action_take_all(self) -> None:
        self._tick_all(False)
        self.dismiss(self.choices())

    def action_cancel(self) -> None:
        self.dismiss(None)
