"""Moderation transitions: a focal point's sign-off, pre-moderation, hiding, reports.

Every writer locks the comment's round before the comment row (`lock_round`, the order every
comment writer keeps: a change to the row moves the round's revision by trigger) and reads
the row afresh, so two moderators acting at once give one transition and a Conflict.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import audit, policy, signals
from consult.auth.models import User
from consult.comments.models import Comment, CommentReport, CommentStatus
from consult.comments.services import MAX_REASON, round_for_writing, stamp_keys
from consult.db import utcnow
from consult.errors import Conflict, Invalid
from consult.policy import Permission
from consult.rounds.services import lock_round


def sign_off(
    session: Session,
    *,
    actor: User,
    comment: Comment,
    accept: bool,
    reason: str = "",
    seen: datetime | None = None,
    now: datetime | None = None,
) -> Comment:
    """The organisation's focal point accepts a comment (it counts) or returns it (with why).
    `seen`: the comment's `updated_at` as the focal point read it (a queue's bulk action): a
    comment edited since is refused, not signed off unread."""
    policy.require(actor, Permission.COMMENT_SIGNOFF, comment)
    now = now or utcnow()
    round_ = round_for_writing(session, comment.round_id, now)
    comment = _reread(session, comment)  # under the round's lock: what other writers committed
    if comment.status is not CommentStatus.AWAITING_SIGNOFF:
        raise Conflict(_("This comment is not waiting for sign-off any more."))
    _unchanged_since(comment, seen)
    if accept:
        comment.status = CommentStatus.AWAITING_MODERATION if round_.premoderation else CommentStatus.ACCEPTED
        comment.signed_off_by_id = actor.id
    else:
        if not reason.strip():
            raise Invalid(_("Tell the author why the comment goes back."), "reason")
        comment.status = CommentStatus.DRAFT
        comment.returned_reason = reason.strip()[:MAX_REASON]
    comment.updated_at = now
    event = audit.record(
        session,
        actor=actor,
        action="comment.signoff" if accept else "comment.return",
        subject=comment,
        reason=reason,
    )
    stamp_keys(session, comment, CommentStatus.AWAITING_SIGNOFF, event)
    session.flush()  # the event's id names the notices
    signals.comment_submitted.send(None, session=session, comment=comment, event=event)
    if not accept:
        signals.comment_returned.send(None, session=session, comment=comment, event=event)
    return comment


def moderate(
    session: Session,
    *,
    actor: User,
    comment: Comment,
    accept: bool,
    reason: str = "",
    seen: datetime | None = None,
    now: datetime | None = None,
) -> Comment:
    """A moderator accepts a pre-moderated comment, or rejects it with a reason the author sees.
    `seen`: the comment's `updated_at` as the moderator read it (see `sign_off`)."""
    policy.require(actor, Permission.COMMENT_MODERATE)
    comment = _lock_for_moderation(session, comment)  # the round first: its digest key (`stamp_keys`)
    if comment.status is not CommentStatus.AWAITING_MODERATION:
        raise Conflict(_("Another moderator has already handled this comment."))
    _unchanged_since(comment, seen)
    if not accept and not reason.strip():
        raise Invalid(_("Give the author a reason for the rejection."), "reason")
    comment.status = CommentStatus.ACCEPTED if accept else CommentStatus.REJECTED
    comment.rejection_reason = "" if accept else reason.strip()[:MAX_REASON]
    comment.moderated_by_id = actor.id
    comment.updated_at = now or utcnow()
    event = audit.record(
        session,
        actor=actor,
        action="comment.accept" if accept else "comment.reject",
        subject=comment,
        reason=reason,
    )
    stamp_keys(session, comment, CommentStatus.AWAITING_MODERATION, event)
    decision = "accepted" if accept else "rejected"
    signals.comment_decided.send(None, session=session, comment=comment, event=event, decision=decision)
    return comment


def _lock_for_moderation(session: Session, comment: Comment) -> Comment:
    """The round, then the comment row, locked and read afresh (the order every comment writer
    keeps: hiding changes the row, whose trigger moves the round's revision)."""
    lock_round(session, comment.round_id, for_comments=True)
    return _reread(session, comment)


def _reread(session: Session, comment: Comment) -> Comment:
    """The comment row locked and read afresh (its round is locked already)."""
    return session.scalar(
        select(Comment).where(Comment.id == comment.id).with_for_update().execution_options(populate_existing=True)
    )


class ChangedMeanwhile(Conflict):
    """The comment was edited after the person read it: nothing was decided."""


def _unchanged_since(comment: Comment, seen: datetime | None) -> None:
    if seen is not None and comment.updated_at != seen:
        raise ChangedMeanwhile(_("This comment was changed after you read it; read it again before deciding."))


def hide(session: Session, *, actor: User, comment: Comment, reason: str, now: datetime | None = None) -> Comment:
    """A moderator hides a comment from everyone but its author and staff, saying why."""
    policy.require(actor, Permission.COMMENT_HIDE)
    comment = _lock_for_moderation(session, comment)
    if comment.hidden_at is not None:
        raise Conflict(_("This comment is already hidden."))
    if not reason.strip():
        raise Invalid(_("Give a reason; the author is told."), "reason")
    comment.hidden_at = now or utcnow()
    comment.hidden_by_id = actor.id
    comment.hidden_reason = reason.strip()[:MAX_REASON]
    event = audit.record(session, actor=actor, action="comment.hide", subject=comment, reason=comment.hidden_reason)
    signals.comment_decided.send(None, session=session, comment=comment, event=event, decision="hidden")
    return comment


def unhide(session: Session, *, actor: User, comment: Comment, reason: str) -> Comment:
    """A moderator makes a hidden comment visible again."""
    policy.require(actor, Permission.COMMENT_HIDE)
    comment = _lock_for_moderation(session, comment)
    if comment.hidden_at is None:
        raise Conflict(_("This comment is not hidden."))
    if not reason.strip():
        raise Invalid(_("Give a reason; it is kept in the audit log."), "reason")
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = None, None, ""
    audit.record(session, actor=actor, action="comment.unhide", subject=comment, reason=reason.strip()[:MAX_REASON])
    return comment


def resolve_report(session: Session, *, actor: User, item: CommentReport, resolution: str) -> CommentReport:
    """A moderator closes a report, saying what was done."""
    policy.require(actor, Permission.REPORT_HANDLE)
    if item.resolved_at is not None:
        raise Conflict(_("This report has already been handled."))
    item.resolved_at = utcnow()
    item.resolved_by_id = actor.id
    item.resolution = resolution.strip()[:MAX_REASON]
    audit.record(session, actor=actor, action="report.resolve", subject=item, reason=item.resolution)
    return item
