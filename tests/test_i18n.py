"""Both interface languages are complete, and the shipped catalogs match their sources."""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from crm_tui import i18n

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The sources do not change while the tests run: parse every module of the package
    # once, not once for each catalog, .mo and check the tests ask for.
    module.extract = functools.cache(module.extract)
    return module


def test_every_interface_string_has_a_spanish_translation():
    missing = _tool().missing("es")
    assert not missing, "no Spanish translation for: " + "; ".join(list(missing)[:20])


def test_the_shipped_catalogs_are_compiled_from_the_sources():
    tool = _tool()
    for language in ("es", "en"):
        shipped = tool.compiled_path(language, "mo").read_bytes()
        assert shipped == tool.mo_bytes(tool.catalog(language)), (
            f"crm_tui/locale/{language} is stale: run python3 tools/i18n.py compile")


def test_the_english_catalog_has_every_string():
    tool = _tool()
    assert set(tool.catalog("en")) == set(tool.extract())


def test_language_switch_changes_what_services_say():
    i18n.set_language("es")
    assert i18n._("{field} is required.") == "{field} es obligatorio."
    i18n.set_language("en")
    assert i18n._("{field} is required.") == "{field} is required."


def test_language_comes_from_the_locale(monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.language_from_environment() == "en"
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    assert i18n.language_from_environment() == "es"
