"""Read models for rounds: the loader every round URL uses, the comment filters and page
cursor read from a URL, the round page and its sections (the side-by-side page: `sidebyside.py`).

Every query here filters comments with `policy.visible_comments`: the pages, counts and the
side-by-side page see exactly what the viewer may see. Each function runs a fixed number of statements,
whatever the number of comments. Nothing here raises an HTTP error: a round the viewer may not
see is `NotFound`, a malformed cursor `Invalid`, which `consult/web.py` answers as it answers a
missing page or a bad request.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, or_, select, tuple_
from sqlalchemy.orm import Session, joinedload

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.auth.queries import stakeholder_groups
from consult.comments.models import Comment, CommentType
from consult.drafts.models import Clause
from consult.errors import Invalid, NotFound
from consult.rounds.models import Round

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_ID = 2**62  # ids above this are not ours (and would overflow a BIGINT)


def visible_round(session: Session, viewer: Any, round_id: int) -> Round:
    """The round if `viewer` may see it; else `NotFound`, the same answer as a missing round."""
    if not 0 < round_id < MAX_ID:
        raise NotFound()
    found = session.scalar(_round_statement(policy.as_viewer(viewer).visibility_class), {"round_id": round_id})
    if found is None:
        raise NotFound()
    return found


@lru_cache(maxsize=1024)
def _round_statement(visibility: policy.VisibilityClass) -> Any:
    """The loader's statement, built once per visibility class (the rule reads nothing else):
    every round URL runs it, and building it cost more than running it."""
    stmt = select(Round).where(Round.id == bindparam("round_id"))
    return stmt.where(policy.class_round_visibility(visibility))


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


def parse_after(value: str | None) -> tuple[int, int] | None:
    """The page cursor `after=<clause position>.<comment id>`; `Invalid` when malformed."""
    if not value:
        return None
    # ASCII digits only ("²".isdigit() is true, int("²") fails), at most 18 (a 64-bit integer).
    if not re.fullmatch(r"[0-9]{1,18}\.[0-9]{1,18}", value):
        raise Invalid(_("Check the address or the form and try again."), "after")
    position, _sep, ident = value.partition(".")
    return int(position), int(ident)


def parse_filters(args: Mapping[str, str], groups: list[StakeholderGroup]) -> CommentFilters:
    """The comment filters of a URL's query (`type`, `group`, `clause`); unknown values filter nothing."""
    comment_type = args.get("type", "")
    group = args.get("group", "")
    clause = args.get("clause", "")[:32]
    return CommentFilters(
        type=CommentType(comment_type) if comment_type in CommentType._value2member_map_ else None,
        group_id=int(group) if re.fullmatch(r"[0-9]{1,9}", group) and int(group) in {g.id for g in groups} else None,
        clause_key=clause if clause and clause != "general" else None,
        general_only=clause == "general",
    )


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
    clauses: list[Any] | None = None,
) -> RoundPage:
    """The clauses of the round's version and one page of visible comments in document order
    (`groups`, `clauses`: the stakeholder groups and the clauses, if the caller has read them)."""
    if clauses is None:
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
        groups = stakeholder_groups(session)
    return RoundPage(clauses, counts, grouped, next_after, sum(counts.values()), groups)


# --- The round page's sections, read one by one (rounds/sections.py) -------------------------


def _in_sections(keys: list[str | None]) -> Any:
    named = [k for k in keys if k is not None]
    terms = [Comment.clause_key.in_(named)] if named else []
    if None in keys:
        terms.append(Comment.clause_key.is_(None))
    return or_(*terms)


def section_counts(
    session: Session, round_: Round, visible: Any, filters: CommentFilters, keys: list[str | None]
) -> dict[str | None, int]:
    """The visible comments of the named sections (None: the general comments), counted from
    the covering index (one statement)."""
    stmt = filters.apply(
        select(Comment.clause_key, func.count(Comment.id))
        .where(Comment.round_id == round_.id, visible, _in_sections(keys))
        .group_by(Comment.clause_key)
    )
    return {key: n for key, n in session.execute(stmt)}


def section_rows(
    session: Session, round_: Round, visible: Any, filters: CommentFilters, budgets: dict[str | None, int]
) -> dict[str | None, list[Comment]]:
    """The first comments of each named section in document order, as many as its budget
    allows (one statement: a window numbers each section's rows)."""
    keys = list(budgets)
    ranked = (
        filters.apply(
            select(
                Comment.id.label("id"),
                func.row_number().over(partition_by=Comment.clause_key, order_by=Comment.id).label("rank"),
                Comment.clause_key.label("section"),
            ).where(Comment.round_id == round_.id, visible, _in_sections(keys))
        )
    ).subquery()
    general = budgets.get(None, 0)
    named = {k: b for k, b in budgets.items() if k is not None}
    limit = case(named, value=ranked.c.section, else_=general) if named else general
    stmt = with_people(select(Comment).join(ranked, ranked.c.id == Comment.id).where(ranked.c.rank <= limit)).order_by(
        Comment.clause_position, Comment.id
    )
    found: dict[str | None, list[Comment]] = defaultdict(list)
    for comment in session.scalars(stmt).unique():
        found[comment.clause_key].append(comment)
    return found
