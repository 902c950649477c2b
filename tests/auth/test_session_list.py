"""Sessions you can see: a record per signed-in session, listed on the account page, ended one
by one or all others; emails on sign-in from a new browser; remembered browsers (issue 17)."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from consult.auth.loader import load_user
from consult.auth.models import RememberedBrowser, Role, UserSession
from consult.auth.sessions import device_from, network_of
from consult.db import utcnow
from tests.auth.helpers import cookie, copy_cookie, csrf_from, flashes, login, reread, text_part
from tests.factories import PASSWORD, make_totp, make_user

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org", name="Alice")
    session.commit()
    return user


@pytest.fixture
def organiser(session):
    user = make_user(session, Role.ORGANISER, email="org@example.org")
    make_totp(session, user, SECRET)
    session.commit()
    return user


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def sign_in(client, email: str, agent: str = FIREFOX, ip: str = "203.0.113.7", **fields):
    return login(client, email, PASSWORD, environ_base={"HTTP_USER_AGENT": agent, "REMOTE_ADDR": ip}, **fields)


def records(session, user) -> list[UserSession]:
    reread(session)
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def test_device_and_network_are_approximate():
    assert device_from(FIREFOX) == "Firefox, Linux"
    assert device_from(IPHONE) == "Safari, iOS"
    assert device_from("") == ""
    assert network_of("203.0.113.7") == "203.0.113.0/24"
    assert network_of("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert network_of("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert network_of("not an address") == ""


def test_each_sign_in_is_listed_with_device_and_network_not_the_address(app, session, alice):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "alice@example.org")
    sign_in(phone, "alice@example.org", agent=IPHONE, ip="198.51.100.9")
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox, Linux" in page and "Safari, iOS" in page
    assert "203.0.113.0/24" in page and "198.51.100.0/24" in page
    assert "203.0.113.7" not in page and "198.51.100.9" not in page
    assert page.count("(this browser)") == 1
    laptop_record, phone_record = records(session, alice)
    assert (laptop_record.network, phone_record.device) == ("203.0.113.0/24", "Safari, iOS")


def test_ending_one_session_signs_out_that_browser_only(app, session, alice):
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    for client in (laptop, phone, tablet):
        sign_in(client, "alice@example.org")
    _laptop, phone_record, _tablet = records(session, alice)
    response = laptop.post(
        f"/account/sessions/{phone_record.id}/end", data={"csrf_token": csrf_from(laptop, "/account")}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "The session is ended." in flashes(laptop.get("/account").data)
    assert not signed_in(phone)
    assert signed_in(laptop) and signed_in(tablet)
    # Ending it again, or someone else's, is a 404.
    again = laptop.post(f"/account/sessions/{phone_record.id}/end", data={"csrf_token": csrf_from(laptop, "/account")})
    assert again.status_code == 404


def test_a_copied_cookie_of_an_ended_session_stays_dead(app, session, alice):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "alice@example.org")
    sign_in(phone, "alice@example.org", remember="y")
    thief = app.test_client()
    copy_cookie(phone, thief, "consult_remember")
    assert signed_in(thief)
    phone_record = records(session, alice)[1]
    laptop.post(f"/account/sessions/{phone_record.id}/end", data={"csrf_token": csrf_from(laptop, "/account")})
    assert not signed_in(thief)  # the remember cookie names the ended record


def test_end_all_other_sessions(app, session, alice):
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        sign_in(client, "alice@example.org")
    this = clients[0]
    response = this.post("/account/sessions/end-others", data={"csrf_token": csrf_from(this, "/account")})
    assert response.status_code == 302
    assert signed_in(this)
    assert not any(signed_in(c) for c in clients[1:])
    assert [r.ended_at is None for r in records(session, alice)] == [True, False, False]
    assert this.get("/account").get_data(as_text=True).count('action="/account/sessions/') == 1


def test_ending_this_session_signs_out(app, session, alice):
    client = app.test_client()
    sign_in(client, "alice@example.org")
    (record,) = records(session, alice)
    response = client.post(f"/account/sessions/{record.id}/end", data={"csrf_token": csrf_from(client, "/account")})
    assert response.headers["Location"] == "/login"
    assert not signed_in(client)


def test_logout_ends_every_record(app, session, alice):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "alice@example.org")
    sign_in(phone, "alice@example.org")
    laptop.post("/logout", data={"csrf_token": csrf_from(laptop, "/account")})
    assert all(r.ended_at is not None for r in records(session, alice))


def test_a_password_change_keeps_this_session_and_ends_the_others(app, session, alice):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "alice@example.org")
    sign_in(phone, "alice@example.org")
    new = "a brand new passphrase for alice"
    token = csrf_from(laptop, "/account")
    laptop.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "password": new, "confirm": new})
    assert signed_in(laptop) and not signed_in(phone)
    laptop_record, phone_record = records(session, alice)
    assert laptop_record.ended_at is None and phone_record.ended_at is not None


def test_last_seen_is_written_at_most_once_a_minute(app, session, alice):
    client = app.test_client()
    sign_in(client, "alice@example.org")
    (record,) = records(session, alice)
    recent = utcnow() - timedelta(seconds=20)
    record.last_seen_at = recent
    session.commit()
    client.get("/account").close()  # (a WSGI server closes every response; the write runs then)
    assert abs((records(session, alice)[0].last_seen_at - recent).total_seconds()) < 1  # not yet

    stale = utcnow() - timedelta(minutes=5)
    record = records(session, alice)[0]
    record.last_seen_at = stale
    session.commit()
    client.get("/account").close()
    assert records(session, alice)[0].last_seen_at > utcnow() - timedelta(seconds=30)


def test_login_ids_without_a_live_session_record_sign_nobody_in(app, session, alice):
    client = app.test_client()
    sign_in(client, "alice@example.org")
    (record,) = records(session, alice)
    with app.test_request_context():
        assert load_user(f"{alice.id}:{alice.session_version}:{record.id}") is not None
        assert load_user(f"{alice.id}:{alice.session_version}") is None  # the format before sessions
        assert load_user(f"{alice.id}:{alice.session_version}:{record.id + 1000}") is None
        assert load_user(f"{alice.id + 1}:{alice.session_version}:{record.id}") is None  # someone else's
        assert load_user("1:2:x") is None and load_user("") is None and load_user("1:2:3:4") is None


# --- A new browser ---------------------------------------------------------------------------


def test_a_sign_in_from_a_new_browser_is_emailed(app, session, alice, smtp):
    laptop = app.test_client()
    sign_in(laptop, "alice@example.org")
    assert smtp.to("alice@example.org") == []  # the first sign-in ever: nothing to compare with
    assert cookie(laptop, "consult_browser") is not None

    laptop.post("/logout", data={"csrf_token": csrf_from(laptop, "/account")})
    sign_in(laptop, "alice@example.org")  # the same browser again
    assert smtp.to("alice@example.org") == []

    sign_in(app.test_client(), "alice@example.org", agent=IPHONE, ip="198.51.100.9")
    (email,) = smtp.to("alice@example.org")
    assert email["Subject"] == "New sign-in to your consult account"
    body = text_part(email)
    assert "Safari, iOS" in body and "198.51.100.0/24" in body and "198.51.100.9" not in body


# --- Remember this browser -------------------------------------------------------------------


def _code(offset: int = 0) -> str:
    return pyotp.TOTP(SECRET).at(time.time() + 30 * offset)


def _second_step(client, code: str, **fields):
    token = csrf_from(client, "/login/second-factor")
    return client.post("/login/second-factor", data={"csrf_token": token, "code": code, **fields})


def test_a_remembered_browser_skips_the_second_factor_until_revoked(app, session, organiser):
    client = app.test_client()
    assert sign_in(client, "org@example.org").headers["Location"] == "/login/second-factor"
    assert _second_step(client, _code(), remember_browser="y").headers["Location"] == "/"
    reread(session)
    (remembered,) = session.scalars(select(RememberedBrowser).where(RememberedBrowser.user_id == organiser.id))
    assert timedelta(days=29) < remembered.expires_at - utcnow() <= timedelta(days=30)

    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    assert sign_in(client, "org@example.org").headers["Location"] == "/"  # password only, this browser
    assert records(session, organiser)[-1].method == "remembered"
    other = app.test_client()  # another browser still needs the second factor
    assert sign_in(other, "org@example.org").headers["Location"] == "/login/second-factor"

    page = client.get("/account").get_data(as_text=True)
    assert "Browsers that skip the second factor" in page
    response = client.post(
        f"/account/browsers/{remembered.id}/forget", data={"csrf_token": csrf_from(client, "/account")}
    )
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    assert sign_in(client, "org@example.org").headers["Location"] == "/login/second-factor"


def test_a_copied_browser_cookie_without_its_row_skips_nothing(app, session, organiser):
    client = app.test_client()
    sign_in(client, "org@example.org")
    _second_step(client, _code())  # not remembered
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    assert sign_in(client, "org@example.org").headers["Location"] == "/login/second-factor"


def test_administrators_are_never_remembered(app, session):
    admin = make_user(session, Role.ADMIN, email="root@example.org")
    make_totp(session, admin, SECRET)
    session.commit()
    client = app.test_client()
    sign_in(client, "root@example.org")
    page = client.get("/login/second-factor").get_data(as_text=True)
    assert "remember_browser" not in page
    assert _second_step(client, _code(), remember_browser="y").headers["Location"] == "/"
    reread(session)
    assert session.scalars(select(RememberedBrowser)).all() == []
