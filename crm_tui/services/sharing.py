"""A SQLite database shared by a Unix group on one server (`crm init --shared-group`).

The folder is the group's, setgid (new files keep its group) and closed to everyone else
(2770: SQLite makes and removes the -wal and -shm files next to the database, so the group
writes the folder); the database and its -wal/-shm are 0660 in that group. What needs
root (giving a file to a group the user is not in) is reported, never retried with sudo.
"""
from __future__ import annotations

import grp
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from crm_tui.db.connection import SHARED_UMASK
from crm_tui.i18n import _
from crm_tui.services.errors import ValidationError

FOLDER_MODE = 0o2770
FILE_MODE = 0o660
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass
class SharingReport:
    done: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)


def group_id(group: str) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ValidationError(
            _("The group {group} does not exist: create it with sudo groupadd {group}, then add each "
              "person with sudo usermod -aG {group} LOGIN.").format(group=group), "shared_group") from None


def prepare_folder(database_file: Path, group: str, report: SharingReport) -> None:
    """Make the database's folder the group's (created when missing), before the file exists."""
    gid = group_id(group)
    folder = database_file.parent
    if not folder.exists():
        folder.mkdir(parents=True)
        report.done.append(_("Created the folder {folder}.").format(folder=folder))
    elif _is_shared(folder, gid):
        pass  # already the group's, as a restore or a second run finds it
    elif _holds_other_files(database_file):
        report.not_done.append(
            _("Left the folder {folder} as it was: it holds other files, which would be opened to the "
              "group. Put the database in a folder of its own (e.g. /srv/crm/crm.db).").format(folder=folder))
        return
    _give_to_group(folder, gid, group, report)
    _set_mode(folder, FOLDER_MODE, report)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if folder.stat().st_gid == gid and mode == FOLDER_MODE:
        report.done.append(
            _("The folder {folder} belongs to the group {group} with mode 2770: new files keep the group "
              "and nobody outside it can enter.").format(folder=folder, group=group))
    elif folder.stat().st_gid == gid and not mode & stat.S_ISGID:
        report.not_done.append(
            _("The folder {folder} could not be made setgid (only root or a member of {group} can): "
              "sudo chmod 2770 {folder}").format(folder=folder, group=group))


def share_files(database_file: Path, group: str, report: SharingReport) -> None:
    """The database and its -wal/-shm (those that exist now): the group's, mode 0660."""
    gid = group_id(group)
    shared = []
    for candidate in (Path(f"{database_file}{suffix}") for suffix in DATABASE_SUFFIXES):
        if not candidate.exists():
            continue
        _give_to_group(candidate, gid, group, report)
        _set_mode(candidate, FILE_MODE, report)
        details = candidate.stat()
        if details.st_gid == gid and stat.S_IMODE(details.st_mode) == FILE_MODE:
            shared.append(candidate.name)
    if shared:
        report.done.append(_("{files}: group {group}, mode 0660 (read and written by the group only).").format(
            files=", ".join(shared), group=group))
    if not _in_group(gid):
        report.not_done.append(
            _("You are not in the group {group}: add yourself and each person who uses the CRM with "
              "sudo usermod -aG {group} LOGIN (it applies at their next login).").format(group=group))


def keep_group_access() -> None:
    """From now on this process creates files the group may read and write, others nothing."""
    os.umask(SHARED_UMASK)


def _is_shared(folder: Path, gid: int) -> bool:
    details = folder.stat()
    return details.st_gid == gid and stat.S_IMODE(details.st_mode) == FOLDER_MODE


def _holds_other_files(database_file: Path) -> bool:
    own = {database_file.name + suffix for suffix in DATABASE_SUFFIXES}
    return any(entry.name not in own for entry in database_file.parent.iterdir())


def _give_to_group(path: Path, gid: int, group: str, report: SharingReport) -> None:
    if path.stat().st_gid == gid:
        return
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        report.not_done.append(
            _("Could not give {path} to the group {group}: only root can give a file to a group its "
              "owner is not in. Run: sudo chgrp {group} {path}").format(path=path, group=group))


def _set_mode(path: Path, mode: int, report: SharingReport) -> None:
    if stat.S_IMODE(path.stat().st_mode) == mode:
        return
    try:
        path.chmod(mode)
    except PermissionError:
        report.not_done.append(
            _("Could not set the mode of {path} to {mode:o}: it is not yours. Run: sudo chmod {mode:o} {path}"
              ).format(path=path, mode=mode))


def _in_group(gid: int) -> bool:
    return os.geteuid() == 0 or gid == os.getegid() or gid in os.getgroups()
