"""Reading a person's notifications: the bell's unread count and the page of them, both chosen
with `policy.notification_visibility` (so the count never includes what the page leaves out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from consult import policy
from consult.notifications.models import Notification
from consult.pagination import Page, paginate

PAGE_SIZE = 20
_ANY_UNREAD = (
    select(Notification.id).where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)).limit(1)
)


def unread_count(session: Session, viewer: Any, now: datetime) -> int:
    """How many notifications `viewer` has not read (nor had done for them), of those they may read now."""
    # Most pages are seen by people with nothing unread: a look at their own unread rows first
    # (the index on the person) spares building and running the visibility rule's statement.
    person = policy.as_viewer(viewer).id
    if person is None or not session.scalar(_ANY_UNREAD, {"user_id": person}):
        return 0
    stmt = select(func.count(Notification.id)).where(
        policy.notification_visibility(viewer, now), Notification.read_at.is_(None)
    )
    return session.scalar(stmt) or 0


def notification_page(session: Session, viewer: Any, now: datetime, size: int = PAGE_SIZE) -> Page:
    """One page of the notifications `viewer` may read, newest first."""
    stmt = select(Notification).where(policy.notification_visibility(viewer, now)).order_by(Notification.id.desc())
    return paginate(session, stmt, size)
