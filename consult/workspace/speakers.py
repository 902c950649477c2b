"""The lists of people who speak for an organisation: open rounds, their drafts, comments
returned or rejected, answers to reply to, and the focal point's sign-offs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from consult import policy
from consult.comments.models import Comment, CommentStatus
from consult.consultations.models import Consultation
from consult.dispositions.models import Acknowledgement, Disposition
from consult.policy import Task
from consult.rounds.models import Round, RoundStatus
from consult.workspace.lists import LIMIT, Item, TaskList, open_now, snippet, total


def open_rounds(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Rounds open for comments, nearest deadline first, with how many comments one wrote there."""
    mine = (
        select(func.count(Comment.id))
        .where(Comment.round_id == Round.id, Comment.author_id == viewer.id, Comment.status != CommentStatus.WITHDRAWN)
        .correlate(Round)
        .scalar_subquery()
    )
    stmt = policy.visible_rounds(
        select(Round.id, Round.title, Round.closes_at, Consultation.title.label("consultation"), mine, total())
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(open_now(Round, now)),
        viewer,
    )
    rows = db.execute(stmt.order_by(Round.closes_at, Round.id).limit(LIMIT)).all()
    return TaskList(
        Task.OPEN_ROUNDS,
        rows[0].total if rows else 0,
        [
            Item(r.title, url_for("rounds.detail", round_id=r.id), r.consultation, deadline=r.closes_at, count=r[4])
            for r in rows
        ],
    )


def _own_comments(viewer: Any, now: datetime, rnd: Any, *conditions: Any) -> Any:
    return (
        select(Comment, rnd.title.label("round_title"), rnd.closes_at.label("closes_at"), total())
        .join(rnd, rnd.id == Comment.round_id)
        .where(Comment.author_id == viewer.id, policy.comment_visibility(viewer, now), *conditions)
    )


def drafts(db: Session, viewer: Any, now: datetime) -> TaskList:
    """One's comments saved and not submitted, in rounds still open."""
    rnd = aliased(Round)
    stmt = _own_comments(
        viewer, now, rnd, Comment.status == CommentStatus.DRAFT, Comment.returned_reason == "", open_now(rnd, now)
    )
    rows = db.execute(stmt.order_by(rnd.closes_at, Comment.id).limit(LIMIT)).all()
    items = [
        Item(snippet(c.body), url_for("comments.edit", comment_id=c.id), title, deadline=closes)
        for c, title, closes, _n in rows
    ]
    return TaskList(Task.DRAFTS, rows[0].total if rows else 0, items)


def returned(db: Session, viewer: Any, now: datetime) -> TaskList:
    """One's comments returned by the focal point (in rounds still open: edit and submit them
    again) or rejected by a moderator (until the round's results are published), with the reason."""
    rnd = aliased(Round)
    was_returned = and_(Comment.status == CommentStatus.DRAFT, Comment.returned_reason != "", open_now(rnd, now))
    was_rejected = and_(Comment.status == CommentStatus.REJECTED, rnd.status == RoundStatus.APPROVED)
    stmt = _own_comments(viewer, now, rnd, or_(was_returned, was_rejected))
    rows = db.execute(stmt.order_by(rnd.closes_at, Comment.id).limit(LIMIT)).all()
    items = []
    for c, title, closes, _n in rows:
        if c.status is CommentStatus.REJECTED:
            url, reason, state = url_for("comments.detail", comment_id=c.id), c.rejection_reason, "rejected"
        else:
            url, reason, state = url_for("comments.edit", comment_id=c.id), c.returned_reason, "returned"
        items.append(Item(snippet(c.body), url, title, deadline=closes, reason=reason, state=state))
    return TaskList(Task.RETURNED, rows[0].total if rows else 0, items)


def answers(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Released dispositions on comments one may answer, not yet answered, per round."""
    rnd = aliased(Round)
    waiting = func.count(Disposition.id)
    stmt = (
        select(rnd.id, rnd.title, rnd.closes_at, waiting.label("waiting"), total(), func.sum(waiting).over())
        .select_from(Disposition)
        .join(Comment, Comment.id == Disposition.comment_id)
        .join(rnd, rnd.id == Comment.round_id)
        .outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)
        .where(
            Acknowledgement.id.is_(None),
            Disposition.released_at.is_not(None),
            policy.acknowledgeable(viewer),
            policy.comment_visibility(viewer, now),
            policy.disposition_visibility(viewer),
        )
        .group_by(rnd.id, rnd.title, rnd.closes_at)
        .order_by(rnd.closes_at.desc(), rnd.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [
        Item(r.title, url_for("dispositions.index", round_id=r.id, status="released"), count=r.waiting) for r in rows
    ]
    return TaskList(Task.ANSWERS, int(rows[0][5]) if rows else 0, items)


def signoff(db: Session, viewer: Any, now: datetime) -> TaskList:
    """The organisation's comments waiting for the focal point's sign-off, per round."""
    rnd = aliased(Round)
    waiting = func.count(Comment.id)
    stmt = (
        select(
            rnd.id,
            rnd.title,
            rnd.closes_at,
            waiting.label("waiting"),
            func.min(Comment.updated_at).label("since"),
            total(),
            func.sum(waiting).over(),
        )
        .join(rnd, rnd.id == Comment.round_id)
        .where(
            Comment.status == CommentStatus.AWAITING_SIGNOFF,
            Comment.organisation_id == viewer.organisation_id,
            Comment.author_id != viewer.id,
            policy.comment_visibility(viewer, now),
        )
        .group_by(rnd.id, rnd.title, rnd.closes_at)
        .order_by(rnd.closes_at, rnd.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [
        Item(
            r.title,
            url_for("moderation.signoff_queue", round=r.id),
            deadline=r.closes_at,
            since=r.since,
            count=r.waiting,
        )
        for r in rows
    ]
    return TaskList(Task.SIGNOFF, int(rows[0][6]) if rows else 0, items)
