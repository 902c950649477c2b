"""The way in: the password, then the second factor (when the person has one or their role
needs one), then a session.

Between the password and the second factor the session holds a pending marker (who, their
session version, when, which step), not a login: Flask-Login sees nobody. `guard` (before
every request) lets such a session reach only its step's pages: other pages redirect there
(GET) or answer 403. `begin` and `complete` each start a fresh session (`session.clear()`),
so a CSRF token, a passkey challenge or a marker from one stage is worthless in the next.
A person whose role needs a second factor and who has none is sent to set one up
(`auth.security`) and signed in when it is confirmed.
"""

from __future__ import annotations

import time
from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask import session as flask_session
from flask_babel import get_locale
from flask_login import login_user
from sqlalchemy.orm import Session

from consult import policy
from consult.auth import factors, notices, sessions
from consult.auth.models import User
from consult.db import get_session, utcnow

PENDING_KEY = "consult.pending"
VERIFY = "verify"  # the person has a second factor: enter a code or use a passkey
SETUP = "setup"  # the person's role needs one and they have none: set one up
STEP_ENDPOINTS = {VERIFY: "auth.second_factor", SETUP: "auth.security"}
ALLOWED = {
    VERIFY: frozenset({"auth.second_factor", "auth.second_factor_passkey", "auth.cancel_sign_in", "auth.set_language"}),
    SETUP: frozenset(
        {"auth.security", "auth.confirm_totp", "auth.register_passkey", "auth.cancel_sign_in", "auth.set_language"}
    ),
}


def after_password(session: Session, user: User, *, remember: bool, next_url: str) -> Any:
    """Where a correct password leads: the second-factor step, set-up, or straight in."""
    if factors.has_second_factor(session, user):
        if policy.may_remember_browser(user) and sessions.is_remembered(session, user, sessions.known_browser_hash()):
            complete(session, user, method="remembered", remember=remember)
            return redirect(next_url)
        begin(user, VERIFY, remember=remember, next_url=next_url)
        return redirect(url_for(STEP_ENDPOINTS[VERIFY]))
    if policy.requires_second_factor(user):
        begin(user, SETUP, remember=remember, next_url=next_url)
        return redirect(url_for(STEP_ENDPOINTS[SETUP]))
    complete(session, user, method="password", remember=remember)
    return redirect(next_url)


def begin(user: User, stage: str, *, remember: bool, next_url: str) -> None:
    """Half sign in: a fresh session holding the pending marker, no login."""
    flask_session.clear()
    flask_session.permanent = True
    flask_session[PENDING_KEY] = {
        "u": user.id,
        "v": user.session_version,
        "at": int(time.time()),
        "s": stage,
        "r": bool(remember),
        "n": next_url,
    }


def pending(session: Session) -> tuple[User, str] | None:
    """The half-signed-in person and their step, or None (none, expired, or out of date)."""
    data = flask_session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    user_id, version, at, stage = data.get("u"), data.get("v"), data.get("at"), data.get("s")
    if not (isinstance(user_id, int) and isinstance(version, int) and isinstance(at, int)) or stage not in ALLOWED:
        return None
    if time.time() - at > current_app.config["SECOND_FACTOR_PENDING_SECONDS"]:
        return None
    user = session.get(User, user_id) if 0 < user_id < 2**62 else None
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user, stage


def pending_next() -> str:
    data = flask_session.get(PENDING_KEY)
    target = data.get("n") if isinstance(data, dict) else None
    from consult.web import is_safe_next

    return target if is_safe_next(target) else url_for("consultations.index")


def pending_remember() -> bool:
    data = flask_session.get(PENDING_KEY)
    return bool(data.get("r")) if isinstance(data, dict) else False


def complete(session: Session, user: User, *, method: str, remember: bool, remember_browser: bool = False) -> None:
    """Sign `user` in: a fresh session with its record, the login, an email for a new browser.
    The caller commits."""
    flask_session.clear()
    flask_session.permanent = True
    browser = sessions.browser_hash()
    record, new_browser = sessions.start(session, user=user, method=method, remember=remember, browser=browser)
    if user.locale is None:  # the language the person signed in with, for their emails
        user.locale = str(get_locale())
    if remember_browser and policy.may_remember_browser(user) and factors.has_second_factor(session, user):
        sessions.remember_browser(session, user=user, browser=browser)
    if new_browser:
        notices.new_sign_in(session, user, device=record.device, network=record.network, when=record.created_at)
    user.last_login_at = utcnow()
    user.session_record_id = record.id
    login_user(user, remember=remember)


def cancel() -> None:
    """Drop a half sign-in."""
    flask_session.pop(PENDING_KEY, None)


def guard() -> Any:
    """Before every request: a half-signed-in session reaches only its step's pages."""
    if PENDING_KEY not in flask_session or request.endpoint == "static":
        return None
    found = pending(get_session())
    if found is None:
        cancel()  # expired or out of date: an anonymous visitor again
        return None
    _user, stage = found
    if request.endpoint in ALLOWED[stage]:
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for(STEP_ENDPOINTS[stage]))
    abort(403)
