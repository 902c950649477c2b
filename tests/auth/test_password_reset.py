"""Password reset by email: no account enumeration, purpose-bound, expiring, single-use links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import tokens
from consult.audit import AuditEvent
from consult.auth import services
from consult.auth.models import Role
from tests.auth.helpers import (
    csrf_from,
    field_error,
    flashes,
    is_signed_in,
    link_in,
    path_of,
    reread,
    signed_in_the_past,
    text_part,
)
from tests.factories import PASSWORD, make_user

SENT = (
    "If an account exists for that address, we have sent it a link to choose a new password. "
    "The link works once and expires in a few hours."
)
USED = "This reset link has expired or has already been used. Ask for a new one below."
NEW_PASSWORD = "another quite long passphrase"


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org", name="Alice")
    session.commit()
    return user


def _ask(client, email: str):
    token = csrf_from(client, "/password/forgot")
    return client.post("/password/forgot", data={"csrf_token": token, "email": email})


def _reset(client, link_or_path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    path = path_of(link_or_path) if link_or_path.startswith("http") else link_or_path
    token = csrf_from(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm or password})


def _reset_link(client, smtp, email: str = "alice@example.org") -> str:
    _ask(client, email)
    (message,) = smtp.to(email)
    return link_in(message)


def test_request_for_an_existing_account_sends_one_email(client, alice, smtp):
    response = _ask(client, "alice@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert flashes(client.get("/login").data) == [SENT]
    (message,) = smtp.to("alice@example.org")
    assert len(smtp.messages) == 1
    body = text_part(message)
    assert "Hello Alice," in body
    assert "within 2 hours" in body
    assert link_in(message).startswith("http://consult.test/password/reset/")


def test_request_for_an_unknown_address_sends_nothing_and_says_the_same(app, client, alice, smtp):
    known = _ask(client, "alice@example.org")
    other = app.test_client()
    unknown = _ask(other, "nobody@example.org")
    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert flashes(other.get("/login").data) == flashes(client.get("/login").data) == [SENT]
    assert smtp.to("nobody@example.org") == []
    assert len(smtp.messages) == 1  # alice's only


def test_request_is_case_insensitive(client, alice, smtp):
    _ask(client, "ALICE@Example.ORG")
    assert len(smtp.to("alice@example.org")) == 1


def test_disabled_account_gets_no_email(client, session, smtp):
    make_user(session, email="off@example.org", active=False)
    session.commit()
    _ask(client, "off@example.org")
    assert flashes(client.get("/login").data) == [SENT]
    assert smtp.messages == []


def test_the_link_works_once(app, client, session, alice, smtp):
    link = _reset_link(client, smtp)
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert "Choose a new password" in page.data.decode()

    response = _reset(client, link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Your password is changed. Sign in with the new one." in flashes(client.get("/login").data)

    for again in (client, app.test_client()):
        reuse = again.get(path_of(link))
        assert reuse.status_code == 404
        assert USED in reuse.data.decode()
        assert 'href="/password/forgot"' in reuse.data.decode()
    replay = app.test_client().post(
        path_of(link), data={"password": "yet another long password", "confirm": "yet another long password"}
    )
    assert replay.status_code == 404
    reread(session)
    assert services.authenticate(session, email="alice@example.org", password="yet another long password") is None


def test_after_reset_the_old_password_fails_and_the_new_one_works(client, session, alice, smtp):
    _reset(client, _reset_link(client, smtp))
    reread(session)
    assert services.authenticate(session, email="alice@example.org", password=PASSWORD) is None
    assert services.authenticate(session, email="alice@example.org", password=NEW_PASSWORD) is not None


def test_reset_ends_existing_sessions(app, client, session, alice, smtp, login_as):
    elsewhere = app.test_client()
    login_as(elsewhere, alice)
    assert is_signed_in(elsewhere)
    _reset(client, _reset_link(client, smtp))
    assert not is_signed_in(elsewhere)
    assert not is_signed_in(client)  # the reset does not sign in by itself


def test_reset_is_audited(client, session, alice, smtp):
    _reset(client, _reset_link(client, smtp))
    reread(session)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
    assert event is not None
    assert event.actor_id == alice.id
    assert (event.subject_type, event.subject_id) == ("User", alice.id)


def test_older_links_die_when_a_newer_one_is_used(client, alice, smtp):
    _ask(client, "alice@example.org")
    _ask(client, "alice@example.org")
    first, second = (link_in(m) for m in smtp.to("alice@example.org"))
    assert _reset(client, second).status_code == 302
    assert client.get(path_of(first)).status_code == 404


def test_a_password_change_makes_an_outstanding_link_stale(client, session, alice, smtp):
    link = _reset_link(client, smtp)
    services.change_password(session, user=alice, current=PASSWORD, new="changed on the account page")
    session.commit()
    assert client.get(path_of(link)).status_code == 404


def _reset_token(app, user, seconds_ago: int) -> str:
    with app.test_request_context():
        payload = {"u": user.id, "f": services.reset_fingerprint(user)}
    return signed_in_the_past(app.secret_key, f"consult.{services.RESET_PURPOSE}", payload, seconds_ago)


def test_link_expires_after_the_configured_time(app, client, alice):
    ttl = int(app.config["PASSWORD_RESET_TTL"].total_seconds())
    assert ttl <= 24 * 3600
    fresh = _reset_token(app, alice, ttl - 60)
    stale = _reset_token(app, alice, ttl + 60)
    assert client.get(f"/password/reset/{fresh}").status_code == 200
    response = client.get(f"/password/reset/{stale}")
    assert response.status_code == 404
    assert USED in response.data.decode()
    assert _reset(client, f"/password/reset/{fresh}").status_code == 302


def test_a_token_for_another_purpose_is_refused(app, client, session, alice):
    with app.test_request_context():
        payload = {"u": alice.id, "f": services.reset_fingerprint(alice)}
        assert tokens.unsign(services.RESET_PURPOSE, tokens.sign(services.RESET_PURPOSE, payload), 60) == payload
        other = tokens.sign("other", payload)
        unsubscribe = tokens.sign("unsubscribe", payload)
    for token in (other, unsubscribe):
        response = client.get(f"/password/reset/{token}")
        assert response.status_code == 404
        assert USED in response.data.decode()


def test_a_token_signed_with_another_key_is_refused(client, alice):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not-the-secret-key-" * 3, salt="consult.password-reset").dumps(
        {"u": alice.id, "f": "0" * 24}
    )
    assert client.get(f"/password/reset/{forged}").status_code == 404


def test_a_token_for_a_disabled_account_is_refused(app, client, session, alice):
    token = _reset_token(app, alice, 0)
    alice.is_active_flag = False
    session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_a_nul_in_a_reset_token_is_malformed_input(client):
    assert client.get("/password/reset/%00").status_code == 400


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJ1IjoxfQ.AAAAAA.BBBBBB", "x" * 513, "x" * 5000, "' OR '1'='1"],
)
def test_garbage_tokens_give_404_not_500(client, token):
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 404
    assert "This link does not work" in response.data.decode()
    response = client.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "Use between 12 and 256 characters."),
        (NEW_PASSWORD, "something different", "The passwords differ."),
        ("alice@example.org", "alice@example.org", "Your password cannot be your email address."),
    ],
)
def test_bad_new_password_is_refused_and_the_link_still_works(client, session, alice, smtp, password, confirm, message):
    link = _reset_link(client, smtp)
    response = _reset(client, link, password, confirm)
    assert response.status_code == 200
    field = "confirm" if message == "The passwords differ." else "password"
    assert message in field_error(response.data, field)
    reread(session)
    assert services.authenticate(session, email="alice@example.org", password=PASSWORD) is not None
    assert _reset(client, link).status_code == 302


def test_request_form_needs_a_csrf_token(client, alice, smtp):
    response = client.post("/password/forgot", data={"email": "alice@example.org"})
    assert response.status_code == 200
    assert "this form had been open too long" in response.data.decode()
    assert smtp.messages == []


class TestExpiredByConfiguration:
    """With a negative lifetime every link is born expired."""

    @pytest.fixture
    def app_config(self, app_config):
        app_config["PASSWORD_RESET_TTL"] = timedelta(seconds=-1)
        return app_config

    def test_emailed_link_is_refused(self, session, client, alice, smtp):
        link = _reset_link(client, smtp)
        response = client.get(path_of(link))
        assert response.status_code == 404
        assert USED in response.data.decode()
        response = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 404
        reread(session)
        assert services.authenticate(session, email="alice@example.org", password=PASSWORD) is not None
