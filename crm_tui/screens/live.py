"""Screens that follow what other users commit: the cheap check of services.changes
(PRAGMA data_version on SQLite, notifications on PostgreSQL), looked at on a timer."""
from __future__ import annotations

from textual import work


class FollowsChanges:
    """A Screen mixin. follow_changes() (on mount) opens the check in a thread; then every
    CHANGE_CHECK_SECONDS, while wants_change_check() says so, it looks, and calls
    others_changed() in the app's thread when another connection committed meanwhile.
    The check is closed when the screen goes."""

    CHANGE_CHECK_SECONDS = 0.5  # well within the 2 s the design promises
    _watch = None  # the open check (services.changes), once open

    def follow_changes(self) -> None:
        self._open_change_watch()

    def wants_change_check(self) -> bool:
        return True

    def others_changed(self) -> None:
        raise NotImplementedError

    def check_changes(self) -> None:
        if self._watch is not None and self.wants_change_check():
            self._poll_changes(self._watch)

    @work(thread=True, exclusive=True, group="change-watch")
    def _open_change_watch(self) -> None:
        from crm_tui.services.changes import watch_changes

        try:
            watch = watch_changes()
        except Exception:  # noqa: BLE001 - without it the screen still works, only not live
            return
        self.app.call_from_thread(self._change_watch_opened, watch)

    def _change_watch_opened(self, watch) -> None:
        if not self.is_attached:  # the screen left while the check was being opened
            watch.close()
            return
        self._watch = watch
        self.set_interval(self.CHANGE_CHECK_SECONDS, self.check_changes, name="change check")

    @work(thread=True, exclusive=True, group="change-watch-poll")
    def _poll_changes(self, watch) -> None:
        try:
            changed = watch.changed()
        except Exception:  # noqa: BLE001 - the next look tries again
            return
        if changed:
            self.app.call_from_thread(self.others_changed)

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
