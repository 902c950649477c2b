"""The six UN languages: which one a response speaks, and which way it is written.

A response's language is, in order: the signed-in person's account setting (`User.locale`), the
browser's cookie (`LANGUAGE_COOKIE`, set by the switcher in the header), the best match of the
browser's `Accept-Language`, English. Emails are rendered in their recipient's language
(`consult.mail.recipient_locale`), whatever the request that sends them speaks.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

DEFAULT = "en"
# Each language's name in itself: the switcher shows these untranslated, so that a person who
# cannot read the page's language still finds their own.
NATIVE_NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
COOKIE_MAX_AGE = 365 * 24 * 3600


def languages() -> tuple[str, ...]:
    """The languages this installation offers (config `LANGUAGES`)."""
    return tuple(current_app.config["LANGUAGES"])


def known(code: str | None) -> str | None:
    """`code` if it is one of the offered languages, else None."""
    if code and code in languages():
        return code
    return None


def select_locale() -> str:
    """Flask-Babel's locale selector: the account, the cookie, Accept-Language, English."""
    if not has_request_context():  # emails rendered by CLI commands choose with force_locale
        return DEFAULT
    user = current_user._get_current_object() if current_user else None
    chosen = known(getattr(user, "locale", None)) if user is not None and user.is_authenticated else None
    if chosen is None:
        chosen = known(request.cookies.get(current_app.config["LANGUAGE_COOKIE"]))
    if chosen is None:
        # The default first: "Accept-Language: *" (or a tie) gets English.
        offered = sorted(languages(), key=lambda code: code != DEFAULT)
        chosen = request.accept_languages.best_match(offered)
    return chosen or DEFAULT


def direction(locale: object) -> str:
    """ "rtl" for languages written right to left, else "ltr" (`<html dir>`)."""
    return "rtl" if str(locale).split("_")[0] in RIGHT_TO_LEFT else "ltr"


def html_lang(locale: object) -> str:
    """The BCP 47 tag for `<html lang>`: the catalogue's code, with Chinese marked Simplified (so
    browsers pick Simplified glyphs)."""
    code = str(locale).replace("_", "-")
    return "zh-Hans" if code == "zh" else code


def choices() -> list[tuple[str, str]]:
    """(code, name in itself) for every offered language, for the switcher and the account."""
    return [(code, NATIVE_NAMES.get(code, code)) for code in languages()]


def remember(response, code: str) -> None:
    """Set the browser's language cookie on `response`."""
    config = current_app.config
    response.set_cookie(
        config["LANGUAGE_COOKIE"],
        code,
        max_age=COOKIE_MAX_AGE,
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def email_locale(user: object) -> str:
    """The language of a person's notifications and digests: their account's, else English."""
    return known(getattr(user, "locale", None)) or DEFAULT
