"""The secretariat's disposition table: one page of a round's comments in the ISO columns.

A fixed number of statements per page, whatever the round holds: the page's rows (comments
with their dispositions and replies), the answered/total count, the MB/NC codes and clauses
for the filters, and the numbers of comments named as duplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from consult.comments.models import Comment, CommentClause, CommentType
from consult.dispositions.models import Acknowledgement, Disposition
from consult.dispositions.queries import Row, _joined, _status, answerable
from consult.rounds.models import Round

PAGE_SIZE = 25
CODE_RE = re.compile(r"^[A-Za-z0-9/&._-]{1,16}$")


@dataclass
class TableFilters:
    clause_key: str | None = None
    general_only: bool = False
    mb: str | None = None  # an MB/NC code; "" for comments numbered without one
    type: CommentType | None = None
    status: str | None = None
    order: str = "clause"  # or "mb"

    def apply(self, stmt: Any) -> Any:
        if self.general_only:
            stmt = stmt.where(Comment.clause_key.is_(None))
        elif self.clause_key is not None:
            further = exists().where(
                CommentClause.comment_id == Comment.id, CommentClause.clause_key == self.clause_key
            )
            stmt = stmt.where(or_(Comment.clause_key == self.clause_key, further))
        if self.mb is not None:
            stmt = stmt.where(Comment.member_code == self.mb)
        if self.type is not None:
            stmt = stmt.where(Comment.type == self.type)
        return _status(stmt, self.status)

    def as_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.general_only:
            args["clause"] = "general"
        elif self.clause_key is not None:
            args["clause"] = self.clause_key
        if self.mb is not None:
            args["mb"] = self.mb or "-"
        if self.type is not None:
            args["type"] = self.type.value
        if self.status:
            args["status"] = self.status
        if self.order != "clause":
            args["order"] = self.order
        return args


@dataclass
class TablePage:
    rows: list[Row]
    number: int
    has_next: bool
    answered: int
    total: int
    codes: list[str]


def order_by(order: str) -> list[Any]:
    if order == "mb":
        return [Comment.member_code, Comment.number_seq, Comment.id]
    return [Comment.clause_position, Comment.member_code, Comment.number_seq, Comment.id]


def table_page(
    session: Session, round_: Round, viewer: Any, filters: TableFilters, number: int, now: Any, size: int = PAGE_SIZE
) -> TablePage:
    """Page `number` (from 1) of the round's answerable comments the viewer may see, filtered."""
    visible = answerable(round_, viewer, now)
    stmt = filters.apply(_joined(select(Comment, Disposition, Acknowledgement), viewer).where(visible))
    stmt = stmt.order_by(*order_by(filters.order)).limit(size + 1).offset((number - 1) * size)
    rows = [Row(c, d, a) for c, d, a in session.execute(stmt)]
    total, answered = counts(session, round_, viewer, now)
    codes = list(
        session.scalars(select(Comment.member_code).where(visible).distinct().order_by(Comment.member_code).limit(500))
    )
    return TablePage(rows[:size], number, len(rows) > size, answered, total, codes)


def counts(session: Session, round_: Round, viewer: Any, now: Any) -> tuple[int, int]:
    """(comments, answered) of the round: "N of M answered"."""
    visible = answerable(round_, viewer, now)
    total, answered = session.execute(
        _joined(select(func.count(Comment.id), func.count(Disposition.id)), viewer).where(visible)
    ).one()
    return total, answered


def duplicate_numbers(session: Session, dispositions: list[Disposition]) -> dict[int, str]:
    """The numbers of the comments these dispositions name as duplicated (staff see them all)."""
    ids = {d.duplicate_of_id for d in dispositions if d.duplicate_of_id}
    if not ids:
        return {}
    rows = session.execute(select(Comment.id, Comment.number).where(Comment.id.in_(ids)))
    return {cid: number or f"#{cid}" for cid, number in rows}


def further_clauses(session: Session, comment_ids: list[int]) -> dict[int, list[str]]:
    """The further clause keys of these comments, in one statement."""
    found: dict[int, list[str]] = {}
    if comment_ids:
        for comment_id, key in session.execute(
            select(CommentClause.comment_id, CommentClause.clause_key).where(CommentClause.comment_id.in_(comment_ids))
        ):
            found.setdefault(comment_id, []).append(key)
    return found
