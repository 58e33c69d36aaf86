#!/usr/bin/env python3
"""Set up the project's virtual environment, then open the app or run the tests.

    python3 dev.py run [crm arguments...]   open crm_tui on its default SQLite database
    python3 dev.py test [pytest arguments...] run the whole test suite

Only the standard library is used here, so it works on a fresh machine with Python 3.11+.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"


def _requirements_fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit("crm_tui needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _requirements_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    print("Installing crm_tui and its dependencies ...", flush=True)
    subprocess.check_call(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[postgres,test]"],
    )
    STAMP.write_text(fingerprint)


# The suite runs on every core (pytest-xdist); tests that must share one process, such as
# those around a PostgreSQL cluster of their own, are kept together by xdist_group marks.
PARALLEL_ARGUMENTS = ["-n", "auto", "--dist", "loadgroup"]


def test_arguments(rest: list[str]) -> list[str]:
    """The suite's arguments, in parallel unless they choose the workers themselves."""
    chosen = any(arg.startswith(("-n", "--numprocesses", "--dist")) for arg in rest)
    without_xdist = "no:xdist" in rest or "-pno:xdist" in rest
    return rest if chosen or without_xdist else [*PARALLEL_ARGUMENTS, *rest]


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    ensure_environment()
    if command == "run":
        return subprocess.call([str(BIN / "crm"), *rest])
    if command == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", *test_arguments(rest)], cwd=ROOT)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
