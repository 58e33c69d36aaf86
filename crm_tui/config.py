"""Where crm_tui keeps its things: the config file and the default database file.

The config file is TOML (read with tomllib) holding simple settings such as
`database = "..."`, `theme = "..."` and `language = "..."`. It is written back as plain
TOML, atomically, so a crash never leaves half a file.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import platformdirs

from crm_tui.i18n import _

APP_NAME = "crm_tui"
CONFIG_FILE_NAME = "config.toml"
DATABASE_FILE_NAME = "crm.db"
DATABASE_ENVIRONMENT_VARIABLE = "CRM_DATABASE_URL"
CONFIG_ENVIRONMENT_VARIABLE = "CRM_CONFIG"


class ConfigError(Exception):
    """The config file cannot be read or written; the message is one line for the user."""


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    """The config file: $CRM_CONFIG when set, else config.toml in the user's config folder."""
    override = os.environ.get(CONFIG_ENVIRONMENT_VARIABLE, "").strip()
    return Path(override).expanduser() if override else config_dir() / CONFIG_FILE_NAME


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_database_path() -> Path:
    """The SQLite file used when nothing else names a database."""
    return data_dir() / DATABASE_FILE_NAME


def load_config() -> dict[str, Any]:
    """The settings in the config file; an empty dict when there is no file yet."""
    path = config_path()
    try:
        with path.open("rb") as stream:
            text = stream.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(_("Cannot read the config file {path}: {detail}").format(
            path=path, detail=exc.strerror or exc)) from exc
    import tomllib  # only when there is a file: the parser is a start-up cost otherwise

    try:
        return tomllib.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(_("The config file {path} is not valid TOML: {detail}").format(
            path=path, detail=str(exc).splitlines()[0])) from exc


def save_config(values: dict[str, Any]) -> Path:
    """Replace the config file with `values` (scalars and one level of tables)."""
    import tempfile  # only to write: not a start-up cost

    path = config_path()
    text = to_toml(values)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(_("Cannot write the config file {path}: {detail}").format(
            path=path, detail=exc.strerror or exc)) from exc
    return path


def update_config(**changes: Any) -> Path:
    """Change some settings and keep the others (e.g. update_config(theme="nord"))."""
    values = load_config()
    values.update(changes)
    return save_config(values)


def resolve_database_url(cli_value: str | None) -> str:
    """The database to use: --db, then $CRM_DATABASE_URL, then the config file, then the
    default file in the user's data folder."""
    if cli_value and cli_value.strip():
        return cli_value.strip()
    from_environment = os.environ.get(DATABASE_ENVIRONMENT_VARIABLE, "").strip()
    if from_environment:
        return from_environment
    configured = load_config().get("database")
    if isinstance(configured, str) and configured.strip():
        return configured.strip()
    return str(default_database_path())


def is_default_database(url: str) -> bool:
    return Path(url).expanduser() == default_database_path()


# --- writing TOML -------------------------------------------------------------------


def to_toml(values: dict[str, Any]) -> str:
    """Plain TOML for a dict of scalars (str, bool, int, float, dates, lists) and tables."""
    lines = [f"{_toml_key(key)} = {_toml_value(value)}"
             for key, value in values.items() if not isinstance(value, dict)]
    for key, value in values.items():
        if isinstance(value, dict):
            lines.append("")
            lines.append(f"[{_toml_key(key)}]")
            lines.extend(f"{_toml_key(inner)} = {_toml_value(item)}" for inner, item in value.items())
    return "\n".join(lines) + "\n"


def _toml_key(key: Any) -> str:
    text = str(key)
    if text and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in text):
        return text
    return _toml_string(text)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    escaped = []
    for ch in text:
        if ch == "\\":
            escaped.append("\\\\")
        elif ch == '"':
            escaped.append('\\"')
        elif ch == "\n":
            escaped.append("\\n")
        elif ch == "\t":
            escaped.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04x}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'
