"""Reading pages as a browser does: the form's fields and CSRF token, then posting them back."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from sqlalchemy.orm import Session

from consult.consultations.models import Consultation
from tests.factories import make_consultation
from tests.support.clients import sign_in

TAG_RE = re.compile(r"<[^>]+>")


class FormParser(HTMLParser):
    """The values a browser would send for the first POST form of a page's content (checked boxes only)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._form_seen = False
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post" and not self._form_seen:
            if a.get("action", "") not in ("/logout", "/language"):  # the header's forms
                self._form_seen = self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "file"):
                return
            self.values[a["name"]] = a.get("value", "y" if kind == "checkbox" else "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            # a browser drops the newline that follows <textarea>
            value = self.values[self._textarea]
            self.values[self._textarea] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form = False


def form_values(client: Any, url: str) -> dict[str, str]:
    """GET `url` (it must answer 200) and return its form's values, CSRF token included."""
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} -> {response.status_code}"
    parser = FormParser()
    parser.feed(response.get_data(as_text=True))
    assert parser.values.get("csrf_token"), f"no CSRF token in the form of {url}"
    return parser.values


def page_values(response: Any) -> dict[str, str]:
    """The form's values of a page answered to a POST (an editor button that saves nothing)."""
    assert response.status_code == 200, f"{response.status_code}: {text(response)[:300]}"
    parser = FormParser()
    parser.feed(response.get_data(as_text=True))
    return parser.values


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def plain(html: str) -> str:
    """The page's text without tags, spaces collapsed, without the invisible isolate marks an
    Arabic page puts around the values in its sentences."""
    return " ".join(TAG_RE.sub(" ", html).replace("\u2068", "").replace("\u2069", "").split())


def organiser_client(app, login_as, session: Session, people) -> Any:
    return sign_in(app, login_as, session, people, "organiser")


def consultation(session: Session, public: bool = True, title: str = "Responsible state behaviour") -> Consultation:
    """A consultation, committed."""
    found = make_consultation(session, public=public, title=title)
    session.commit()
    return found


def text_notice(app: Any, locale: str, shown: str, authoritative: str = "en") -> str:
    """The sentence saying which language a draft is shown in, as a page in `locale` says it
    (through the catalogue, spaces collapsed as `plain` collapses them)."""
    from flask_babel import force_locale, gettext

    from consult.languages import language_name, native_name

    with app.test_request_context(), force_locale(locale):
        if shown == authoritative:
            said = gettext("Authoritative text: %(language)s", language=language_name(authoritative))
        else:
            said = gettext(
                "Translation: %(language)s — the %(authoritative)s text is authoritative.",
                language=native_name(shown),
                authoritative=language_name(authoritative),
            )
    return " ".join(said.split())
