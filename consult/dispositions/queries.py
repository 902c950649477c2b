"""Read models for the dispositions page: one page of answerable comments with their
dispositions, progress, and the open objections per clause.

Comments are filtered with `policy.comment_visibility` and dispositions with
`policy.disposition_visibility`: a participant sees released answers to comments they may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import StakeholderGroup
from consult.comments.models import Comment, CommentStatus
from consult.db import utcnow
from consult.dispositions.models import Acknowledgement, AcknowledgementKind, Disposition
from consult.errors import NotFound
from consult.rounds.models import Round
from consult.rounds.queries import CommentFilters, visible_round, with_people

PAGE_SIZE = 50
STATUSES = ("unanswered", "drafted", "released", "satisfied", "objection")


@dataclass
class Row:
    comment: Comment
    disposition: Disposition | None
    acknowledgement: Acknowledgement | None


@dataclass
class DispositionPage:
    rows: list[Row]
    answered: int
    total: int
    next_after: str | None
    objections: list[tuple[str | None, int]]  # (clause key, open objections), document order


def answerable(round_: Round, viewer: Any, now: Any) -> Any:
    """The condition on Comment for the round's accepted comments the viewer may see."""
    return and_(
        Comment.round_id == round_.id,
        Comment.status == CommentStatus.ACCEPTED,
        Comment.hidden_at.is_(None),
        policy.comment_visibility(viewer, now),
    )


def _joined(stmt: Any, viewer: Any) -> Any:
    stmt = stmt.outerjoin(
        Disposition, and_(Disposition.comment_id == Comment.id, policy.disposition_visibility(viewer))
    )
    return stmt.outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)


def _status(stmt: Any, status: str | None) -> Any:
    if status == "unanswered":
        return stmt.where(Disposition.id.is_(None))
    if status == "drafted":
        return stmt.where(Disposition.id.is_not(None), Disposition.released_at.is_(None))
    if status == "released":
        return stmt.where(Disposition.released_at.is_not(None))
    if status == "satisfied":
        return stmt.where(Acknowledgement.kind == AcknowledgementKind.SATISFIED)
    if status == "objection":
        return stmt.where(Acknowledgement.kind == AcknowledgementKind.OBJECTION)
    return stmt


def disposition_page(
    session: Session,
    round_: Round,
    viewer: Any,
    filters: CommentFilters,
    status: str | None,
    after: tuple[int, int] | None,
    now: Any,
    size: int = PAGE_SIZE,
) -> DispositionPage:
    """One page of the round's accepted comments (filtered) with their dispositions."""
    visible = answerable(round_, viewer, now)
    stmt = _status(filters.apply(_joined(select(Comment, Disposition, Acknowledgement), viewer).where(visible)), status)
    if after is not None:
        stmt = stmt.where(tuple_(Comment.clause_position, Comment.id) > tuple_(*after))
    stmt = with_people(stmt.order_by(Comment.clause_position, Comment.id).limit(size + 1))
    rows = [Row(c, d, a) for c, d, a in session.execute(stmt).unique()]
    next_after = None
    if len(rows) > size:
        rows = rows[:size]
        next_after = f"{rows[-1].comment.clause_position}.{rows[-1].comment.id}"
    total, answered = session.execute(
        _joined(select(func.count(Comment.id), func.count(Disposition.id)), viewer).where(visible)
    ).one()
    objections = session.execute(
        _joined(select(Comment.clause_key, func.count(Comment.id)), viewer)
        .where(visible, Acknowledgement.kind == AcknowledgementKind.OBJECTION)
        .group_by(Comment.clause_key, Comment.clause_position)
        .order_by(Comment.clause_position)
    ).all()
    return DispositionPage(rows, answered, total, next_after, [(k, n) for k, n in objections])


def answerable_comment(session: Session, viewer: Any, comment_id: int) -> Comment:
    """The comment if its round is visible to `viewer` and the comment may be answered now
    (`answerable`); else NotFound, the same answer as a missing one."""
    if not 0 < comment_id < 2**62:
        raise NotFound()
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    round_ = visible_round(session, viewer, comment.round_id)
    if session.scalar(select(Comment.id).where(Comment.id == comment_id, answerable(round_, viewer, utcnow()))) is None:
        raise NotFound()
    return comment


@dataclass
class ReleaseGroup:
    """What releasing the round's drafted dispositions shows one stakeholder group's commenters."""

    name: str
    dispositions: int
    authors: int


def release_preview(session: Session, round_: Round) -> list[ReleaseGroup]:
    """Per stakeholder group (in their order), how many drafted dispositions a release would
    show and how many authors it would tell: what the organiser confirms."""
    rows = session.execute(
        select(StakeholderGroup.name, func.count(Disposition.id), func.count(func.distinct(Comment.author_id)))
        .join(Comment, Comment.id == Disposition.comment_id)
        .join(StakeholderGroup, StakeholderGroup.id == Comment.stakeholder_group_id)
        .where(Disposition.round_id == round_.id, Disposition.released_at.is_(None))
        .group_by(StakeholderGroup.id, StakeholderGroup.name, StakeholderGroup.position)
        .order_by(StakeholderGroup.position, StakeholderGroup.name)
    )
    return [ReleaseGroup(name, dispositions, authors) for name, dispositions, authors in rows]
