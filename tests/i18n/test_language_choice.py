"""Choosing the language: Accept-Language first, then the browser's cookie, then the account;
`<html lang dir>`; emails, digests and the preview in the recipient's language; dates and
numbers by locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from flask_babel import force_locale

from consult import timeutil, web
from consult.auth.models import Role
from consult.digests.services import send_digest
from consult.rounds.models import Phase, Preset
from tests.auth.helpers import cookie, csrf_from, reread, set_cookies
from tests.digests.helpers import html_of, text_of
from tests.factories import make_comment, make_consultation, make_round, make_user
from tests.support.clients import post

HTML_TAG = re.compile(r"<html lang=\"([^\"]+)\" dir=\"(ltr|rtl)\">")
SIGN_IN = {"en": "Sign in", "fr": "Se connecter", "ar": "تسجيل الدخول", "zh": "登录"}


def page_language(response) -> tuple[str, str]:
    found = HTML_TAG.search(response.get_data(as_text=True))
    assert found, "no <html lang dir>"
    return found.group(1), found.group(2)


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.parametrize(
    ("header", "lang", "direction"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr", "ltr"),
        ("ar-EG", "ar", "rtl"),
        ("zh-CN,zh;q=0.9", "zh-Hans", "ltr"),
        ("ru", "ru", "ltr"),
        ("es-419", "es", "ltr"),
        ("de-DE,de;q=0.9", "en", "ltr"),  # not offered: English
        ("*", "en", "ltr"),
        ("", "en", "ltr"),
    ],
)
def test_the_first_guess_comes_from_accept_language(client, header, lang, direction):
    response = client.get("/login", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 200
    assert page_language(response) == (lang, direction)


def test_the_switcher_is_on_the_sign_in_page_and_for_anonymous_visitors(client):
    for url in ("/login", "/", "/password/forgot"):
        page = client.get(url).get_data(as_text=True)
        assert 'action="/language"' in page, url
        for name in ("العربية", "中文", "English", "Français", "Русский", "Español"):
            assert name in page, (url, name)


def test_switching_sets_a_cookie_that_beats_accept_language(app, client):
    token = csrf_from(client, "/login")
    response = client.post("/language", data={"csrf_token": token, "language": "ar", "next": "/password/forgot?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/password/forgot?x=1"
    (header,) = set_cookies(response, app.config["LANGUAGE_COOKIE"])
    assert "HttpOnly" in header and "SameSite=Lax" in header
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert page_language(page) == ("ar", "rtl")
    assert SIGN_IN["ar"] in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:alert(1)", ""])
def test_switching_never_leaves_the_site(client, target):
    response = post(client, "/language", {"language": "fr", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("language", ["de", "", "fr; DROP", "../en", "x" * 300])
def test_an_unknown_language_is_refused(client, language):
    response = post(client, "/language", {"language": language, "next": "/"})
    assert response.status_code == 400


def test_switching_needs_the_csrf_token(client):
    response = client.post("/language", data={"language": "fr", "next": "/"})
    assert response.status_code in (400, 403)
    assert cookie(client, "consult_language") is None


def test_a_signed_in_person_switching_saves_it_on_the_account(app, session, client, login_as):
    user = make_user(session, Role.PARTICIPANT, email="lang@example.org")
    session.commit()
    login_as(client, user)
    response = post(client, "/language", {"language": "zh", "next": "/account"})
    assert response.status_code == 302
    reread(session)
    assert user.locale == "zh"
    # The account follows the person to another browser, whatever that browser says.
    other = app.test_client()
    login_as(other, user)
    page = other.get("/account", headers={"Accept-Language": "fr"})
    assert page_language(page) == ("zh-Hans", "ltr")


def test_the_account_setting_beats_the_cookie_and_is_on_the_account_page(session, client, login_as):
    user = make_user(session, Role.PARTICIPANT, email="ru@example.org")
    session.commit()
    login_as(client, user)
    client.set_cookie("consult_language", "fr", domain="consult.test")
    assert page_language(client.get("/account")) == ("fr", "ltr")  # no account setting yet: the cookie
    token = csrf_from(client, "/account")
    response = client.post(
        "/account/profile",
        data={"csrf_token": token, "display_name": "Ru", "timezone": "UTC", "locale": "ru"},
    )
    assert response.status_code == 302
    reread(session)
    assert user.locale == "ru"
    page = client.get("/account")
    assert page_language(page) == ("ru", "ltr")
    assert "Профиль сохранен." in page.get_data(as_text=True)  # the message speaks the new language
    assert re.search(r'<option selected value="ru"|<option value="ru" selected', page.get_data(as_text=True))


def test_the_account_refuses_an_unknown_language(session, client, login_as):
    user = make_user(session, Role.PARTICIPANT, email="xx@example.org")
    session.commit()
    login_as(client, user)
    token = csrf_from(client, "/account")
    response = client.post(
        "/account/profile", data={"csrf_token": token, "display_name": "X", "timezone": "UTC", "locale": "xx"}
    )
    assert response.status_code == 400
    reread(session)
    assert user.locale is None


def test_signing_in_keeps_the_language_of_the_sign_in_page(session, client):
    from tests.factories import PASSWORD

    user = make_user(session, Role.PARTICIPANT, email="es@example.org")
    session.commit()
    token = csrf_from(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "es@example.org", "password": PASSWORD},
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 302
    reread(session)
    assert user.locale == "es"


def test_the_switcher_works_in_the_half_signed_in_step(session, client, half_sign_in):
    user = make_user(session, Role.MODERATOR, email="mod@example.org")
    session.commit()
    half_sign_in(client, user, "setup")
    response = post(client, "/language", {"language": "fr", "next": "/account/security"})
    assert response.status_code == 302
    assert page_language(client.get("/account/security")) == ("fr", "ltr")


def test_dates_and_numbers_follow_the_locale(app):
    moment = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        shown = {}
        for code in ("en", "fr", "ru", "zh", "ar", "es"):
            with force_locale(code):
                shown[code] = (timeutil.localtime(moment), web._number(1234567))
    assert "Mar" in shown["en"][0] and "1,234,567" == shown["en"][1]
    assert "mars" in shown["fr"][0] and shown["fr"][1].replace("\u202f", " ").replace("\xa0", " ") == "1 234 567"
    assert "мар" in shown["ru"][0]
    assert "3月" in shown["zh"][0] or "3月5日" in shown["zh"][0]
    assert "مارس" in shown["ar"][0]
    assert "mar" in shown["es"][0]
    assert len(set(shown.values())) == 6


def test_plurals_follow_each_languages_rules(app):
    from flask_babel import ngettext

    with app.test_request_context("/"):
        with force_locale("ru"):
            forms = {n: ngettext("%(num)d comment signed off.", "%(num)d comments signed off.", n) for n in (1, 3, 5)}
        assert len(set(forms.values())) == 3
        with force_locale("ar"):
            forms = {n: ngettext("%(num)d comment", "%(num)d comments", n) for n in (0, 1, 2, 3, 11, 100)}
        assert forms[1] == "تعليق واحد" and forms[2] == "تعليقان" and forms[11] == "11 تعليقًا"
        assert len({re.sub(r"\d+", "N", text) for text in forms.values()}) >= 5


def test_emails_and_digests_go_out_in_each_recipients_language(app, session, people, smtp):
    consultation = make_consultation(session, title="Road to Seoul")
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, consultation=consultation)
    make_comment(session, round_, people["participant:industry"], body="An industry view")
    french, arab = people["participant:governments"], people["participant:civil-society"]
    french.locale, arab.locale = "fr", "ar"
    people["participant:igo"].locale = None  # no choice: English
    session.commit()
    send_digest(session, actor=people["organiser"], consultation=consultation, intro="Hello")
    session.commit()
    (to_french,) = smtp.to(french.email)
    (to_arab,) = smtp.to(arab.email)
    (to_english,) = smtp.to(people["participant:igo"].email)
    assert subject_of(to_french) == "Actualités de la consultation « Road to Seoul »"
    assert subject_of(to_arab) == "مستجدات المشاورة «Road to Seoul»"
    assert subject_of(to_english) == "News from the consultation Road to Seoul"
    assert '<html lang="ar" dir="rtl">' in html_of(to_arab)
    assert '<html lang="fr" dir="ltr">' in html_of(to_french)
    # The shared sections are kept per language: the French text never reaches the Arabic email.
    assert (
        "Actualités" not in text_of(to_arab)
        and "consultation" not in text_of(to_arab).lower().replace("road to seoul", "").split("http")[0]
    )


def test_an_account_email_is_in_the_persons_language(app, session, smtp, client):
    user = make_user(session, Role.PARTICIPANT, email="reset@example.org")
    user.locale = "fr"
    session.commit()
    post(client, "/password/forgot", {"email": "reset@example.org"})
    (message,) = smtp.to("reset@example.org")
    assert subject_of(message) == "Choisir un nouveau mot de passe pour consult"


def test_the_organisers_preview_shows_the_recipients_language(app, session, people, client, login_as):
    consultation = make_consultation(session)
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, consultation=consultation)
    make_comment(session, round_, people["participant:industry"], body="Preview me")
    reader = people["participant:governments"]
    reader.locale = "ar"
    session.commit()
    login_as(client, people["organiser"])
    url = f"/consultations/{consultation.id}/digests/new"
    token = csrf_from(client, url)
    page = client.post(url, data={"csrf_token": token, "intro": "", "recipient": reader.id, "step": "preview"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert page_language(page) == ("en", "ltr")  # the organiser's page stays in their language
    assert '<div lang="ar" dir="rtl">' in html
    preview = html.split('<div lang="ar" dir="rtl">', 1)[1]
    assert "Preview me" in preview
    assert re.search(r"[\u0600-\u06ff]", preview)


def test_counts_inside_messages_are_written_the_readers_way(app):
    """A count in a sentence follows the locale ("12 345 commentaires"), in Python code and in
    templates alike; an identifier (a version, a row) stays as it is."""
    from flask import render_template_string
    from flask_babel import gettext, ngettext

    template = '{{ ngettext("%(num)d comment", "%(num)d comments", n) }}'
    with app.test_request_context("/"):
        seen = {}
        for code in ("en", "fr", "es", "ru"):
            with force_locale(code):
                seen[code] = (
                    ngettext("%(num)d comment", "%(num)d comments", 12345),
                    render_template_string(template, n=12345),
                    gettext("Version %(n)d", n=12345),
                )
    assert seen["en"] == ("12,345 comments", "12,345 comments", "Version 12345")
    spaced = {
        code: tuple(text.replace("\u202f", " ").replace("\xa0", " ") for text in texts) for code, texts in seen.items()
    }
    assert spaced["fr"][0] == spaced["fr"][1] == "12 345 commentaires"
    assert spaced["fr"][2].endswith("12345")
    assert "12.345" in spaced["es"][0] and "12.345" in spaced["es"][1]
    assert "12 345" in spaced["ru"][0] and "12 345" in spaced["ru"][1]


def test_values_put_into_a_template_message_are_still_escaped(app):
    from flask import render_template_string

    with app.test_request_context("/"):
        page = render_template_string(
            "{% trans count=n, name=name %}{{ name }}: {{ count }} comment"
            "{% pluralize %}{{ name }}: {{ count }} comments{% endtrans %}",
            name="<b>x</b>",
            n=2,
        )
    assert page == "&lt;b&gt;x&lt;/b&gt;: 2 comments"
