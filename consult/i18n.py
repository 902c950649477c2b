"""The six UN languages: which one a response speaks, and which way it is written.

A response's language is, in order: the signed-in person's account setting (`User.locale`), the
browser's cookie (`LANGUAGE_COOKIE`, set by the switcher in the header), the page's suggestion
(`suggest`: an invitation opens in the language it was sent in), the best match of the browser's
`Accept-Language`, English. Emails are rendered in their recipient's language
(`consult.mail.recipient_locale`), whatever the request that sends them speaks.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_babel import Babel, Domain, format_decimal, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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
SUGGESTED = "suggested_locale"  # on `g`: see `suggest`


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
        chosen = known(g.get(SUGGESTED))  # a page's own suggestion: an invitation's language
    if chosen is None:
        # The default first: "Accept-Language: *" (or a tie) gets English.
        offered = sorted(languages(), key=lambda code: code != DEFAULT)
        chosen = request.accept_languages.best_match(offered)
    return chosen or DEFAULT


def suggest(code: str | None) -> None:
    """Let this response speak `code` unless the person or their browser chose a language (the
    invitation page opens in the language the inviter chose for the invitee)."""
    from flask_babel import refresh

    if known(code):
        g.setdefault(SUGGESTED, code)
        refresh()


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


# Numbers inside messages. A count in a sentence is written the reader's way ("1 234 commentaires",
# "12.345 comentarios"): every integer of a plural message (they are all counts) and the `num` of
# any message is formatted by Babel before it is put in. Other integers of singular messages are
# identifiers (version 3, row 12, line 40, error 404) and stay as they are.
_INTEGER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _counts_formatted(message: str, variables: dict[str, Any], plural: bool) -> tuple[str, dict[str, Any]]:
    counts = {name for name, value in variables.items() if _is_count(value) and (plural or name == "num")}
    if not counts:
        return message, variables
    message = _INTEGER_PLACEHOLDER.sub(lambda m: f"%({m[1]})s" if m[1] in counts else m[0], message)
    return message, {name: _count(value) if name in counts else value for name, value in variables.items()}


def _count(value: int) -> str:
    # Below a thousand every offered language writes the plain digits (Babel's CLDR data: no
    # grouping, Latin digits, Arabic included): the common case skips the formatter.
    return str(value) if 0 <= value < 1000 else format_decimal(value)


def interpolate(message: str, variables: dict[str, Any], *, plural: bool) -> str:
    """`message % variables`, with the counts among `variables` formatted for the locale."""
    message, variables = _counts_formatted(message, variables, plural)
    return message % variables


class LocalisedDomain(Domain):
    """Flask-Babel's message domain, with counts formatted for the locale (`interpolate`)."""

    def gettext(self, string, **variables):
        s = self.get_translations().ugettext(string)
        return interpolate(s, variables, plural=False) if variables else s

    def ngettext(self, singular, plural, num, **variables):
        variables.setdefault("num", num)
        return interpolate(self.get_translations().ungettext(singular, plural, num), variables, plural=True)

    def pgettext(self, context, string, **variables):
        s = self.get_translations().upgettext(context, string)
        return interpolate(s, variables, plural=False) if variables else s

    def npgettext(self, context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        s = self.get_translations().unpgettext(context, singular, plural, num)
        return interpolate(s, variables, plural=True)


class LocalisedBabel(Babel):
    """Flask-Babel with `LocalisedDomain`, in Python code and in templates alike."""

    @property
    def domain_instance(self):
        # One instance per application (its catalogue cache lives on it), as in Flask-Babel.
        domain = self.__dict__.get("_localised_domain")
        if domain is None:
            domain = self.__dict__["_localised_domain"] = LocalisedDomain(domain=self.domain)
        return domain

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        # Jinja's `{% trans %}` calls the environment's gettext functions ("newstyle": the
        # function formats). These are Jinja's own newstyle wrappers with `interpolate` inside.
        app.jinja_env.globals.update(
            gettext=_template_gettext,
            ngettext=_template_ngettext,
            pgettext=_template_pgettext,
            npgettext=_template_npgettext,
        )


def _template_result(context, message: str, variables: dict[str, Any], *, plural: bool) -> str:
    # As in Jinja's newstyle gettext: always a format string; with autoescape, the values escaped.
    # (Most messages have no values: they skip the rest, which a page would pay fifty times.)
    if variables:
        message, variables = _counts_formatted(message, variables, plural)
    if context.eval_ctx.autoescape:
        message = Markup(message)  # noqa: S704 (a catalogue message, as Jinja's own gettext)  # nosec B704
        if variables and direction(get_locale()) == "rtl":
            variables = {name: _isolated(value) for name, value in variables.items()}
    return message % variables


# Unicode's first-strong isolate and its closing mark: a value put into a right-to-left sentence (a
# Latin title, an e-mail address, "ISO/IEC 29147:2018") keeps its own order and does not drag the
# punctuation around it. Marks, not `<bdi>`: a message may end up in a <title> or an attribute.
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def _isolated(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup) and value:
        return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
    return value


@pass_context
def _template_gettext(__context, __string, **variables):
    return _template_result(__context, get_translations().ugettext(__string), variables, plural=False)


@pass_context
def _template_ngettext(__context, __singular, __plural, __num, **variables):
    variables.setdefault("num", __num)
    message = get_translations().ungettext(__singular, __plural, __num)
    return _template_result(__context, message, variables, plural=True)


@pass_context
def _template_pgettext(__context, __ctx, __string, **variables):
    variables.setdefault("context", __ctx)
    return _template_result(__context, get_translations().upgettext(__ctx, __string), variables, plural=False)


@pass_context
def _template_npgettext(__context, __ctx, __singular, __plural, __num, **variables):
    variables.setdefault("context", __ctx)
    variables.setdefault("num", __num)
    message = get_translations().unpgettext(__ctx, __singular, __plural, __num)
    return _template_result(__context, message, variables, plural=True)
