"""The administrators' lists: invitations that expired unused, disabled accounts with tasks open."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from consult.auth.models import Invitation, User
from consult.notifications.models import TASK_KINDS, Notification
from consult.policy import Task
from consult.workspace.lists import LIMIT, Item, TaskList, total

EXPIRED_SHOWN_FOR = timedelta(days=30)  # invitations that expired unused: listed this long


def expired_invitations(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Invitations that expired unused in the last 30 days, to people who have no account since:
    to invite again, or to let go. The newest expiry first."""
    has_account = exists().where(func.lower(User.email) == func.lower(Invitation.email))
    stmt = (
        select(Invitation.id, Invitation.email, Invitation.role, Invitation.expires_at, total())
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at <= now,
            Invitation.expires_at > now - EXPIRED_SHOWN_FOR,
            ~has_account,
        )
        .order_by(Invitation.expires_at.desc(), Invitation.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [Item(r.email, url_for("admin.invitations"), since=r.expires_at, state=r.role.value) for r in rows]
    return TaskList(Task.EXPIRED_INVITATIONS, rows[0].total if rows else 0, items)


def disabled_with_work(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Disabled accounts with tasks still open (notifications of tasks not done: a sign-off, an
    approval, a returned round... that was theirs): someone else may have to take them over.
    Counts only: administrators do not read what the tasks are about."""
    open_tasks = func.count(Notification.id)
    stmt = (
        select(User.id, User.display_name, User.role, open_tasks.label("open_tasks"), total())
        .join(Notification, Notification.user_id == User.id)
        .where(User.is_active_flag.is_(False), Notification.done_at.is_(None), Notification.kind.in_(TASK_KINDS))
        .group_by(User.id, User.display_name, User.role)
        .order_by(open_tasks.desc(), User.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [
        Item(r.display_name, url_for("admin.user_detail", user_id=r.id), count=r.open_tasks, state=r.role.value)
        for r in rows
    ]
    return TaskList(Task.DISABLED_WITH_WORK, rows[0].total if rows else 0, items)
