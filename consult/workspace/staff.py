"""The lists of moderators (oldest first, with how long each waited) and organisers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from consult import policy
from consult.comments.models import Comment, CommentReport, CommentStatus
from consult.consultations.models import Consultation
from consult.digests.models import Digest
from consult.dispositions.models import Acknowledgement, AcknowledgementKind, Disposition
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.policy import Task
from consult.rounds.models import Round, RoundStatus
from consult.workspace.lists import LIMIT, Item, TaskList, closed, last_event, total

# --- Moderators: oldest first, with how long each waited --------------------------------------


def _waiting_rounds(db: Session, viewer: Any, task: Task, condition: Any, since: Any) -> TaskList:
    stmt = policy.visible_rounds(
        select(Round.id, Round.title, Consultation.title.label("consultation"), since.label("since"), total())
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(condition),
        viewer,
    )
    rows = db.execute(stmt.order_by(since.asc().nulls_first(), Round.id).limit(LIMIT)).all()
    items = [Item(r.title, url_for("rounds.detail", round_id=r.id), r.consultation, since=r.since) for r in rows]
    return TaskList(task, rows[0].total if rows else 0, items)


def approvals(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Rounds waiting for approval, the longest waiting first (since their last submission)."""
    return _waiting_rounds(
        db, viewer, Task.APPROVALS, Round.status == RoundStatus.PENDING_APPROVAL, last_event("round.submit", Round)
    )


