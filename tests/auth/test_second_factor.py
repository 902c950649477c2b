"""Second factors through the pages: set-up after the password, sign-in with an app code or a
recovery code, replay refused, attempts rate limited, CSRF bound to the half-signed-in session,
an administrator's reset (issue 17)."""

from __future__ import annotations

import html
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.auth import signin
from consult.auth.models import Passkey, RecoveryCode, Role, TotpSecret, UserSession
from tests.auth.helpers import csrf_from, csrf_token, field_error, flashes, login, reread, text_part
from tests.factories import PASSWORD, make_passkey, make_totp, make_user

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CODE_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@pytest.fixture
def moderator(session):
    user = make_user(session, Role.MODERATOR, email="mod@example.org", name="Mod")
    session.commit()
    return user


@pytest.fixture
def moderator_with_app(session, moderator):
    make_totp(session, moderator, SECRET)
    session.commit()
    return moderator


def code_at(offset_steps: int = 0, secret: str = SECRET) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + 30 * offset_steps)


def where(response) -> str:
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def signed_in(client) -> bool:
    """Whether the client opens the account page (half-signed-in sessions do not)."""
    return client.get("/account").status_code == 200


def pending(client) -> dict | None:
    with client.session_transaction() as flask_session:
        return flask_session.get(signin.PENDING_KEY)


def enter(client, code: str, ip: str = "127.0.0.1", **fields: str):
    token = csrf_from(client, "/login/second-factor")
    return client.post(
        "/login/second-factor", data={"csrf_token": token, "code": code, **fields}, environ_base={"REMOTE_ADDR": ip}
    )


# --- Set-up right after the password --------------------------------------------------------


def test_a_moderator_without_a_factor_sets_up_an_app_before_anything_else(client, session, moderator, smtp):
    response = login(client, "mod@example.org", PASSWORD, next="/admin/")
    assert where(response) == "/account/security"
    with client.session_transaction() as flask_session:
        assert "_user_id" not in flask_session  # a pending marker, not a login
        assert flask_session[signin.PENDING_KEY]["s"] == "setup"
    assert where(client.get("/")) == "/account/security"
    assert where(client.get("/moderation")) == "/account/security"

    page = client.get("/account/security")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and 'class="qr"' in text  # drawn here, inline
    secret = re.search(r'<span class="secret">([A-Z2-7 ]+)</span>', text).group(1).replace(" ", "")
    assert len(secret) == 32
    assert "otpauth" not in text.split("<svg")[0]  # no link to an outside QR service

    wrong = client.post("/account/security/totp", data={"csrf_token": csrf_token(page.data), "code": "000000"})
    assert wrong.status_code == 400
    assert "not right" in field_error(wrong.data, "code")
    assert not signed_in(client)

    token = csrf_from(client, "/account/security")
    done = client.post("/account/security/totp", data={"csrf_token": token, "code": code_at(0, secret)})
    assert done.status_code == 200
    codes = CODE_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/admin/"' in done.get_data(as_text=True)  # then on to where they were going
    assert signed_in(client)
    assert pending(client) is None

    reread(session)
    totp = session.scalar(select(TotpSecret).where(TotpSecret.user_id == moderator.id))
    assert totp.confirmed_at is not None and totp.secret == secret
    stored = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == moderator.id)).all()
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & set(stored)  # only hashes are kept
    record = session.scalar(select(UserSession).where(UserSession.user_id == moderator.id))
    assert record.method == "totp" and record.ended_at is None
    (email,) = smtp.to("mod@example.org")
    assert "second factor was added" in email["Subject"]
    assert "authenticator app" in text_part(email)


def test_the_code_that_confirmed_the_app_cannot_sign_in_again(client, session, moderator):
    login(client, "mod@example.org", PASSWORD)
    secret = re.search(r'<span class="secret">([A-Z2-7 ]+)</span>', client.get("/account/security").text)
    secret = secret.group(1).replace(" ", "")
    code = code_at(0, secret)
    token = csrf_from(client, "/account/security")
    assert client.post("/account/security/totp", data={"csrf_token": token, "code": code}).status_code == 200

    other = client.application.test_client()
    assert where(login(other, "mod@example.org", PASSWORD)) == "/login/second-factor"
    refused = enter(other, code)
    assert refused.status_code == 400
    assert "used already" in field_error(refused.data, "code")


