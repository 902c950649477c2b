"""Who is told what, and when: notifications by email, queued in the event's transaction.

Services announce their transitions (`consult.signals`); the receivers here choose the
recipients by permission (`policy.roles_with`) and by each person's switches, and queue one
outbox row per recipient and event. `dedupe_key` names the event and the recipient, so an
event announced twice (a cron run repeated) queues nothing twice. What a notification says is
decided when it is sent, with what its reader may see then (the builders at the end).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, url_for
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from consult import audit, mail, policy, signals
from consult.auth.models import User
from consult.comments.models import Comment, CommentStatus
from consult.db import utcnow
from consult.digests.models import EmailPreference, Notice
from consult.digests.render import RenderCache, renderer
from consult.mail.models import OutboxKind, OutboxMessage
from consult.policy import Permission
from consult.rounds.models import Phase, Round


def notify(session: Session, template: str, users: Iterable[User | tuple[int, str]], event: str, **params: Any) -> int:
    """Queue the notification `template` about `event` for each user; returns how many were new."""
    rows = []
    for user in users:
        user_id, address = (user.id, user.email) if isinstance(user, User) else user
        rows.append(
            {
                "dedupe_key": f"{event}:u{user_id}",
                "kind": OutboxKind.NOTIFICATION,
                "template": template,
                "user_id": user_id,
                "to_address": address,
                "params": params,
            }
        )
    return len(mail.enqueue(session, rows))


def wanting(stmt: Any, notice: Notice) -> Any:
    """Limit a select over User to active people whose switch for `notice` is on."""
    column = getattr(EmailPreference, notice.value)
    return stmt.outerjoin(EmailPreference, EmailPreference.user_id == User.id).where(
        User.is_active_flag.is_(True), or_(EmailPreference.user_id.is_(None), column.is_(True))
    )


def recipients(session: Session, notice: Notice, *conditions: Any) -> list[tuple[int, str]]:
    """(id, address) of the people who want `notice` and meet `conditions`."""
    stmt = wanting(select(User.id, User.email), notice).where(*conditions).order_by(User.id)
    return [(row.id, row.email) for row in session.execute(stmt)]


def _holding(permission: Permission) -> Any:
    return User.role.in_(policy.roles_with(permission))


def notify_round_opened(session: Session, round_: Round) -> int:
    """Everyone who may see the round hears that it is open for comments."""
    users = recipients(session, Notice.ROUND_OPENED, _holding(Permission.CONSULTATION_VIEW))
    return notify(session, "round_opened", users, f"round_opened:r{round_.id}", round_id=round_.id)


def notify_round_published(session: Session, round_: Round) -> int:
    users = recipients(session, Notice.ROUND_PUBLISHED, _holding(Permission.CONSULTATION_VIEW))
    event = f"round_published:r{round_.id}:{round_.published_at:%Y%m%d%H%M%S}"
    return notify(session, "round_published", users, event, round_id=round_.id)


def notify_round_closing(session: Session, round_: Round) -> int:
    """48 hours before the deadline: organisations with nothing submitted yet, and focal
    points with comments waiting for their sign-off."""
    submitted = exists().where(
        Comment.round_id == round_.id,
        Comment.organisation_id == User.organisation_id,
        Comment.status.in_(policy.SUBMITTED),
    )
    waiting = exists().where(
        Comment.round_id == round_.id,
        Comment.organisation_id == User.organisation_id,
        Comment.status == CommentStatus.AWAITING_SIGNOFF,
    )
    users = recipients(
        session,
        Notice.ROUND_CLOSING,
        _holding(Permission.COMMENT_CREATE),
        User.organisation_id.is_not(None),
        or_(~submitted, and_(_holding(Permission.COMMENT_SIGNOFF), waiting)),
    )
    event = f"round_closing:r{round_.id}:{round_.closes_at:%Y%m%d%H%M}"
    return notify(session, "round_closing", users, event, round_id=round_.id)


def notify_comment_decided(session: Session, comment: Comment, event: audit.AuditEvent, decision: str) -> int:
    """The author hears that their comment was accepted, rejected or hidden (with the reason)."""
    session.flush()
    users = recipients(session, Notice.COMMENT_DECIDED, User.id == comment.author_id)
    return notify(
        session, "comment_decided", users, f"comment_decided:a{event.id}", comment_id=comment.id, decision=decision
    )


def notify_comment_waiting(session: Session, comment: Comment, event: audit.AuditEvent) -> int:
    """Focal points hear of comments that wait for their sign-off, moderators of pre-moderation."""
    session.flush()
    if comment.status is CommentStatus.AWAITING_SIGNOFF:
        users = recipients(
            session,
            Notice.COMMENT_WAITING,
            _holding(Permission.COMMENT_SIGNOFF),
            User.organisation_id == comment.organisation_id,
            User.id != comment.author_id,
        )
    elif comment.status is CommentStatus.AWAITING_MODERATION:
        users = recipients(session, Notice.COMMENT_WAITING, _holding(Permission.COMMENT_MODERATE))
    else:
        return 0
    return notify(session, "comment_waiting", users, f"comment_waiting:a{event.id}", comment_id=comment.id)


def notify_dispositions_released(
    session: Session, round_: Round, event: audit.AuditEvent, authors: dict[int, int]
) -> int:
    """Each author whose comments were answered is told once per release (their switch is
    read when it is sent)."""
    queued = 0
    active = select(User.id, User.email).where(User.id.in_(list(authors)), User.is_active_flag.is_(True))
    for user_id, address in session.execute(active.order_by(User.id)):
        queued += notify(
            session,
            "dispositions_released",
            [(user_id, address)],
            f"dispositions_released:e{event.id}",
            round_id=round_.id,
            count=authors[user_id],
        )
    return queued


# --- Receivers of the domain's announcements --------------------------------------------------


def _on_round_approved(_sender: Any, *, session: Session, round_: Round, now: Any, **_: Any) -> None:
    if round_.is_open(now):
        notify_round_opened(session, round_)  # later openings are found by the cron


def _on_round_published(_sender: Any, *, session: Session, round_: Round, **_: Any) -> None:
    notify_round_published(session, round_)


def _on_comment_submitted(_sender: Any, *, session: Session, comment: Comment, event: Any, **_: Any) -> None:
    notify_comment_waiting(session, comment, event)


def _on_comment_decided(_sender: Any, *, session: Session, comment: Comment, event: Any, decision: str) -> None:
    notify_comment_decided(session, comment, event, decision)


def _on_dispositions_released(
    _sender: Any, *, session: Session, round_: Round, event: Any, authors: dict[int, int]
) -> None:
    notify_dispositions_released(session, round_, event, authors)


# --- What each notification says (decided when it is sent) -----------------------------------


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
}


def init_app(app: Flask) -> None:
    """Register the notifications' renderers and subscribe to the domain's announcements."""
    for template, build in BUILDERS.items():
        mail.register_renderer(app, template, renderer(build))
    signals.connect(signals.round_approved, _on_round_approved)
    signals.connect(signals.round_published, _on_round_published)
    signals.connect(signals.comment_submitted, _on_comment_submitted)
    signals.connect(signals.comment_decided, _on_comment_decided)
    signals.connect(signals.dispositions_released, _on_dispositions_released)
