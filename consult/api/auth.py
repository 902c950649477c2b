"""Who is calling the API: a bearer token, never a cookie.

Under /api/ the cookie session is neither read nor written (`ApiAwareSessionInterface`), and
the signed-in user of a request is the token's owner, set before any code asks for
`current_user`: a browser's cookies therefore carry no authority here, so the API needs (and
has) no CSRF protection and sends no CORS headers. Errors under /api/ are problem details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from consult.api.models import ApiToken, Scope
from consult.api.problems import ApiError, problem, set_audit_via
from consult.auth.models import User
from consult.db import database, get_session

API_PATH = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PATH)


class ApiAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, except under /api/: there a null session, so no cookie is read
    or set (a cookie cannot authenticate an API call, and no API answer carries one)."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.path.startswith(API_PATH):
            return self.make_null_session(app)
        return super().open_session(app, request)


@dataclass
class Context:
    """What an operation's handler gets: the caller, their token, the parsed input."""

    token: ApiToken
    user: User
    query: Any = None
    body: Any = None


def _anonymous() -> None:
    from consult.extensions import login_manager

    login_manager._update_request_context_with_user(None)


def before_api_request() -> None:
    """Under /api/: nobody is signed in until a token says who (cookies are ignored)."""
    if is_api_request():
        _anonymous()


def authenticate_request(scope: Scope | None) -> Context | None:
    """The caller of this request from its bearer token, with `scope`; else a 401 or 403."""
    from consult.api import services
    from consult.extensions import login_manager

    if scope is None:
        return None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        raise ApiError(401, _("Send a personal access token: Authorization: Bearer <token>."))
    db = get_session()
    found = services.authenticate(db, header[7:].strip())
    if found is None:
        raise ApiError(401, _("This token is not valid: it may have expired or been revoked."))
    token, user = found
    if scope not in token.scope_set:
        raise ApiError(403, _("This token does not have the %(scope)s scope.", scope=scope.value))
    login_manager._update_request_context_with_user(user)
    g.api_token = token
    set_audit_via()
    reading = request.method in ("GET", "HEAD", "OPTIONS")
    services.note_use(db, token, database().engine if reading else None)
    return Context(token, user)


def rate_limit_headers(response: Any) -> Any:
    """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the token's policy and
    what is left of it; a refusal also has Retry-After (from Flask-Limiter)."""
    import time

    from consult.extensions import limiter

    if not is_api_request():
        return response
    current = limiter.current_limit
    if current is not None:
        item = current.limit
        reset = max(int(current.reset_at - time.time()), 0)
        response.headers["RateLimit-Policy"] = f'"token";q={item.amount};w={item.get_expiry()}'
        response.headers["RateLimit"] = f'"token";r={max(current.remaining, 0)};t={reset}'
        if current.breached and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(max(reset, 1))
    return response


def _error_renderer(status: int, message: str | None) -> Any:
    return problem(status, message)


def init_app(app: Flask) -> None:
    """Cookie-free sessions, anonymous by default, and problem details under /api/."""
    from consult import web

    app.session_interface = ApiAwareSessionInterface()
    app.after_request(rate_limit_headers)
    app.before_request_funcs.setdefault(None, []).insert(0, before_api_request)
    web.register_error_renderer(API_PATH, _error_renderer)
    app.register_error_handler(ApiError, lambda exc: problem(exc.status, exc.detail, exc.errors, exc.headers))
