"""Flask-Login wiring: login ids carry the session version, so old sessions can be ended."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from consult.auth.models import User
from consult.db import get_session
from consult.extensions import login_manager


def load_user(login_id: str) -> User | None:
    """The user for a login id `<id>:<session version>`; None once the version moved on."""
    user_id, _, version = (login_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
