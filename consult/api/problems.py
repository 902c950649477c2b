"""Problem details (RFC 9457) and the API's refusals, shared by the registry and the token
authentication (which the registry calls, so neither imports the other for these)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request

PROBLEM_TYPE = "application/problem+json"
STATUS_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


class ApiError(Exception):
    """A refusal answered as a problem document."""

    def __init__(self, status: int, detail: str = "", errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}


def problem(status: int, detail: str | None = None, errors: list[dict] | None = None, headers: dict | None = None):
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {"type": "about:blank", "title": STATUS_TITLES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if request:
        body["instance"] = request.path[:500]
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="consult"'
    return response


def set_audit_via() -> None:
    """Writes made by this request are audited as from the API."""
    g.audit_via = "api"
