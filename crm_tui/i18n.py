"""Interface language: gettext catalogs for Spanish and English.

Source strings are English. `_()` translates at call time, so text built at import time
must be marked with `N_()` and translated where it is shown.
"""
from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

DOMAIN = "crm_tui"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"

# Chosen by set_language(); until then, on first use, the environment's language (so
# that `crm --lang en` never reads the Spanish catalog it does not show).
_translation: gettext.NullTranslations | None = None
_language = DEFAULT_LANGUAGE


def language_from_environment() -> str:
    """The language the locale asks for, when it is one we have; Spanish otherwise.

    The first locale variable that is set decides (as gettext reads them); "C" or a
    language we lack falls back to Spanish, the language of the office.
    """
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            code = value.split(":")[0][:2].lower()
            return code if code in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def set_language(language: str | None = None) -> str:
    """Load the catalog of `language` (or the locale's) and return the code in use."""
    global _translation, _language
    code = (language or language_from_environment())[:2].lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    _language = code
    return code


def _current() -> gettext.NullTranslations:
    if _translation is None:
        try:
            set_language(os.environ.get("CRM_LANG") or None)
        except ValueError:  # a bad CRM_LANG is reported by whoever reads it (the CLI)
            set_language(None)
    return _translation


def current_language() -> str:
    _current()
    return _language


def _(message: str) -> str:
    return _current().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _current().ngettext(singular, plural, count)


def in_every_language(message: str) -> tuple[str, ...]:
    """`message` in each interface language, the current one first (to read a word the
    user may type in either)."""
    language = current_language()
    ordered = (language, *(code for code in LANGUAGES if code != language))
    return tuple(_catalog(code).gettext(message) for code in ordered)


@functools.lru_cache(maxsize=None)
def _catalog(code: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet."""
    return message


def date_format() -> str:
    """strftime pattern for dates in the current language (dd/mm/aaaa in Spanish)."""
    return "%d/%m/%Y" if current_language() == "es" else "%Y-%m-%d"


def datetime_format() -> str:
    return date_format() + " %H:%M"
