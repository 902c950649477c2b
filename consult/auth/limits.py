"""Rate limits of the auth room's pages: the settings they read and the keys they count by."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from consult.auth import signin
from consult.db import get_session


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def factor_limit() -> str:
    return current_app.config["SECOND_FACTOR_RATE_LIMIT"]


def account_key() -> str:
    """Rate-limit key for the account a sign-in or reset form names."""
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def factor_key() -> str:
    """Rate-limit key: the account whose second factor is being tried (else the address)."""
    found = signin.pending(get_session())
    if found is not None:
        return f"factor:{found[0].id}"
    if current_user.is_authenticated:
        return f"factor:{current_user.id}"
    return f"factor-ip:{request.remote_addr}"
