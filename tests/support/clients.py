"""Test clients as a browser uses the app: each request on its own, with a CSRF token read
from a page, signed in through the session cookie.

Why `IsolatedClient`: the root `session` fixture keeps a test request context pushed for the
whole test, and Flask reuses a pushed app context for every request the test client makes.
Each request would then share `g` with the test and with every other client: the signed-in
user (`g._login_user`), the CSRF token and the database session leak from one request to the
next, so an anonymous client is served as whoever asked before, a copied cookie looks valid
because the previous request's user is still cached, and teardown never closes the request's
session. An isolated client runs each request in an empty `contextvars.Context`, so it gets
its own app context, `g` and database session, exactly as under a real server. The root `app`
fixture makes every `app.test_client()` one.
"""

from __future__ import annotations

import contextvars
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.support.state import fresh, release

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*\svalue="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context (see the module docstring)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("method", "GET") not in ("GET", "HEAD"):
            _release_test_session()
        return contextvars.Context().run(super().open, *args, **kwargs)


def _release_test_session() -> None:
    """End the transaction of the test's own session (a writer's: BEGIN IMMEDIATE on SQLite)
    before a request that writes, which would otherwise wait for it until "database is locked".
    Only when it holds no unflushed changes: those a test must commit first anyway."""
    from flask import g, has_app_context

    if not has_app_context():
        return
    db_session = g.get("db_session")
    if db_session is None or not db_session.in_transaction():
        return
    if not (db_session.new or db_session.dirty or db_session.deleted):
        db_session.rollback()


def csrf_token(client: Any) -> str:
    """A valid CSRF token for `client`'s session, read from a page as a browser would."""
    response = client.get("/login", follow_redirects=True)
    found = _CSRF_RE.search(response.get_data(as_text=True))
    assert found, "no CSRF token on the sign-in page (or the page it redirects to)"
    return found.group(1)


def post(client: Any, url: str, data: dict | None = None, **kwargs: Any) -> Any:
    """POST `data` with a valid CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def sign_in(app: Any, login_as: Any, session: Session, people: factories.People, viewer: str) -> Any:
    """A fresh isolated client signed in as `viewer` (or anonymous)."""
    client = app.test_client()
    if viewer != "anonymous":
        fresh(session)  # the login id carries the session version, which requests may bump
        login_as(client, people[viewer])
    release(session)
    return client


def is_login_redirect(response: Any) -> bool:
    """A 302 to the sign-in page that asks to come back (`next=`): "please sign in first"."""
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers.get("Location", ""))
    return location.path == "/login" and "next" in parse_qs(location.query)


def assert_security_headers(response: Any, what: str = "") -> None:
    """The headers S8 asks of every response."""
    label = what or f"{response.request.method} {response.request.path} -> {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, f"{label}: no Content-Security-Policy"
    assert "'unsafe-inline'" not in csp, f"{label}: CSP allows 'unsafe-inline'"
    assert "frame-ancestors 'none'" in csp, f"{label}: CSP lacks frame-ancestors 'none'"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", f"{label}: no nosniff"
    assert response.headers.get("Referrer-Policy"), f"{label}: no Referrer-Policy"
