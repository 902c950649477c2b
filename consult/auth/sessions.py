"""Sessions you can see: one record per signed-in browser session, and remembered browsers.

The login id is `<user id>:<session version>:<session record id>` (consult.auth.loader): bumping
the version ends every session of a person (logout, password or role change), ending a record
ends that one. Each browser carries a signed random key in a long-lived cookie
(`REMEMBER_BROWSER_COOKIE_NAME`); records keep only its hash, which tells a new browser from a
known one (an email on sign-in from a new one), and a remembered browser skips the second
factor until its row expires or is revoked.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import after_this_request, current_app, request
from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from consult import tokens
from consult.auth.models import RememberedBrowser, User, UserSession
from consult.db import utcnow
from consult.errors import NotFound

log = logging.getLogger(__name__)
BROWSER_PURPOSE = "browser"
BROWSER_COOKIE_DAYS = 400  # the longest a browser keeps a cookie
MAX_LISTED = 50  # sessions shown on the account page (a person has a handful)

_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Android", re.compile(r"Android")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("Linux", re.compile(r"Linux|X11")),
)


def device_from(user_agent: str) -> str:
    """ "Firefox, Linux" from a user agent: what a person recognises, nothing more ("" if unknown)."""
    agent = (user_agent or "")[:512]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(agent)), "")
    if "HeadlessChrome" in agent:
        browser = "Chrome (headless)"
    return ", ".join(part for part in (browser, system) if part)


def network_of(address: str | None) -> str:
    """The IP's network only (/24 for IPv4, /48 for IPv6): an approximate place, not the address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# --- The browser key ------------------------------------------------------------------------


def browser_hash() -> str:
    """The hash of this browser's key, giving the browser a key (cookie) when it has none."""
    name = current_app.config["REMEMBER_BROWSER_COOKIE_NAME"]
    payload = tokens.unsign(BROWSER_PURPOSE, request.cookies.get(name, ""), BROWSER_COOKIE_DAYS * 86400)
    if isinstance(payload, str) and len(payload) == 43:
        key = payload
    else:
        key = secrets.token_urlsafe(32)
        value = tokens.sign(BROWSER_PURPOSE, key)

        @after_this_request
        def _set_cookie(response: Any) -> Any:
            config = current_app.config
            response.set_cookie(
                name,
                value,
                max_age=BROWSER_COOKIE_DAYS * 86400,
                httponly=True,
                secure=config["SESSION_COOKIE_SECURE"],
                samesite="Lax",
            )
            return response

    return hashlib.sha256(key.encode()).hexdigest()


def known_browser_hash() -> str:
    """The hash of this browser's key, or "" when it has no valid key (nothing is set)."""
    name = current_app.config["REMEMBER_BROWSER_COOKIE_NAME"]
    payload = tokens.unsign(BROWSER_PURPOSE, request.cookies.get(name, ""), BROWSER_COOKIE_DAYS * 86400)
    return hashlib.sha256(payload.encode()).hexdigest() if isinstance(payload, str) and len(payload) == 43 else ""


# --- Session records ------------------------------------------------------------------------


def start(session: Session, *, user: User, method: str, remember: bool, browser: str) -> tuple[UserSession, bool]:
    """Record a new signed-in session of `user` in this browser; also whether the browser is new
    to a person who had signed in elsewhere before (worth an email)."""
    signed_in_before = session.scalar(select(exists().where(UserSession.user_id == user.id)))
    seen_here = session.scalar(
        select(exists().where(UserSession.user_id == user.id, UserSession.browser_hash == browser))
    )
    now = utcnow()
    record = UserSession(
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        method=method,
        remember=remember,
        device=device_from(request.headers.get("User-Agent", "")),
        network=network_of(request.remote_addr),
        browser_hash=browser,
    )
    session.add(record)
    session.flush()
    return record, bool(signed_in_before and not seen_here)


def _lifetimes() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return config["PERMANENT_SESSION_LIFETIME"], config["REMEMBER_COOKIE_DURATION"]


