"""Sign-in is rate limited per IP and per account (about 6 a minute each)."""

from __future__ import annotations

import pytest

from consult.auth.models import Role
from tests.auth.helpers import csrf_from, is_signed_in
from tests.factories import PASSWORD, make_user

LIMIT = 6


@pytest.fixture
def app_config(app_config):
    # The shipped default (config.Config); tests elsewhere sign in with login_as instead.
    app_config["LOGIN_RATE_LIMIT"] = "6 per minute"
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org")
    session.commit()
    return user


def _post(client, token, email, password, ip="127.0.0.1"):
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_shipped_default_is_six_a_minute(app):
    import os

    from config import Config

    assert Config.LOGIN_RATE_LIMIT == os.environ.get("CONSULT_LOGIN_RATE_LIMIT", "6 per minute")
    assert app.config["LOGIN_RATE_LIMIT"] == "6 per minute"


def test_seventh_post_from_one_ip_gets_429(client, alice):
    token = csrf_from(client, "/login")
    for n in range(LIMIT):
        response = _post(client, token, f"someone{n}@example.org", "wrong password here")
        assert response.status_code == 200, n
    response = _post(client, token, "someone-else@example.org", "wrong password here")
    assert response.status_code == 429
    page = response.data.decode()
    assert "Too many attempts" in page
    assert "Please wait a minute and try again." in page
    assert "Skip to main content" in page  # our layout, not a bare error page
    assert response.headers["Content-Type"].startswith("text/html")


def test_limited_ip_cannot_sign_in_even_with_the_right_password(client, alice):
    token = csrf_from(client, "/login")
    for n in range(LIMIT):
        _post(client, token, f"someone{n}@example.org", "wrong password here")
    assert _post(client, token, "alice@example.org", PASSWORD).status_code == 429
    assert not is_signed_in(client)


def test_another_ip_is_not_limited_by_the_first(client, alice):
    token = csrf_from(client, "/login")
    for n in range(LIMIT + 1):
        _post(client, token, f"someone{n}@example.org", "wrong password here", ip="10.0.0.1")
    response = _post(client, token, "alice@example.org", PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302


def test_one_account_is_limited_across_ips(client, alice):
    token = csrf_from(client, "/login")
    for n in range(LIMIT):
        response = _post(client, token, "alice@example.org", "wrong password here", ip=f"10.0.1.{n + 1}")
        assert response.status_code == 200, n
    # Different IP, same account (typed in another case): refused, even with the right password.
    response = _post(client, token, "ALICE@example.org", PASSWORD, ip="10.0.1.99")
    assert response.status_code == 429
    assert "Too many attempts" in response.data.decode()
    assert not is_signed_in(client)


def test_account_limit_does_not_touch_other_accounts(client, session, alice):
    make_user(session, email="bob@example.org")
    session.commit()
    token = csrf_from(client, "/login")
    for n in range(LIMIT + 1):
        _post(client, token, "alice@example.org", "wrong password here", ip=f"10.0.2.{n + 1}")
    response = _post(client, token, "bob@example.org", PASSWORD, ip="10.0.2.200")
    assert response.status_code == 302


def test_get_of_the_login_page_is_not_limited(client):
    for _ in range(LIMIT * 2):
        assert client.get("/login").status_code == 200
