"""The real `crm` in a pseudo-terminal: keys in, every byte it writes kept, and a terminal
emulator (pyte) replaying those bytes to show what the user saw. No tests here."""
from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pyte

# What an xterm sends for these keys.
KEYS = {
    "enter": "\r",
    "down": "\x1b[B",
    "escape": "\x1b",
    "f2": "\x1bOQ",
    "f3": "\x1bOR",
    "f4": "\x1bOS",
    "f6": "\x1b[17~",
    "f8": "\x1b[19~",
    "ctrl+q": "\x11",
}

# A screen that is not there after this long means the app is stuck (the test fails, naming
# what it waited for): this is a limit for a hang, not a measure of speed.
WAIT_SECONDS = 90.0


class Terminal:
    """`argv` running on a pseudo-terminal of `columns` x `rows`."""

    def __init__(self, argv: list[str], env: dict[str, str], columns: int = 100, rows: int = 30) -> None:
        self.columns, self.rows = columns, rows
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _w, _x = select.select([self.master], [], [], 0.2)
            except (OSError, ValueError):
                return
            if not ready:
                if self.process.poll() is not None:
                    return
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output.extend(chunk)

    def bytes_written(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def screen(self) -> list[str]:
        """The terminal's lines as the user sees them after every byte written so far."""
        emulator = pyte.Screen(self.columns, self.rows)
        stream = pyte.ByteStream(emulator)
        stream.feed(self.bytes_written())
        return list(emulator.display)

    def screen_text(self) -> str:
        return "\n".join(self.screen())

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key).encode())
            # Esc alone must not be read as the start of the next key's sequence.
            time.sleep(0.3 if key == "escape" else 0.05)

    def wait_for(self, text: str, timeout: float = WAIT_SECONDS) -> str:
        """Wait until `text` is on the screen; returns the screen."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen_text()
            if text in shown:
                return shown
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the terminal; it shows:\n{shown}")
            time.sleep(0.2)

    def wait_until_gone(self, text: str, timeout: float = WAIT_SECONDS) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen_text()
            if text not in shown:
                return shown
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} stayed on the terminal; it shows:\n{shown}")
            time.sleep(0.2)

    def close(self) -> int:
        """Quit the app (Ctrl+Q), or end it if it does not listen."""
        if self.process.poll() is None:
            self.press("ctrl+q")
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        os.close(self.master)
        return self.process.returncode


def crm_command() -> list[str]:
    """The installed `crm` beside this Python, as a user starts it."""
    script = Path(sys.executable).with_name("crm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "crm_tui"]


def terminal_environment(home: Path, login: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TEXTUAL", "CRM_", "NO_COLOR", "COLUMNS", "LINES", "TMUX"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", HOME=str(home),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               USER=login, LOGNAME=login)
    env.update(extra)
    return env