def test_a_participant_without_a_factor_signs_in_with_the_password_alone(client, session):
    make_user(session, Role.PARTICIPANT, email="p@example.org")
    session.commit()
    assert where(login(client, "p@example.org", PASSWORD)) == "/"
    assert signed_in(client)


def test_setting_up_is_refused_without_the_password_step(client):
    response = client.get("/account/security")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


# --- Signing in with the second factor ------------------------------------------------------


def test_sign_in_with_an_app_code(client, session, moderator_with_app):
    assert where(login(client, "mod@example.org", PASSWORD, next="/moderation")) == "/login/second-factor"
    assert where(client.get("/account")) == "/login/second-factor"
    assert client.post("/logout", data={"csrf_token": csrf_from(client, "/login/second-factor")}).status_code == 403
    assert where(enter(client, code_at())) == "/moderation"
    assert signed_in(client)
    reread(session)
    record = session.scalar(select(UserSession).where(UserSession.user_id == moderator_with_app.id))
    assert record.method == "totp"


def test_a_replayed_code_is_refused_and_an_older_one_too(app, client, session, moderator_with_app):
    code = code_at()
    login(client, "mod@example.org", PASSWORD)
    assert where(enter(client, code)) == "/"

    replay = app.test_client()
    login(replay, "mod@example.org", PASSWORD)
    refused = enter(replay, code)
    assert refused.status_code == 400
    assert "used already" in field_error(refused.data, "code")
    older = enter(replay, code_at(-1))  # the previous step: still in the window, but before the used one
    assert older.status_code == 400
    assert not signed_in(replay)
    assert where(enter(replay, code_at(1))) == "/"  # the next step's code is new: accepted


def test_a_wrong_code_and_junk_are_refused(client, moderator_with_app):
    login(client, "mod@example.org", PASSWORD)
    for junk in ("123", "abcdef", "1234567", " "):
        assert enter(client, junk).status_code == 400
    assert not signed_in(client)
    assert pending(client) is not None


def test_sign_in_with_a_recovery_code_works_once(app, client, session, moderator_with_app):
    with app.test_request_context():
        from consult.auth import factors

        codes = factors.new_recovery_codes(session, user=moderator_with_app)
        session.commit()
    login(client, "mod@example.org", PASSWORD)
    assert where(enter(client, codes[0].upper().replace("-", " "))) == "/"  # typed loosely
    assert "9 are left" in flashes(client.get("/").data)[0]

    again = app.test_client()
    login(again, "mod@example.org", PASSWORD)
    assert enter(again, codes[0]).status_code == 400
    assert where(enter(again, codes[1])) == "/"
    reread(session)
    assert (
        session.scalar(
            select(AuditEvent).where(AuditEvent.action == "user.recovery_code_use").order_by(AuditEvent.id.desc())
        ).actor_id
        == moderator_with_app.id
    )


