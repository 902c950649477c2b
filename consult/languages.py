"""The languages content is written in: the six UN languages, by their ISO 639-1 codes.

These are the languages of texts people write (a draft's clauses, a comment), not of the
interface: a draft version records its authoritative language and may carry translations,
a comment records the language it was written in. The interface's locale (Flask-Babel's
`get_locale()`) is only the first guess for both.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask_babel import get_locale

CONTENT_LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
DEFAULT_LANGUAGE = "en"


def parse_language(value: object) -> str | None:
    """`value` if it is one of the content languages' codes, else None (never an error)."""
    return value if isinstance(value, str) and value in CONTENT_LANGUAGES else None


@cache
def _name(code: str, in_locale: str) -> str:
    return Locale.parse(code).get_display_name(in_locale) or code


def native_name(code: str) -> str:
    """The language's name in itself ("français", "中文"): what a person looks for in a list."""
    return _name(code, code) if code in CONTENT_LANGUAGES else code


def language_name(code: str) -> str:
    """The language's name in the interface's language ("anglais" on a French page)."""
    if code not in CONTENT_LANGUAGES:
        return code
    locale = interface_locale()
    return _name(code, str(locale)) if locale is not None else native_name(code)


def text_direction(code: str) -> str:
    """ "rtl" for Arabic, "ltr" for the others (a `dir` attribute for text in that language)."""
    return "rtl" if code == "ar" else "ltr"


def interface_locale():
    """Flask-Babel's locale (None outside an application context)."""
    return get_locale()


def interface_language() -> str:
    """The content language matching the interface's locale ("zh" for zh_Hans_CN), else English."""
    locale = interface_locale()
    return parse_language(getattr(locale, "language", None)) or DEFAULT_LANGUAGE


def language_choices() -> list[tuple[str, str]]:
    """(code, name in itself) for a select, in the order of the codes."""
    return [(code, native_name(code)) for code in CONTENT_LANGUAGES]
