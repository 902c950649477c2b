"""Read models for the round page and the side-by-side matrix.

Every query here filters comments with `policy.visible_comments`: the pages, counts and the
matrix see exactly what the viewer may see. Each function runs a fixed number of statements,
whatever the number of comments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import Session, joinedload

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.comments.models import Comment, CommentStatus, CommentType
from consult.drafts.models import Clause
from consult.rounds.models import Round

DEFAULT_PAGE = 20
MAX_PAGE = 100


@dataclass
class CommentFilters:
    type: CommentType | None = None
    group_id: int | None = None
    clause_key: str | None = None
    general_only: bool = False

    def apply(self, stmt: Any) -> Any:
        if self.type is not None:
            stmt = stmt.where(Comment.type == self.type)
        if self.group_id is not None:
            stmt = stmt.where(Comment.stakeholder_group_id == self.group_id)
        if self.general_only:
            stmt = stmt.where(Comment.clause_key.is_(None))
        elif self.clause_key is not None:
            stmt = stmt.where(Comment.clause_key == self.clause_key)
        return stmt

    def as_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.type is not None:
            args["type"] = self.type.value
        if self.group_id is not None:
            args["group"] = self.group_id
        if self.general_only:
            args["clause"] = "general"
        elif self.clause_key is not None:
            args["clause"] = self.clause_key
        return args


@dataclass
class RoundPage:
    clauses: list[Clause]
    counts: dict[str | None, int]
    comments_by_clause: dict[str | None, list[Comment]]
    next_after: str | None
    total: int
    groups: list[StakeholderGroup] = field(default_factory=list)


def with_people(stmt: Any) -> Any:
    """Load each comment's author, organisation and group in the same statement."""
    return stmt.options(
        joinedload(Comment.author).load_only(User.id, User.display_name, User.organisation_id, raiseload=True),
        joinedload(Comment.organisation).load_only(Organisation.id, Organisation.name, raiseload=True),
        joinedload(Comment.stakeholder_group),
    )


def round_page(
    session: Session,
    round_: Round,
    viewer: Any,
    filters: CommentFilters,
    after: tuple[int, int] | None,
    size: int,
    now: datetime,
    groups: list[StakeholderGroup] | None = None,
) -> RoundPage:
    """The clauses of the round's version and one page of visible comments in document order
    (`groups`: the stakeholder groups for the filter, if the caller has read them already)."""
    clauses = list(
        session.scalars(select(Clause).where(Clause.version_id == round_.version_id).order_by(Clause.position))
    )
    visible = policy.comment_visibility_in_round(session, viewer, round_, now)
    base = filters.apply(select(Comment).where(Comment.round_id == round_.id, visible))

    count_stmt = filters.apply(
        select(Comment.clause_key, func.count(Comment.id))
        .where(Comment.round_id == round_.id, visible)
        .group_by(Comment.clause_key)
    )
    counts: dict[str | None, int] = {key: n for key, n in session.execute(count_stmt)}

    page_stmt = base
    if after is not None:
        page_stmt = page_stmt.where(tuple_(Comment.clause_position, Comment.id) > tuple_(*after))
    page_stmt = with_people(page_stmt.order_by(Comment.clause_position, Comment.id).limit(size + 1))
    rows = list(session.scalars(page_stmt).unique())
    next_after = None
    if len(rows) > size:
        rows = rows[:size]
        next_after = f"{rows[-1].clause_position}.{rows[-1].id}"
    grouped: dict[str | None, list[Comment]] = defaultdict(list)
    for comment in rows:
        grouped[comment.clause_key].append(comment)
    if groups is None:
        groups = list(session.scalars(select(StakeholderGroup).order_by(StakeholderGroup.position).limit(100)))
    return RoundPage(clauses, counts, grouped, next_after, sum(counts.values()), groups)


# --- The side-by-side matrix ----------------------------------------------------------------

CELL_LIMIT = 3


@dataclass
class MatrixRow:
    clause: Clause | None  # None: general comments
    cells: dict[int, list[Comment]]
    counts: dict[int, int]
    divergent: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def matrix(
    session: Session, round_: Round, viewer: Any, now: datetime
) -> tuple[list[StakeholderGroup], list[MatrixRow]]:
    """Clauses × stakeholder groups: each cell the newest visible positions (accepted comments)
    of that group on that clause, at most CELL_LIMIT, with the cell's full count."""
    groups = list(session.scalars(select(StakeholderGroup).order_by(StakeholderGroup.position).limit(100)))
    clauses = list(
        session.scalars(select(Clause).where(Clause.version_id == round_.version_id).order_by(Clause.position))
    )
    positions = and_(
        Comment.round_id == round_.id,
        Comment.status == CommentStatus.ACCEPTED,
        Comment.hidden_at.is_(None),
        policy.comment_visibility_in_round(session, viewer, round_, now),
    )
    stats = session.execute(
        select(
            Comment.clause_key,
            Comment.stakeholder_group_id,
            func.count(Comment.id),
            func.count(func.distinct(func.nullif(Comment.proposed_change, ""))),
        )
        .where(positions)
        .group_by(Comment.clause_key, Comment.stakeholder_group_id)
    ).all()
    ranked = (
        select(
            Comment.id.label("id"),
            func.row_number()
            .over(partition_by=(Comment.clause_key, Comment.stakeholder_group_id), order_by=Comment.id.desc())
            .label("rank"),
        )
        .where(positions)
        .subquery()
    )
    shown = list(
        session.scalars(
            with_people(
                select(Comment).join(ranked, ranked.c.id == Comment.id).where(ranked.c.rank <= CELL_LIMIT)
            ).order_by(Comment.id.desc())
        ).unique()
    )
    cells: dict[str | None, dict[int, list[Comment]]] = defaultdict(lambda: defaultdict(list))
    for comment in shown:
        cells[comment.clause_key][comment.stakeholder_group_id].append(comment)
    counts: dict[str | None, dict[int, int]] = defaultdict(dict)
    proposals: dict[str | None, dict[int, int]] = defaultdict(dict)
    for key, group_id, n, n_proposals in stats:
        counts[key][group_id] = n
        proposals[key][group_id] = n_proposals
    rows = []
    for clause in [None, *clauses]:
        key = clause.key if clause else None
        if clause is None and not counts.get(None):
            continue
        rows.append(
            MatrixRow(clause, dict(cells.get(key, {})), counts.get(key, {}), _divergent(proposals.get(key, {})))
        )
    return groups, rows


def _divergent(proposals_by_group: dict[int, int]) -> bool:
    """Groups diverge on a clause when two or more groups propose changes to it."""
    return sum(1 for n in proposals_by_group.values() if n > 0) >= 2