def test_wrong_codes_are_rate_limited_per_account(app, moderator_with_app):
    app.config["SECOND_FACTOR_RATE_LIMIT"] = "5 per minute"
    first = app.test_client()
    login(first, "mod@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    statuses = [enter(first, "000000", ip="10.0.0.1").status_code for _ in range(5)]
    assert statuses == [400] * 5
    assert enter(first, code_at(), ip="10.0.0.1").status_code == 429  # even the right code, for now

    # Another address, the same account: still limited (per account, not only per address).
    second = app.test_client()
    login(second, "mod@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert enter(second, code_at(), ip="10.0.0.2").status_code == 429
    assert not signed_in(second)


def test_the_second_step_keeps_csrf_bound_to_the_half_signed_in_session(app, client, moderator_with_app):
    before = csrf_from(client, "/login")  # a token of the session before the password
    login(client, "mod@example.org", PASSWORD)
    stale = client.post("/login/second-factor", data={"csrf_token": before, "code": code_at()})
    assert stale.status_code == 400
    assert b"open too long" in stale.data
    assert client.post("/login/second-factor", data={"code": code_at()}).status_code == 400

    other = app.test_client()  # another half-signed-in session of the same person
    login(other, "mod@example.org", PASSWORD)
    foreign = csrf_from(other, "/login/second-factor")
    assert client.post("/login/second-factor", data={"csrf_token": foreign, "code": code_at()}).status_code == 400
    assert not signed_in(client)
    assert where(enter(client, code_at())) == "/"


def test_a_half_sign_in_expires(app, client, moderator_with_app):
    login(client, "mod@example.org", PASSWORD)
    with client.session_transaction() as flask_session:
        flask_session[signin.PENDING_KEY]["at"] -= app.config["SECOND_FACTOR_PENDING_SECONDS"] + 1
    assert where(client.get("/login/second-factor")) == "/login"
    assert client.get("/").status_code == 200  # an anonymous visitor again
    assert pending(client) is None


def test_a_half_sign_in_ends_with_the_session_version(app, client, session, moderator_with_app):
    login(client, "mod@example.org", PASSWORD)
    moderator_with_app.end_sessions()  # a password reset elsewhere
    session.commit()
    assert where(client.get("/login/second-factor")) == "/login"


def test_cancelling_leaves_the_half_sign_in(client, moderator_with_app):
    login(client, "mod@example.org", PASSWORD)
    response = client.post("/login/cancel", data={"csrf_token": csrf_from(client, "/login/second-factor")})
    assert where(response) == "/login"
    assert pending(client) is None
    assert client.get("/login").status_code == 200


# --- Managing factors -------------------------------------------------------------------------


def test_the_last_factor_of_a_required_role_cannot_be_removed(client, session, moderator_with_app, login_as):
    login_as(client, moderator_with_app)
    response = client.post("/account/security/totp/remove", data={"csrf_token": csrf_from(client, "/account")})
    assert where(response) == "/account/security"
    assert "Your role needs a second factor" in flashes(client.get("/account/security").data)[0]
    reread(session)
    assert session.scalar(select(TotpSecret).where(TotpSecret.user_id == moderator_with_app.id)) is not None


def test_removing_a_factor_tells_the_person(client, session, moderator_with_app, login_as, smtp):
    make_passkey(session, moderator_with_app, name="Blue key")
    session.commit()
    login_as(client, moderator_with_app)
    response = client.post("/account/security/totp/remove", data={"csrf_token": csrf_from(client, "/account")})
    assert where(response) == "/account/security"
    reread(session)
    assert session.scalar(select(TotpSecret).where(TotpSecret.user_id == moderator_with_app.id)) is None
    (email,) = smtp.to("mod@example.org")
    assert "removed" in email["Subject"]
    page = client.get("/account/security").get_data(as_text=True)
    assert "Blue key" in page and "<svg" in page  # the app can be set up again


def test_new_recovery_codes_replace_the_old_ones(app, client, session, moderator_with_app, login_as):
    with app.test_request_context():
        from consult.auth import factors

        old = factors.new_recovery_codes(session, user=moderator_with_app)
        session.commit()
    login_as(client, moderator_with_app)
    response = client.post("/account/security/recovery-codes", data={"csrf_token": csrf_from(client, "/account")})
    assert response.status_code == 200
    new = CODE_RE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)

    other = app.test_client()
    login(other, "mod@example.org", PASSWORD)
    assert enter(other, old[0]).status_code == 400
    assert where(enter(other, new[0])) == "/"


# --- An administrator's reset -----------------------------------------------------------------


def test_an_administrator_resets_a_second_factor_with_a_reason(
    app, session, people, moderator_with_app, login_as, smtp
):
    make_passkey(session, moderator_with_app)
    session.commit()
    victim = app.test_client()
    login_as(victim, moderator_with_app)
    admin = app.test_client()
    login_as(admin, people["admin"])
    url = f"/admin/users/{moderator_with_app.id}/second-factor/reset"
    page = f"/admin/users/{moderator_with_app.id}"

    no_reason = admin.post(url, data={"csrf_token": csrf_from(admin, page), "reset_reason": ""})
    assert no_reason.status_code == 400
    assert signed_in(victim)

    done = admin.post(url, data={"csrf_token": csrf_from(admin, page), "reset_reason": "Lost phone, checked by video"})
    assert where(done) == page
    assert not signed_in(victim)
    reread(session)
    assert session.scalar(select(TotpSecret).where(TotpSecret.user_id == moderator_with_app.id)) is None
    assert session.scalar(select(Passkey).where(Passkey.user_id == moderator_with_app.id)) is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset"))
    assert event.actor_id == people["admin"].id and event.reason == "Lost phone, checked by video"
    assert event.details["passkeys"] == 1 and event.details["totp"] == 1
    (email,) = smtp.to("mod@example.org")
    assert "reset" in email["Subject"]
    assert people["admin"].display_name in html.unescape(text_part(email))
    # At the next sign-in they set up a new one.
    assert where(login(app.test_client(), "mod@example.org", PASSWORD)) == "/account/security"


def test_an_administrator_cannot_reset_their_own(app, people, login_as):
    admin = app.test_client()
    login_as(admin, people["admin"])
    url = f"/admin/users/{people['admin'].id}/second-factor/reset"
    token = csrf_from(admin, f"/admin/users/{people['admin'].id}")
    assert admin.post(url, data={"csrf_token": token, "reset_reason": "mine"}).status_code == 403


def test_a_role_that_newly_needs_a_factor_ends_sessions_and_asks_for_set_up(app, session, people, login_as):
    subject = people["participant:industry"]
    own = app.test_client()
    assert where(login(own, subject.email, PASSWORD)) == "/"
    admin = app.test_client()
    login_as(admin, people["admin"])
    token = csrf_from(admin, f"/admin/users/{subject.id}")
    admin.post(
        f"/admin/users/{subject.id}/role",
        data={"csrf_token": token, "role": "moderator", "organisation": "0", "reason": "Joins the bureau"},
    )
    assert not signed_in(own)
    assert where(login(own, subject.email, PASSWORD)) == "/account/security"


def test_the_roles_come_from_the_setting(app, client, session):
    app.config["SECOND_FACTOR_ROLES"] = ("admin",)
    make_user(session, Role.MODERATOR, email="m2@example.org")
    session.commit()
    assert where(login(client, "m2@example.org", PASSWORD)) == "/"
    app.config["SECOND_FACTOR_ROLES"] = ("moderators",)
    with pytest.raises(RuntimeError, match="unknown roles"), app.app_context():
        from consult import policy

        policy.second_factor_roles()


# --- Passkeys' relying party -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "rp_id", "origin"),
    [
        ("http://127.0.0.1:5000", "localhost", "http://localhost:5000"),  # the demo: no passkeys on an IP
        ("http://localhost:5000", "localhost", "http://localhost:5000"),
        ("http://[::1]:8000", "localhost", "http://localhost:8000"),
        ("https://consult.example.org", "consult.example.org", "https://consult.example.org"),
        ("https://consult.example.org:8443/", "consult.example.org", "https://consult.example.org:8443"),
    ],
)
def test_the_relying_party_comes_from_the_public_url(app, public_url, rp_id, origin):
    from consult.auth import passkeys

    app.config["PUBLIC_URL"] = public_url
    with app.test_request_context(base_url=origin):
        assert passkeys.relying_party() == (rp_id, origin)
        assert passkeys.usable_here()
    with app.test_request_context(base_url="http://192.0.2.1:5000"):
        assert not passkeys.usable_here()


def test_the_sign_in_page_points_to_the_passkey_address_when_opened_by_ip(app, client):
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    page = client.get("/login", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert 'href="http://localhost:5000/login"' in page and "data-webauthn" not in page
    page = client.get("/login", base_url="http://localhost:5000").get_data(as_text=True)
    assert 'data-webauthn="get"' in page and "js/passkeys.js" in page


def test_a_passkey_answer_without_javascript_is_explained(app, client, moderator_with_app):
    login(client, "mod@example.org", PASSWORD)
    token = csrf_from(client, "/login/second-factor")
    response = client.post("/login/second-factor/passkey", data={"csrf_token": token, "credential": ""})
    assert response.status_code == 400
    assert "Passkeys need JavaScript" in response.get_data(as_text=True)
    assert not signed_in(client)
