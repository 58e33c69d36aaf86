"""The system's printers through CUPS' command line: `lpstat` lists them and names the
default, `lp` takes the text on its standard input. `crm report --print` and the report
screen both print through here."""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Iterable

from crm_tui.i18n import _

# Seconds `lp` and `lpstat` may take before the printing system counts as not answering.
PRINT_TIMEOUT = 30


class PrintError(Exception):
    """Printing cannot go on; `usage` when the printer asked for is the wrong one."""

    def __init__(self, message: str, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def _run(command: list[str], text_in: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, input=text_in, capture_output=True, text=True, timeout=PRINT_TIMEOUT,
                              env={**os.environ, "LC_ALL": "C"} if command[0] == "lpstat" else None)
    except subprocess.TimeoutExpired as exc:
        raise PrintError(_("The printing system did not answer ({command}).").format(command=command[0])) from exc
    except OSError as exc:
        raise PrintError(_("Cannot run {command}: {reason}").format(command=command[0],
                                                                   reason=exc.strerror or exc)) from exc


def printers() -> list[str]:
    """The printers the system knows (lpstat -e); none when lpstat is missing."""
    if shutil.which("lpstat") is None:
        return []
    found = _run(["lpstat", "-e"])
    return [line.strip() for line in found.stdout.splitlines() if line.strip()] if found.returncode == 0 else []


def default_printer() -> str | None:
    found = _run(["lpstat", "-d"])
    text = found.stdout.strip() if found.returncode == 0 else ""
    return text.rsplit(":", 1)[1].strip() or None if ":" in text else None


def available_printers() -> tuple[list[str], str | None]:
    """The printers to choose from and the system's default among them; a PrintError
    saying why when there is nothing to print on."""
    if shutil.which("lp") is None:
        raise PrintError(_("Cannot print: the lp command is missing (install the CUPS client, cups-client)."))
    known = printers()
    if not known:
        raise PrintError(_("Cannot print: no printer is set up on this system (lpstat lists none)."))
    chosen = default_printer()
    return known, chosen if chosen in known else None


def choose_printer(requested: str | None) -> str:
    known, default = available_printers()
    if requested:
        if requested not in known:
            raise PrintError(_("There is no printer {name}; the printers are: {names}.").format(
                name=requested, names=", ".join(known)), usage=True)
        return requested
    if default is not None:
        return default
    if len(known) == 1:
        return known[0]
    raise PrintError(_("There is no default printer: choose one with --printer ({names}).").format(
        names=", ".join(known)), usage=True)


def send_to_printer(printer: str, title: str, lines: Iterable[str]) -> None:
    """The lines as one job on `printer`, 12 characters an inch (80 columns on A4 or letter)."""
    text = "".join(line + "\n" for line in lines)
    done = _run(["lp", "-d", printer, "-t", title, "-o", "cpi=12", "-o", "lpi=7", "-"], text)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise PrintError(_("The printer refused the report: {reason}").format(
            reason=reason[0] if reason else done.returncode))
