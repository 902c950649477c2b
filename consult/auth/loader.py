"""Flask-Login wiring: login ids carry the session version and the session record, so all of a
person's sessions can be ended at once (the version) or one at a time (the record)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult.auth.models import User, UserSession
from consult.db import get_session
from consult.extensions import login_manager


def load_user(login_id: str) -> User | None:
    """The user for a login id `<id>:<session version>:<session record>`; None once the version
    moved on or the record ended. One query: the record with its person (and organisation)."""
    parts = (login_id or "").split(":")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    user_id, version, record_id = (int(p) for p in parts)
    record = get_session().scalar(
        select(UserSession).where(UserSession.id == record_id, UserSession.user_id == user_id)
    )
    if record is None or record.ended_at is not None:
        return None
    user = record.user
    if not user.is_active or user.session_version != version:
        return None
    user.session_record_id = record.id
    from consult.auth.sessions import touch_later

    touch_later(record)
    return user


def init_login(app: Flask) -> None:
    from consult.auth.signin import guard

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(guard)
