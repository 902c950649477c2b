"""Staff: a progress line per round in progress (open, or closed and not yet published).

For each round: accepted comments per stakeholder group, sign-offs and moderations pending,
and dispositions drafted / released / answered. Four statements, whatever the data: the rounds,
the comments counted by round, group and status, the dispositions counted by round, and the
groups. Through policy like every list (comments with `policy.comment_visibility`,
dispositions with `policy.disposition_visibility`): only people who read every submitted
comment are shown these lines (`policy.Task.PROGRESS`), and what they count is what they read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import StakeholderGroup
from consult.auth.queries import stakeholder_groups
from consult.comments.models import Comment, CommentStatus
from consult.dispositions.models import Acknowledgement, Disposition
from consult.rounds.models import Phase, Round, RoundStatus

LIMIT = 10


@dataclass
class Progress:
    round: Round
    phase: Phase
    by_group: dict[int, int] = field(default_factory=dict)  # accepted comments per group id
    signoffs: int = 0
    moderations: int = 0
    drafted: int = 0
    released: int = 0
    answered: int = 0

    @property
    def accepted(self) -> int:
        return sum(self.by_group.values())


@dataclass
class ProgressTable:
    groups: list[StakeholderGroup]
    lines: list[Progress]
    total: int


def progress(db: Session, user: Any, now: datetime) -> ProgressTable:
    """The rounds in progress the person may see, nearest deadline first, with their counts."""
    viewer = policy.as_viewer(user)
    in_progress = and_(
        Round.status == RoundStatus.APPROVED,
        Round.opens_at <= now,
    )
    rows = db.execute(
        policy.visible_rounds(select(Round, func.count().over().label("total")).where(in_progress), viewer)
        .order_by(Round.closes_at, Round.id)
        .limit(LIMIT)
    ).all()
    lines = {r.id: Progress(r, r.phase(now)) for r, _total in rows}
    total = rows[0].total if rows else 0
    groups = stakeholder_groups(db)
    if not lines:
        return ProgressTable(groups, [], total)
    counted = db.execute(
        select(Comment.round_id, Comment.stakeholder_group_id, Comment.status, func.count(Comment.id))
        .where(
            Comment.round_id.in_(list(lines)),
            Comment.status.in_(
                [CommentStatus.ACCEPTED, CommentStatus.AWAITING_SIGNOFF, CommentStatus.AWAITING_MODERATION]
            ),
            policy.comment_visibility(viewer, now),
        )
        .group_by(Comment.round_id, Comment.stakeholder_group_id, Comment.status)
    ).all()
    for round_id, group_id, status, n in counted:
        line = lines[round_id]
        if status is CommentStatus.ACCEPTED:
            line.by_group[group_id] = line.by_group.get(group_id, 0) + n
        elif status is CommentStatus.AWAITING_SIGNOFF:
            line.signoffs += n
        else:
            line.moderations += n
    answered = db.execute(
        select(
            Disposition.round_id,
            func.sum(case((Disposition.released_at.is_(None), 1), else_=0)),
            func.sum(case((Disposition.released_at.is_not(None), 1), else_=0)),
            func.count(Acknowledgement.id),
        )
        .join(Comment, Comment.id == Disposition.comment_id)
        .outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)
        .where(
            Disposition.round_id.in_(list(lines)),
            policy.disposition_visibility(viewer),
            policy.comment_visibility(viewer, now),
        )
        .group_by(Disposition.round_id)
    ).all()
    for round_id, drafted, released, acknowledged in answered:
        line = lines[round_id]
        line.drafted, line.released, line.answered = int(drafted or 0), int(released or 0), int(acknowledged)
    return ProgressTable(groups, list(lines.values()), total)
