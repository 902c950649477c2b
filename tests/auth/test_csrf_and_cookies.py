"""CSRF on every state change (with forms that keep input), cookie flags, production secrets."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

import config
from config import ProductionConfig, check_production
from consult import create_app
from consult.auth.models import Role
from tests.auth.helpers import (
    cookie_attributes,
    cookie_lifetime_seconds,
    csrf_from,
    csrf_token,
    input_value,
    is_signed_in,
    reread,
    set_cookies,
    signed_in_the_past,
)
from tests.factories import PASSWORD, make_user

STALE_ALERT = "this form had been open too long, or your session ended"


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org", name="Alice")
    session.commit()
    return user


# --- CSRF -------------------------------------------------------------------------------------


def test_login_without_token_reshows_the_form_with_the_email(client, alice):
    response = client.post("/login", data={"email": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 200
    page = response.data.decode()
    assert STALE_ALERT in page
    assert 'role="alert"' in page
    assert input_value(response.data, "email") == "alice@example.org"
    assert PASSWORD not in page
    assert csrf_from(client, "/login")  # a fresh token to try again with
    assert not is_signed_in(client)


def test_login_with_another_browsers_token_is_refused(app, client, alice):
    other_token = csrf_from(app.test_client(), "/login")
    client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": other_token, "email": "alice@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert STALE_ALERT in response.data.decode()
    assert not is_signed_in(client)


def test_logout_without_token_gives_our_400_page_and_keeps_the_session(client, alice, login_as):
    login_as(client, alice)
    response = client.post("/logout")
    assert response.status_code == 400
    page = response.data.decode()
    assert "The request could not be understood" in page
    assert "This page had been open too long, or your session ended" in page
    assert "Skip to main content" in page  # the site's layout, not Werkzeug's bare page
    assert "Bad Request" not in page
    assert is_signed_in(client)


def test_profile_post_without_token_keeps_input_and_saves_nothing(client, session, alice, login_as):
    login_as(client, alice)
    response = client.post("/account/profile", data={"display_name": "Mallory", "timezone": "Asia/Seoul"})
    assert response.status_code == 400
    assert STALE_ALERT in response.data.decode()
    assert input_value(response.data, "display_name") == "Mallory"
    reread(session)
    assert alice.display_name == "Alice"
    assert alice.timezone == "UTC"


def test_password_change_without_token_changes_nothing(client, session, alice, login_as):
    login_as(client, alice)
    before = alice.password_hash
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "x" * 20 + "new", "confirm": "x" * 20 + "new"},
    )
    assert response.status_code == 400
    reread(session)
    assert alice.password_hash == before
    assert alice.session_version == 1


def test_csrf_tokens_last_a_working_day(app):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 8 * 3600
    assert config.Config.WTF_CSRF_TIME_LIMIT >= 8 * 3600


def _raw_csrf(client) -> str:
    with client.session_transaction() as flask_session:
        return flask_session["csrf_token"]


def test_a_form_left_open_for_hours_still_submits(app, client, session, alice, login_as):
    login_as(client, alice)
    client.get("/account")
    old_token = signed_in_the_past(app.secret_key, "wtf-csrf-token", _raw_csrf(client), 5 * 3600)
    response = client.post(
        "/account/profile", data={"csrf_token": old_token, "display_name": "Alice B", "timezone": "UTC"}
    )
    assert response.status_code == 302
    reread(session)
    assert alice.display_name == "Alice B"


def test_a_token_older_than_the_limit_reshows_the_form(app, client, session, alice, login_as):
    login_as(client, alice)
    client.get("/account")
    age = app.config["WTF_CSRF_TIME_LIMIT"] + 60
    old_token = signed_in_the_past(app.secret_key, "wtf-csrf-token", _raw_csrf(client), age)
    response = client.post(
        "/account/profile", data={"csrf_token": old_token, "display_name": "Alice B", "timezone": "UTC"}
    )
    assert response.status_code == 400
    assert STALE_ALERT in response.data.decode()
    assert input_value(response.data, "display_name") == "Alice B"
    reread(session)
    assert alice.display_name == "Alice"


# --- cookies (testing config: no Secure flag, since tests speak http) ---------------------------


def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    response = client.get("/login")  # the CSRF token starts a session
    (header,) = set_cookies(response, app.config["SESSION_COOKIE_NAME"])
    attributes = cookie_attributes(header)
    assert app.config["SESSION_COOKIE_NAME"] == "consult_session"
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"


def test_config_sets_every_cookie_flag_explicitly():
    assert config.Config.SESSION_COOKIE_HTTPONLY is True
    assert config.Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.Config.REMEMBER_COOKIE_HTTPONLY is True
    assert config.Config.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert config.Config.REMEMBER_COOKIE_DURATION <= timedelta(days=30)
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


# --- production ---------------------------------------------------------------------------------


def _production(app_config: dict, **overrides) -> dict:
    settings = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    settings.update(
        DATABASE_URL=app_config["DATABASE_URL"],
        RATELIMIT_STORAGE_URI="memory://",
        MAIL_SERVER=app_config["MAIL_SERVER"],
        MAIL_PORT=app_config["MAIL_PORT"],
        SECRET_KEY=secrets.token_urlsafe(36),  # 48 random characters
    )
    settings.update(overrides)
    return settings


@pytest.fixture
def production_app(app_config, app):
    # `app` (testing) cleaned the shared database; this one runs over it like production would.
    production = create_app(_production(app_config))
    yield production
    production.extensions["consult.db"].engine.dispose()


def test_production_cookies_are_secure(production_app, alice):
    client = production_app.test_client()
    base = "https://consult.test"
    page = client.get("/login", base_url=base)
    assert page.status_code == 200
    token = csrf_token(page.data)
    response = client.post(
        "/login",
        base_url=base,
        data={"csrf_token": token, "email": "alice@example.org", "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    for name in ("consult_session", "consult_remember"):
        (header,) = set_cookies(response, name)
        attributes = cookie_attributes(header)
        assert "secure" in attributes, name
        assert "httponly" in attributes, name
        assert attributes["samesite"] == "Lax", name
    (remember,) = set_cookies(response, "consult_remember")
    assert cookie_lifetime_seconds(remember) <= timedelta(days=30).total_seconds() + 5
    (first,) = set_cookies(page, "consult_session")
    assert "secure" in cookie_attributes(first)


def test_production_builds_https_links(production_app):
    with production_app.test_request_context(base_url="https://consult.test"):
        from flask import url_for

        assert url_for("auth.login", _external=True).startswith("https://")


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "dev",
        "secret",
        "changeme",
        "change-me",
        "development-only",
        "short-but-random-Xy7Q",
        "a" * 31,
    ],
)
def test_production_refuses_a_missing_short_or_well_known_secret_key(app_config, key):
    with pytest.raises(RuntimeError) as excinfo:
        create_app(_production(app_config, SECRET_KEY=key))
    message = str(excinfo.value)
    assert "CONSULT_SECRET_KEY is missing or weak" in message
    assert f"at least {config.MIN_SECRET_KEY_LENGTH} characters" in message
    assert "secrets.token_urlsafe" in message  # says how to make a good one


@pytest.mark.parametrize("key", ["a" * 64, "ab" * 24, config.TestingConfig.SECRET_KEY])
def test_production_refuses_long_but_guessable_keys(key):
    with pytest.raises(RuntimeError, match="missing or weak"):
        check_production({"ENV_NAME": "production", "SECRET_KEY": key})


def test_production_accepts_a_random_key():
    check_production({"ENV_NAME": "production", "SECRET_KEY": secrets.token_urlsafe(32)})
    check_production({"ENV_NAME": "production", "SECRET_KEY": secrets.token_hex(16)})


def test_other_environments_do_not_insist_on_a_strong_key():
    check_production({"ENV_NAME": "development", "SECRET_KEY": "development-only"})
    check_production({"ENV_NAME": "testing", "SECRET_KEY": ""})


def test_minimum_secret_key_length_is_at_least_32():
    assert config.MIN_SECRET_KEY_LENGTH >= 32
