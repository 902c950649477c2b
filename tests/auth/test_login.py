"""Signing in through the form: generic errors, case-insensitive email, a fresh session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from consult.auth.models import Role
from consult.db import utcnow
from tests.auth.helpers import (
    cookie_attributes,
    cookie_lifetime_seconds,
    field_error,
    input_value,
    is_signed_in,
    login,
    reread,
    set_cookies,
)
from tests.factories import PASSWORD, make_user

GENERIC = "The email address or password is not correct, or the account is disabled."


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org")
    session.commit()
    return user


def test_success_redirects_home_and_signs_in(client, alice):
    response = login(client, "alice@example.org", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    page = client.get("/").data.decode()
    assert f"Signed in as {alice.display_name}" in page


def _normalised(body: bytes, email: str) -> str:
    text = body.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", text)


def test_wrong_password_unknown_email_and_disabled_account_look_the_same(client, session, alice):
    make_user(session, Role.PARTICIPANT, email="bob@example.org", active=False)
    session.commit()
    wrong = login(client, "alice@example.org", "not the password at all")
    unknown = login(client, "nobody@example.org", PASSWORD)
    disabled = login(client, "bob@example.org", PASSWORD)

    for response in (wrong, unknown, disabled):
        assert response.status_code == 200
        assert field_error(response.data, "password") == GENERIC
        assert "/login" in response.request.path
    assert not is_signed_in(client)
    # Nothing else on the page differs either (the typed email aside).
    assert _normalised(wrong.data, "alice@example.org") == _normalised(unknown.data, "nobody@example.org")
    assert _normalised(wrong.data, "alice@example.org") == _normalised(disabled.data, "bob@example.org")


def test_failed_login_keeps_email_but_not_password(client, alice):
    response = login(client, "alice@example.org", "not the password at all")
    assert input_value(response.data, "email") == "alice@example.org"
    assert input_value(response.data, "password") in (None, "")
    assert b"not the password at all" not in response.data


@pytest.mark.parametrize("typed", ["ALICE@EXAMPLE.ORG", "Alice@Example.Org", "  alice@example.org  "])
def test_email_is_case_insensitive(client, alice, typed):
    response = login(client, typed, PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_stored_email_in_mixed_case_matches_lower_case_login(client, session):
    make_user(session, email="Mixed.Case@Example.ORG")
    session.commit()
    assert login(client, "mixed.case@example.org", PASSWORD).status_code == 302


def test_password_is_case_sensitive(client, alice):
    response = login(client, "alice@example.org", PASSWORD.upper())
    assert response.status_code == 200
    assert field_error(response.data, "password") == GENERIC


def test_last_login_at_is_set(client, session, alice):
    assert alice.last_login_at is None
    before = utcnow()
    login(client, "alice@example.org", PASSWORD)
    reread(session)  # see what the request committed
    assert alice.last_login_at is not None
    assert before - timedelta(seconds=1) <= alice.last_login_at <= utcnow() + timedelta(seconds=1)


def test_failed_login_does_not_set_last_login_at(client, session, alice):
    login(client, "alice@example.org", "not the password at all")
    reread(session)
    assert alice.last_login_at is None


def test_session_is_permanent_with_the_configured_lifetime(app, client, alice):
    response = login(client, "alice@example.org", PASSWORD)
    with client.session_transaction() as flask_session:
        assert flask_session.permanent is True
    (header,) = set_cookies(response, app.config["SESSION_COOKIE_NAME"])
    assert "expires" in cookie_attributes(header)
    lifetime = cookie_lifetime_seconds(header)
    configured = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    assert configured - 60 <= lifetime <= configured + 5
    assert configured <= 24 * 3600  # a working day, not Flask's 31-day default


def test_sign_in_starts_a_fresh_session(client, alice):
    with client.session_transaction() as flask_session:
        flask_session["planted"] = "by someone before sign-in"
    login(client, "alice@example.org", PASSWORD)
    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session
        # The login id: person, session version, and the session record this sign-in made.
        assert flask_session["_user_id"].startswith(f"{alice.id}:{alice.session_version}:")


def test_login_page_when_signed_in_redirects(client, alice, login_as):
    login_as(client, alice)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_missing_fields_are_refused_without_signing_in(client, alice):
    response = login(client, "", "")
    assert response.status_code == 200
    assert b"please correct the fields marked below" in response.data
    assert not is_signed_in(client)


def test_login_page_has_no_remembered_password_and_a_reset_link(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert b'href="/password/forgot"' in page.data
    assert page.headers["Cache-Control"] == "no-store"
