"""What each notification email says, decided when it is sent, for its one reader.

The builders here turn an outbox row queued by `consult.digests.notices` into a template's
context with what the recipient may see at send time (`policy.visible_rounds`,
`policy.comment_visibility`, and for notices of a task only some roles have, the permission it
needs), or None: nothing is sent. `notices.init_app` registers one renderer per template.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.auth.models import User
from consult.comments.models import Comment
from consult.db import utcnow
from consult.digests.models import Notice
from consult.digests.render import RenderCache
from consult.mail.models import OutboxMessage
from consult.policy import Permission
from consult.rounds.models import Phase, Round


def _visible_round(session: Session, user: User, round_id: int) -> Round | None:
    return session.scalar(policy.visible_rounds(select(Round).where(Round.id == round_id), user))


# A notice about a round's phase that is no longer true when it is sent is not sent.
_STILL_TRUE = {Notice.ROUND_OPENED: (Phase.OPEN,), Notice.ROUND_CLOSING: (Phase.OPEN,)}


def _round_notice(notice: Notice):
    def build(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
        round_ = _visible_round(session, user, row.params["round_id"])
        if round_ is None:
            return None
        if notice in _STILL_TRUE and round_.phase(utcnow()) not in _STILL_TRUE[notice]:
            return None
        url = url_for("rounds.detail", round_id=round_.id, _external=True)
        return {"notice": notice.value, "round": round_, "url": url}

    return build


def _comment_notice(notice: Notice):
    def build(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
        comment = session.scalar(
            select(Comment).where(Comment.id == row.params["comment_id"], policy.comment_visibility(user))
        )
        if comment is None:
            return None
        round_ = session.get(Round, comment.round_id)
        url = url_for("comments.detail", comment_id=comment.id, _external=True)
        return {"notice": notice.value, "comment": comment, "round": round_, "url": url, **row.params}

    return build


def _reason_of(session: Session, row: OutboxMessage) -> str:
    """The reason an event's audit entry gives (a sent-back round, a returned comment, a
    maintained objection): read when the notice is sent, for its one reader."""
    event_id = row.params.get("event_id")
    entry = session.get(audit.AuditEvent, event_id) if isinstance(event_id, int) else None
    return entry.reason if entry is not None else ""


def _round_task_notice(notice: Notice, permissions: tuple[Permission, ...]):
    """A notice about a round that only holders of `permissions` may still read (they may have
    changed role since it was queued), with the reason of its event when it has one."""

    def build(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
        if not any(policy.can(user, p) for p in permissions):
            return None
        round_ = _visible_round(session, user, row.params["round_id"])
        if round_ is None:
            return None
        step = row.params.get("step", "")
        endpoint = "rounds.settings" if row.template == "round_sent_back" and step == "approval" else "rounds.detail"
        url = url_for(endpoint, round_id=round_.id, _external=True)
        return {"notice": notice.value, "round": round_, "url": url, "reason": _reason_of(session, row), "step": step}

    return build


def _returned_notice(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
    """Only its author is told why a comment was returned."""
    comment = session.scalar(
        select(Comment).where(Comment.id == row.params["comment_id"], policy.comment_visibility(user))
    )
    if comment is None or comment.author_id != user.id:
        return None
    round_ = session.get(Round, comment.round_id)
    url = url_for("comments.edit", comment_id=comment.id, _external=True)
    reason = _reason_of(session, row)
    return {"notice": Notice.COMMENT_DECIDED.value, "comment": comment, "round": round_, "url": url, "reason": reason}


def _objection_notice(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
    if not policy.can(user, Permission.DISPOSITION_MANAGE):
        return None
    comment = session.scalar(
        select(Comment).where(Comment.id == row.params["comment_id"], policy.comment_visibility(user))
    )
    if comment is None:
        return None
    round_ = session.get(Round, comment.round_id)
    url = url_for("dispositions.index", round_id=round_.id, status="objection", _external=True)
    reason = _reason_of(session, row)
    return {
        "notice": Notice.OBJECTION_MAINTAINED.value,
        "comment": comment,
        "round": round_,
        "url": url,
        "reason": reason,
    }


def _dispositions_notice(
    session: Session, user: User, row: OutboxMessage, _cache: RenderCache
) -> dict[str, Any] | None:
    round_ = _visible_round(session, user, row.params["round_id"])
    if round_ is None:
        return None
    url = url_for("dispositions.index", round_id=round_.id, _external=True)
    return {"notice": Notice.DISPOSITION_RELEASED.value, "round": round_, "url": url, "count": row.params["count"]}


BUILDERS = {
    "round_opened": _round_notice(Notice.ROUND_OPENED),
    "round_closing": _round_notice(Notice.ROUND_CLOSING),
    "round_published": _round_notice(Notice.ROUND_PUBLISHED),
    "comment_decided": _comment_notice(Notice.COMMENT_DECIDED),
    "comment_waiting": _comment_notice(Notice.COMMENT_WAITING),
    "dispositions_released": _dispositions_notice,
    "comment_returned": _returned_notice,
    "round_submitted": _round_task_notice(Notice.ROUND_WAITING, (Permission.ROUND_APPROVE,)),
    "publication_requested": _round_task_notice(Notice.ROUND_WAITING, (Permission.ROUND_PUBLISH,)),
    "round_approved": _round_task_notice(Notice.ROUND_DECIDED, (Permission.ROUND_PREPARE,)),
    "round_sent_back": _round_task_notice(
        Notice.ROUND_DECIDED, (Permission.ROUND_PREPARE, Permission.ROUND_REQUEST_PUBLICATION)
    ),
    "objection_maintained": _objection_notice,
}