def active_condition(now: datetime) -> Any:
    """The SQL condition on UserSession for sessions that can still be used at `now`."""
    session_life, remember_life = _lifetimes()
    return and_(
        UserSession.ended_at.is_(None),
        or_(
            UserSession.last_seen_at > now - session_life,
            and_(UserSession.remember.is_(True), UserSession.created_at > now - remember_life),
        ),
    )


def active_sessions(session: Session, user: User) -> list[UserSession]:
    """The person's sessions that may still be in use, the most recently seen first."""
    stmt = (
        select(UserSession)
        .where(UserSession.user_id == user.id, active_condition(utcnow()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        .limit(MAX_LISTED)
    )
    return list(session.scalars(stmt))


def end_session(session: Session, *, user: User, record_id: int) -> UserSession:
    """End one of the person's own sessions (its cookies stop working at their next request)."""
    record = session.get(UserSession, record_id) if 0 < record_id < 2**62 else None
    if record is None or record.user_id != user.id or record.ended_at is not None:
        raise NotFound(_("This session has ended already, or is not yours."))
    record.ended_at = utcnow()
    return record


def end_other_sessions(session: Session, *, user: User, keep: int) -> int:
    """End every session of the person but `keep` (this one); how many ended."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.id != keep, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount or 0


def touch_later(record: UserSession) -> None:
    """Move the record's "last seen" to now, at most once a `SESSION_TOUCH_SECONDS`, after the
    response has gone (on a connection of its own, so a page that only reads never writes in its
    own transaction, and nobody waits for it)."""
    now = utcnow()
    every = timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"])
    if record.last_seen_at > now - every:
        return
    engine = current_app.extensions["consult.db"].engine
    record_id = record.id

    @after_this_request
    def _register(response: Any) -> Any:
        response.call_on_close(lambda: _write_last_seen(engine, record_id, now, every))
        return response


def _write_last_seen(engine: Any, record_id: int, now: datetime, every: timedelta) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(
                update(UserSession)
                .where(UserSession.id == record_id, UserSession.last_seen_at <= now - every)
                .values(last_seen_at=now)
            )
    except SQLAlchemyError:  # approximate by design: the next request tries again
        log.warning("could not record when session %s was last seen", record_id, exc_info=True)


# --- Remembered browsers --------------------------------------------------------------------


def remember_browser(session: Session, *, user: User, browser: str) -> RememberedBrowser:
    """Let this browser skip `user`'s second factor for REMEMBER_BROWSER_DAYS."""
    now = utcnow()
    row = RememberedBrowser(
        user_id=user.id,
        browser_hash=browser,
        device=device_from(request.headers.get("User-Agent", "")),
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["REMEMBER_BROWSER_DAYS"]),
    )
    session.add(row)
    session.flush()
    return row


def is_remembered(session: Session, user: User, browser: str) -> bool:
    """Whether this browser may skip `user`'s second factor now."""
    if not browser:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    RememberedBrowser.user_id == user.id,
                    RememberedBrowser.browser_hash == browser,
                    RememberedBrowser.revoked_at.is_(None),
                    RememberedBrowser.expires_at > utcnow(),
                )
            )
        )
    )


def remembered_browsers(session: Session, user: User) -> list[RememberedBrowser]:
    """The browsers that skip the person's second factor now."""
    stmt = (
        select(RememberedBrowser)
        .where(
            RememberedBrowser.user_id == user.id,
            RememberedBrowser.revoked_at.is_(None),
            RememberedBrowser.expires_at > utcnow(),
        )
        .order_by(RememberedBrowser.id.desc())
        .limit(MAX_LISTED)
    )
    return list(session.scalars(stmt))


def forget_browser(session: Session, *, user: User, browser_id: int) -> None:
    """Stop a remembered browser from skipping the second factor."""
    row = session.get(RememberedBrowser, browser_id) if 0 < browser_id < 2**62 else None
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise NotFound(_("This browser is not remembered, or is not yours."))
    row.revoked_at = utcnow()


def forget_all_browsers(session: Session, user: User) -> None:
    """Every remembered browser of `user` asks for the second factor again."""
    session.execute(
        update(RememberedBrowser)
        .where(RememberedBrowser.user_id == user.id, RememberedBrowser.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
