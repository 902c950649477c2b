"""The language switcher in every page's header: remembered by the browser (a cookie) and, for a
signed-in person, on their account (which their emails follow too)."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from consult import i18n
from consult.auth import bp, services
from consult.db import get_session
from consult.web import is_safe_next


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the pages (and a signed-in person's emails) to another of the six languages."""
    code = i18n.known(request.form.get("language"))
    if code is None:
        abort(400)
    if current_user.is_authenticated:
        db = get_session()
        services.choose_language(db, user=current_user._get_current_object(), locale=code)
        db.commit()
    target = request.form.get("next")
    response = redirect(target if is_safe_next(target) else url_for("consultations.index"))
    i18n.remember(response, code)
    return response
