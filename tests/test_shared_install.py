"""`crm init --shared-group`: two Unix users of a group write the database, a third user
outside it cannot read it (needs root to create the users), and the app keeps it so."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from crm_tui.cli import main
from crm_tui.db import close_database, open_database
from crm_tui.db.connection import SHARED_UMASK
from crm_tui.db.models import Category, now

# A Python every user may run (the tests' own may live under root's home).
SYSTEM_PYTHON = next((path for path in ("/usr/bin/python3", "/usr/local/bin/python3", sys.executable)
                      if os.path.exists(path) and os.stat(os.path.realpath(path)).st_mode & stat.S_IXOTH), "")
# Run by each Unix user: write a row with the system's sqlite3 (no access to the checkout
# needed) and, while the connection is open, tell the -wal/-shm files' mode and group.
WRITE_A_ROW = """
import os, sqlite3, stat, sys
path, name = sys.argv[1], sys.argv[2]
connection = sqlite3.connect(path, timeout=10)
with connection:
    connection.execute("INSERT INTO category (name, name_folded, active, created_at, created_by, "
                       "updated_at, updated_by, version) VALUES (?, ?, 1, '2026-12-01', ?, '2026-12-01', ?, 1)",
                       (name, name, name, name))
for suffix in ("-wal", "-shm"):
    details = os.stat(path + suffix)
    print(suffix, oct(stat.S_IMODE(details.st_mode)), details.st_gid)
connection.close()
"""
READ_IT = """
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM category").fetchone()[0])
"""


def _needs_root_and_useradd() -> str:
    if os.geteuid() != 0:
        return "creating Unix users and groups needs root"
    missing = [tool for tool in ("useradd", "groupadd", "userdel", "groupdel", "runuser") if not shutil.which(tool)]
    if not SYSTEM_PYTHON:
        missing.append("a python3 that every user may run")
    return f"missing {', '.join(missing)}" if missing else ""


@pytest.fixture
def team():
    """A group with two members and one user outside it; removed afterwards."""
    reason = _needs_root_and_useradd()
    if reason:
        pytest.skip(f"shared-group test skipped: {reason}")
    suffix = f"{os.getpid() % 100000}"
    group, members, outsider = f"crmteam{suffix}", [f"crma{suffix}", f"crmb{suffix}"], f"crmx{suffix}"
    subprocess.run(["groupadd", group], check=True)
    try:
        for login in members:
            subprocess.run(["useradd", "-M", "-G", group, login], check=True)
        subprocess.run(["useradd", "-M", outsider], check=True)
        yield group, members, outsider
    finally:
        for login in (*members, outsider):
            subprocess.run(["userdel", login], capture_output=True)
        subprocess.run(["groupdel", group], capture_output=True)


def _as(login: str, script: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", login, "--", SYSTEM_PYTHON, "-c", script, *arguments],
                          capture_output=True, text=True, timeout=60, cwd="/")


def test_two_members_write_and_an_outsider_cannot_read(team, capsys):
    group, members, outsider = team
    gid = __import__("grp").getgrnam(group).gr_gid
    top = Path(tempfile.mkdtemp(prefix="crm-shared-"))
    top.chmod(0o755)  # the way in, as /srv is; the team folder below is what closes it
    previous_umask = os.umask(0o022)
    try:
        database_file = top / "crm" / "crm.db"
        code = main(["--lang", "en", "init", "--shared-group", group, "--db", str(database_file)])
        out = capsys.readouterr().out
        close_database()
        assert code == 0, out
        assert f"belongs to the group {group} with mode 2770" in out
        assert f"crm.db, crm.db-wal, crm.db-shm: group {group}, mode 0660" in out
        folder = database_file.parent.stat()
        assert (stat.S_IMODE(folder.st_mode), folder.st_gid) == (0o2770, gid)
        assert (stat.S_IMODE(database_file.stat().st_mode), database_file.stat().st_gid) == (0o660, gid)

        for login in members:
            written = _as(login, WRITE_A_ROW, str(database_file), login)
            assert written.returncode == 0, written.stderr
            # The -wal/-shm a member's connection made are the group's, 0660.
            assert written.stdout.split() == ["-wal", "0o660", str(gid), "-shm", "0o660", str(gid)]
        assert _as(members[0], READ_IT, str(database_file)).stdout.strip() == "2"

        refused = _as(outsider, READ_IT, str(database_file))
        assert refused.returncode != 0 and "unable to open database file" in refused.stderr
        assert _as(outsider, "print(open(__import__('sys').argv[1], 'rb').read(1))",
                   str(database_file)).returncode != 0
    finally:
        os.umask(previous_umask)
        shutil.rmtree(top, ignore_errors=True)


def test_the_app_opening_a_shared_database_keeps_new_files_the_groups(tmp_path, capsys):
    group = __import__("grp").getgrgid(os.getegid()).gr_name
    database_file = tmp_path / "team" / "crm.db"
    previous_umask = os.umask(0o022)
    try:
        assert main(["--lang", "en", "init", "--shared-group", group, "--db", str(database_file)]) == 0
        close_database()
        os.umask(0o022)
        open_database(str(database_file))
        assert os.umask(SHARED_UMASK) == SHARED_UMASK
        moment = now()
        Category.create(name="Visita", name_folded="visita", created_at=moment, updated_at=moment)
        for suffix in ("", "-wal", "-shm"):
            assert stat.S_IMODE(os.stat(f"{database_file}{suffix}").st_mode) == 0o660
        (tmp_path / "team" / "export.txt").write_text("a later file")
        assert stat.S_IMODE((tmp_path / "team" / "export.txt").stat().st_mode) == 0o660
    finally:
        close_database()
        os.umask(previous_umask)
    capsys.readouterr()


def test_a_folder_holding_other_files_is_left_alone_and_said(tmp_path, capsys):
    group = __import__("grp").getgrgid(os.getegid()).gr_name
    (tmp_path / "notes.txt").write_text("private")
    previous_umask = os.umask(0o022)
    try:
        code = main(["--lang", "en", "init", "--shared-group", group, "--db", str(tmp_path / "crm.db")])
        out = capsys.readouterr().out
    finally:
        close_database()
        os.umask(previous_umask)
    assert code == 1
    assert f"Not done: Left the folder {tmp_path} as it was: it holds other files" in out
    assert stat.S_IMODE((tmp_path / "crm.db").stat().st_mode) == 0o660
    assert not tmp_path.stat().st_mode & stat.S_ISGID


def test_a_team_folder_already_shared_is_kept_whatever_else_it_holds(tmp_path, capsys):
    group = __import__("grp").getgrgid(os.getegid()).gr_name
    folder = tmp_path / "team"
    folder.mkdir()
    folder.chmod(0o2770)
    (folder / "crm.db.before-restore").write_text("the copy replaced by a restore")
    previous_umask = os.umask(0o022)
    try:
        code = main(["--lang", "en", "init", "--shared-group", group, "--db", str(folder / "crm.db")])
        out = capsys.readouterr().out
    finally:
        close_database()
        os.umask(previous_umask)
    assert code == 0, out
    assert f"The folder {folder} belongs to the group {group} with mode 2770" in out
    assert stat.S_IMODE((folder / "crm.db").stat().st_mode) == 0o660
