"""Sessions end on logout, password change, role change and disabling; copied cookies die too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.auth.models import Role
from tests.auth.helpers import (
    cookie,
    cookie_attributes,
    cookie_lifetime_seconds,
    copy_cookie,
    csrf_from,
    field_error,
    flashes,
    is_signed_in,
    login,
    reread,
    set_cookies,
)
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase for alice"


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org")
    session.commit()
    return user


def _logout(client):
    token = csrf_from(client, "/account")
    return client.post("/logout", data={"csrf_token": token})


def test_logout_by_get_is_not_allowed(client, alice, login_as):
    login_as(client, alice)
    response = client.get("/logout")
    assert response.status_code == 405
    assert "This action is not available here" in response.data.decode()
    assert is_signed_in(client)


def test_logout_signs_out_and_says_so(client, alice, login_as):
    login_as(client, alice)
    response = _logout(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You are signed out." in flashes(client.get("/login").data)
    assert not is_signed_in(client)


def test_logout_without_csrf_token_is_refused(client, alice, login_as):
    login_as(client, alice)
    response = client.post("/logout")
    assert response.status_code == 400
    assert is_signed_in(client)


def test_logout_with_a_forged_csrf_token_is_refused(client, alice, login_as):
    login_as(client, alice)
    response = client.post("/logout", data={"csrf_token": "IjEyMyI.forged.token"})
    assert response.status_code == 400
    assert is_signed_in(client)


def test_logout_requires_being_signed_in(client):
    token = csrf_from(client, "/login")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_copied_session_cookie_stops_working_after_logout(app, client, alice):
    assert login(client, "alice@example.org", PASSWORD).status_code == 302
    thief = app.test_client()
    copy_cookie(client, thief, app.config["SESSION_COOKIE_NAME"])
    assert is_signed_in(thief)  # the copy works while the session lives

    assert _logout(client).status_code == 302
    assert not is_signed_in(thief)
    assert not is_signed_in(client)


def test_logout_ends_sessions_on_other_devices(app, alice, login_as):
    laptop, phone = app.test_client(), app.test_client()
    login_as(laptop, alice)
    login_as(phone, alice)
    _logout(laptop)
    assert not is_signed_in(phone)


def test_signing_in_again_after_logout_works(client, alice):
    login(client, "alice@example.org", PASSWORD)
    _logout(client)
    assert login(client, "alice@example.org", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, session, alice, login_as):
    this_one, other = app.test_client(), app.test_client()
    login_as(this_one, alice)
    login_as(other, alice)
    token = csrf_from(this_one, "/account")
    response = this_one.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_signed_in(this_one)
    assert not is_signed_in(other)
    reread(session)
    assert alice.session_version == 2


def test_failed_password_change_ends_no_session(app, session, alice, login_as):
    this_one, other = app.test_client(), app.test_client()
    login_as(this_one, alice)
    login_as(other, alice)
    token = csrf_from(this_one, "/account")
    response = this_one.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "not my password",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert field_error(response.data, "current") == "Your current password is not correct."
    assert is_signed_in(this_one)
    assert is_signed_in(other)


@pytest.fixture
def admin_client(app, people, login_as):
    admin = app.test_client()
    login_as(admin, people["admin"])
    return admin


def test_role_change_by_admin_ends_the_subjects_sessions(app, session, people, admin_client, login_as):
    subject = people["participant:industry"]
    subject_client = app.test_client()
    login_as(subject_client, subject)
    assert is_signed_in(subject_client)

    token = csrf_from(admin_client, f"/admin/users/{subject.id}")
    response = admin_client.post(
        f"/admin/users/{subject.id}/role",
        data={"csrf_token": token, "role": "moderator", "organisation": "0", "reason": "Joins the bureau"},
    )
    assert response.status_code == 302
    assert not is_signed_in(subject_client)
    assert is_signed_in(admin_client)

    reread(session)
    assert subject.role is Role.MODERATOR
    assert subject.organisation_id is None
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.role_change", AuditEvent.subject_id == subject.id)
    )
    assert event is not None
    assert event.actor_id == people["admin"].id
    assert event.reason == "Joins the bureau"
    assert event.details["before_role"] == "participant"
    assert event.details["role"] == "moderator"


def test_role_change_without_a_reason_changes_nothing(app, session, people, admin_client, login_as):
    subject = people["participant:industry"]
    subject_client = app.test_client()
    login_as(subject_client, subject)
    token = csrf_from(admin_client, f"/admin/users/{subject.id}")
    response = admin_client.post(
        f"/admin/users/{subject.id}/role",
        data={"csrf_token": token, "role": "moderator", "organisation": "0", "reason": ""},
    )
    assert response.status_code == 400
    assert is_signed_in(subject_client)
    reread(session)
    assert subject.role is Role.PARTICIPANT


def test_disabling_an_account_ends_its_sessions_and_refuses_sign_in(app, session, people, admin_client, login_as):
    subject = people["participant:civil-society"]
    subject_client = app.test_client()
    login_as(subject_client, subject)

    token = csrf_from(admin_client, f"/admin/users/{subject.id}")
    response = admin_client.post(
        f"/admin/users/{subject.id}/active",
        data={"csrf_token": token, "active": "0", "reason": "Left the organisation"},
    )
    assert response.status_code == 302
    assert not is_signed_in(subject_client)
    response = login(app.test_client(), subject.email, PASSWORD)
    assert response.status_code == 200
    assert "or the account is disabled" in field_error(response.data, "password")

    reread(session)
    assert subject.is_active_flag is False
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.disable"))
    assert event.actor_id == people["admin"].id
    assert event.reason == "Left the organisation"


def test_a_session_from_login_as_still_needs_the_current_version(app, session, alice, login_as):
    client = app.test_client()
    login_as(client, alice)
    alice.end_sessions()
    session.commit()
    assert not is_signed_in(client)


def test_remember_cookie_flags_and_lifetime(app, client, alice):
    response = login(client, "alice@example.org", PASSWORD, remember="y")
    assert response.status_code == 302
    (header,) = set_cookies(response, "consult_remember")
    attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert attributes.get("samesite") == "Lax"
    assert "secure" not in attributes  # testing runs over http; production: test_csrf_and_cookies
    lifetime = cookie_lifetime_seconds(header)
    assert 0 < lifetime <= timedelta(days=30).total_seconds() + 5


def test_no_remember_cookie_without_remember(client, alice):
    response = login(client, "alice@example.org", PASSWORD)
    assert set_cookies(response, "consult_remember") == []


def test_remember_cookie_signs_in_a_new_browser_session_until_logout(app, client, alice):
    login(client, "alice@example.org", PASSWORD, remember="y")
    returning = app.test_client()
    copy_cookie(client, returning, "consult_remember")
    assert is_signed_in(returning)  # only the remember cookie: a browser restarted

    _logout(client)
    replay = app.test_client()
    copy_cookie(returning, replay, "consult_remember")  # the cookie as it was before logout
    assert not is_signed_in(replay)


def test_logout_deletes_the_remember_cookie(client, alice):
    login(client, "alice@example.org", PASSWORD, remember="y")
    assert cookie(client, "consult_remember") is not None
    _logout(client)
    assert cookie(client, "consult_remember") is None
