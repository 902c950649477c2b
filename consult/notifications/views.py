"""The notifications page, and marking one or all of them read."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import get_session, utcnow
from consult.notifications import bp, services
from consult.notifications.display import shown
from consult.notifications.queries import notification_page, unread_count
from consult.pagination import MAX_PAGE
from consult.policy import Permission
from consult.web import commit_or_refuse, current_actor, permission_required


def _back() -> str:
    """Back to the page of the list the person was on."""
    number = request.form.get("page", 1, type=int) or 1
    number = min(max(number, 1), MAX_PAGE)
    return url_for("notifications.index", page=number) if number > 1 else url_for("notifications.index")


@bp.route("/notifications")
@permission_required(Permission.NOTIFICATION_READ)
def index():
    """The person's notifications, newest first, each linking to where they act."""
    db = get_session()
    now = utcnow()
    page = notification_page(db, current_user, now)
    return render_template(
        "notifications/index.html",
        page=page,
        items=shown(db, current_user, page.items, now),
        unread=unread_count(db, current_user, now),
        now=now,
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@permission_required(Permission.NOTIFICATION_READ)
def mark_read(notification_id: int):
    """Mark one notification read."""
    db = get_session()
    commit_or_refuse(
        lambda: services.mark_read(db, actor=current_actor(), notification_id=notification_id),
        success=_("Marked as read."),
    )
    return redirect(_back())


@bp.route("/notifications/read", methods=["POST"])
@permission_required(Permission.NOTIFICATION_READ)
def mark_all_read():
    """Mark every notification read."""
    db = get_session()
    commit_or_refuse(
        lambda: services.mark_all_read(db, actor=current_actor()),
        success=lambda n: _("All your notifications are marked as read.") if n else _("Nothing was unread."),
    )
    return redirect(url_for("notifications.index"))