def publications(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Closed rounds whose publication was requested, the longest waiting first."""
    condition = and_(closed(Round, now), Round.publication_requested_at.is_not(None))
    return _waiting_rounds(db, viewer, Task.PUBLICATIONS, condition, Round.publication_requested_at)


def _waiting_comments(
    db: Session, viewer: Any, now: datetime, task: Task, stmt: Any, since: Any, anchor: str
) -> TaskList:
    rnd = aliased(Round)
    waiting = func.count(Comment.id)
    stmt = (
        stmt.add_columns(
            rnd.id,
            rnd.title,
            waiting.label("waiting"),
            func.min(since).label("since"),
            total(),
            func.sum(waiting).over(),
        )
        .join(rnd, rnd.id == Comment.round_id)
        .where(policy.comment_visibility(viewer, now))
        .group_by(rnd.id, rnd.title)
        .order_by(func.min(since), rnd.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [
        Item(r.title, url_for("moderation.index", round=r.id, _anchor=anchor), since=r.since, count=r.waiting)
        for r in rows
    ]
    return TaskList(task, int(rows[0][5]) if rows else 0, items)


def premoderation(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Comments waiting in pre-moderation, per round, the round whose oldest waited longest first."""
    stmt = select().select_from(Comment).where(Comment.status == CommentStatus.AWAITING_MODERATION)
    return _waiting_comments(db, viewer, now, Task.PREMODERATION, stmt, Comment.updated_at, "pending-heading")


def reports(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Open reports on comments, per round, the round whose oldest report waited longest first."""
    stmt = (
        select()
        .select_from(CommentReport)
        .join(Comment, Comment.id == CommentReport.comment_id)
        .where(CommentReport.resolved_at.is_(None))
    )
    return _waiting_comments(db, viewer, now, Task.REPORTS, stmt, CommentReport.created_at, "reports-heading")


# --- Organisers ---------------------------------------------------------------------------------


def sent_back(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Rounds the moderators sent back, with their reason, the longest waiting first."""
    since = last_event("round.send_back", Round)
    stmt = policy.visible_rounds(
        select(
            Round.id,
            Round.title,
            Round.sent_back_reason,
            Consultation.title.label("consultation"),
            since.label("since"),
            total(),
        )
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(Round.status == RoundStatus.DRAFT, Round.sent_back_reason != ""),
        viewer,
    )
    rows = db.execute(stmt.order_by(since.asc().nulls_first(), Round.id).limit(LIMIT)).all()
    items = [
        Item(
            r.title,
            url_for("rounds.settings", round_id=r.id),
            r.consultation,
            since=r.since,
            reason=r.sent_back_reason,
        )
        for r in rows
    ]
    return TaskList(Task.SENT_BACK, rows[0].total if rows else 0, items)


def publication_requests(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Closed rounds: to ask the moderators to publish, or asked and waiting for them."""
    stmt = policy.visible_rounds(
        select(
            Round.id,
            Round.title,
            Round.closes_at,
            Round.publication_requested_at,
            Consultation.title.label("consultation"),
            total(),
        )
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(closed(Round, now)),
        viewer,
    )
    rows = db.execute(stmt.order_by(Round.closes_at, Round.id).limit(LIMIT)).all()
    items = [
        Item(
            r.title,
            url_for("rounds.detail", round_id=r.id),
            r.consultation,
            deadline=r.closes_at,
            since=r.publication_requested_at,
            state="asked" if r.publication_requested_at else "to_ask",
        )
        for r in rows
    ]
    return TaskList(Task.PUBLICATION_REQUESTS, rows[0].total if rows else 0, items)


def dispositions(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Closed (or published) rounds with accepted comments still to answer, or answers drafted
    and not yet released."""
    rnd = aliased(Round)
    to_draft = func.sum(case((Disposition.id.is_(None), 1), else_=0))
    to_release = func.sum(case((and_(Disposition.id.is_not(None), Disposition.released_at.is_(None)), 1), else_=0))
    stmt = (
        select(rnd.id, rnd.title, rnd.closes_at, to_draft.label("to_draft"), to_release.label("to_release"), total())
        .select_from(Comment)
        .join(rnd, rnd.id == Comment.round_id)
        .outerjoin(Disposition, and_(Disposition.comment_id == Comment.id, policy.disposition_visibility(viewer)))
        .where(
            Comment.status == CommentStatus.ACCEPTED,
            Comment.hidden_at.is_(None),
            or_(closed(rnd, now), rnd.status == RoundStatus.PUBLISHED),
            policy.comment_visibility(viewer, now),
        )
        .group_by(rnd.id, rnd.title, rnd.closes_at)
        .having(or_(to_draft > 0, to_release > 0))
        .order_by(rnd.closes_at, rnd.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [
        Item(
            r.title,
            url_for("dispositions.index", round_id=r.id, status="unanswered" if r.to_draft else "drafted"),
            deadline=r.closes_at,
            count=int(r.to_draft),
            second=int(r.to_release),
        )
        for r in rows
    ]
    return TaskList(Task.DISPOSITIONS, rows[0].total if rows else 0, items)


def objections(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Objections maintained, per round (not archived), the most recently closed round first."""
    rnd = aliased(Round)
    maintained = func.count(Acknowledgement.id)
    stmt = (
        select(rnd.id, rnd.title, maintained.label("maintained"), total(), func.sum(maintained).over())
        .select_from(Acknowledgement)
        .join(Disposition, Disposition.id == Acknowledgement.disposition_id)
        .join(Comment, Comment.id == Disposition.comment_id)
        .join(rnd, rnd.id == Comment.round_id)
        .where(
            Acknowledgement.kind == AcknowledgementKind.OBJECTION,
            rnd.status != RoundStatus.ARCHIVED,
            policy.comment_visibility(viewer, now),
            policy.disposition_visibility(viewer),
        )
        .group_by(rnd.id, rnd.title, rnd.closes_at)
        .order_by(rnd.closes_at.desc(), rnd.id)
        .limit(LIMIT)
    )
    rows = db.execute(stmt).all()
    items = [
        Item(r.title, url_for("dispositions.index", round_id=r.id, status="objection"), count=r.maintained)
        for r in rows
    ]
    return TaskList(Task.OBJECTIONS, int(rows[0][4]) if rows else 0, items)


def digests(db: Session, viewer: Any, now: datetime) -> TaskList:
    """Organiser digests with messages still on their way, or failed (to retry)."""
    unsent = OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
    stmt = policy.visible_consultations(
        select(
            Digest.id,
            Digest.created_at,
            Consultation.title,
            func.sum(case((unsent, 1), else_=0)).label("unsent"),
            func.sum(case((OutboxMessage.status == OutboxStatus.FAILED, 1), else_=0)).label("failed"),
            total(),
        )
        .join(Consultation, Consultation.id == Digest.consultation_id)
        .join(OutboxMessage, OutboxMessage.digest_id == Digest.id)
        .where(or_(unsent, OutboxMessage.status == OutboxStatus.FAILED))
        .group_by(Digest.id, Digest.created_at, Consultation.title),
        viewer,
    )
    rows = db.execute(stmt.order_by(Digest.created_at, Digest.id).limit(LIMIT)).all()
    items = [
        Item(
            r.title,
            url_for("digests.detail", digest_id=r.id),
            since=r.created_at,
            count=int(r.unsent),
            second=int(r.failed),
        )
        for r in rows
    ]
    return TaskList(Task.DIGESTS, rows[0].total if rows else 0, items)
