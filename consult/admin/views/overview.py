"""The administration overview and the audit log."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select

from consult.admin import bp
from consult.audit import AuditEvent
from consult.auth.models import Invitation, Organisation, StakeholderGroup, User
from consult.db import get_session, utcnow
from consult.pagination import paginate
from consult.policy import Permission
from consult.web import permission_required

PAGE = 50


@bp.route("/")
@permission_required(Permission.ADMIN_AREA)
def index():
    """The administration overview."""
    db = get_session()
    counts = {
        "users": db.scalar(select(func.count(User.id))),
        "organisations": db.scalar(select(func.count(Organisation.id))),
        "groups": db.scalar(select(func.count(StakeholderGroup.id))),
        "invitations": db.scalar(
            select(func.count(Invitation.id)).where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        ),
    }
    return render_template("admin/index.html", counts=counts)


@bp.route("/audit")
@permission_required(Permission.AUDIT_READ)
def audit_log():
    """The audit log, newest first, filterable by action prefix and actor."""
    db = get_session()
    action = request.args.get("action", "").strip()[:80]
    actor = request.args.get("actor", "").strip()[:254]
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.join(User, AuditEvent.actor_id == User.id).where(func.lower(User.email) == actor.lower())
    return render_template("admin/audit.html", page=paginate(db, stmt, PAGE), action=action, actor=actor)
