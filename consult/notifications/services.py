"""Notification transitions: written with the email of an event, read by their person, done
when the task they name is done.

`record` is called by `consult.digests.notices` where it queues an outbox row for a person and
an event, in the same transaction and whatever the person's email switches: one row per
person and event (a unique key), so an event announced twice writes nothing twice. A person
marks one or all of theirs read; a notification of a task (`TASK_KINDS`) is also done, and
stops counting as unread, when the task is done by anyone who could do it: the service that
does it announces it on a signal, and `resolve` (via the receivers in `consult.notifications`)
marks every notification of that task done. Reading is not audited: it is the person's own
bookkeeping and changes nothing anyone else sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import User
from consult.db import utcnow
from consult.errors import NotFound
from consult.notifications.models import Notification
from consult.policy import Permission

MAX_ID = 2**62  # ids beyond are not ours (and overflow a BIGINT)


def record(session: Session, rows: list[dict[str, Any]]) -> int:
    """Write notifications (dicts of `user_id`, `event`, `kind`, `round_id`, `comment_id`,
    `params`), skipping any person and event that has one; returns how many were new."""
    if not rows:
        return 0
    now = utcnow()
    values = [{"params": {}, "round_id": None, "comment_id": None, "created_at": now, **row} for row in rows]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    written = 0
    for start in range(0, len(values), 1000):
        stmt = (
            insert(Notification).on_conflict_do_nothing(index_elements=["user_id", "event"]).returning(Notification.id)
        )
        written += len(list(session.scalars(stmt, values[start : start + 1000])))
    return written


def mark_read(session: Session, *, actor: User, notification_id: int, now: datetime | None = None) -> Notification:
    """The person marks one of their notifications read."""
    policy.require(actor, Permission.NOTIFICATION_READ)
    found = None
    if 0 < notification_id < MAX_ID:
        found = session.scalar(
            select(Notification).where(Notification.id == notification_id, Notification.user_id == actor.id)
        )
    if found is None:
        raise NotFound(_("This notification does not exist."))
    if found.read_at is None:
        found.read_at = now or utcnow()
    return found


def mark_all_read(session: Session, *, actor: User, now: datetime | None = None) -> int:
    """The person marks all their notifications read; returns how many were unread."""
    policy.require(actor, Permission.NOTIFICATION_READ)
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def resolve(
    session: Session,
    kinds: Iterable[str],
    *,
    round_id: int | None = None,
    comment_id: int | None = None,
    user_id: int | None = None,
    except_event: str | None = None,
    now: datetime | None = None,
) -> int:
    """The task these notifications name is done: mark them done (and read, where they were
    not). `except_event`: the event that just wrote new ones about the same subject."""
    conditions = [Notification.kind.in_(list(kinds)), Notification.done_at.is_(None)]
    if round_id is not None:
        conditions.append(Notification.round_id == round_id)
    if comment_id is not None:
        conditions.append(Notification.comment_id == comment_id)
    if user_id is not None:
        conditions.append(Notification.user_id == user_id)
    if except_event is not None:
        conditions.append(Notification.event != except_event)
    now = now or utcnow()
    result = session.execute(
        update(Notification)
        .where(*conditions)
        .values(done_at=now, read_at=func.coalesce(Notification.read_at, literal(now, Notification.read_at.type)))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
