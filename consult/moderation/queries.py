"""Read models for the queues (moderation, sign-off, reports): each comment with its context,
the queues' filters by round and clause, and the selection a bulk action sends back.

Comments are chosen with `policy.comment_visibility` like on every page; the context of a page
of them (round, consultation, clause) is read in two statements whatever the number of comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.orm import Session, joinedload

from consult import policy
from consult.comments.models import Comment, CommentReport
from consult.consultations.models import Consultation
from consult.drafts.models import Clause
from consult.languages import parse_language
from consult.rounds.models import Round

MAX_ID = 2**62
MAX_SELECTED = 100  # a bulk action takes at most this many comments (a queue page shows 20)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SELECTION = re.compile(r"^(\d{1,18})\.(\d{1,20})$")


@dataclass(frozen=True)
class QueueFilters:
    """A queue's filters from the URL: a round, and a clause of it ("general": general comments);
    the language comments are written in (a moderator who reads it takes those)."""

    round_id: int | None = None
    clause_key: str | None = None
    language: str | None = None

    def apply(self, stmt: Any) -> Any:
        if self.language is not None:
            stmt = stmt.where(Comment.language == self.language)
        if self.round_id is not None:
            stmt = stmt.where(Comment.round_id == self.round_id)
            if self.clause_key == "general":
                stmt = stmt.where(Comment.clause_key.is_(None))
            elif self.clause_key:
                stmt = stmt.where(Comment.clause_key == self.clause_key)
        return stmt

    def as_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.language is not None:
            args["language"] = self.language
        if self.round_id is not None:
            args["round"] = self.round_id
            if self.clause_key:
                args["clause"] = self.clause_key
        return args


def parse_queue_filters(args: Mapping[str, str], rounds: Iterable[int]) -> QueueFilters:
    """The filters of a queue's URL; a round not among `rounds` (the queue's), or malformed, is
    no filter (the queue then shows everything, rather than an error)."""
    raw = args.get("round", "")
    language = parse_language(args.get("language"))
    round_id = int(raw) if raw.isdigit() and len(raw) < 19 else None
    if round_id not in set(rounds):
        return QueueFilters(language=language)
    clause = (args.get("clause") or "")[:32] or None
    return QueueFilters(round_id, clause, language)


def queue_rounds(session: Session, viewer: Any, waiting: Any) -> list[tuple[int, str]]:
    """(id, title) of the rounds the viewer may see that have comments meeting `waiting`
    (a condition on Comment): the choices of a queue's round filter."""
    has_some = exists(select(Comment.id).where(Comment.round_id == Round.id, waiting))
    stmt = policy.visible_rounds(select(Round.id, Round.title).where(has_some), viewer)
    return [(r.id, r.title) for r in session.execute(stmt.order_by(Round.closes_at, Round.id).limit(200))]


def clause_choices(session: Session, round_id: int | None) -> list[Clause]:
    """The clauses of the filtered round's text (none without a round)."""
    if round_id is None:
        return []
    version_id = select(Round.version_id).where(Round.id == round_id).scalar_subquery()
    return list(session.scalars(select(Clause).where(Clause.version_id == version_id).order_by(Clause.position)))


@dataclass
class Context:
    """Where a comment stands: its round, the round's consultation, its clause (None: general)."""

    round: Round
    consultation_title: str
    clause: Clause | None


def contexts(session: Session, comments: Iterable[Comment]) -> dict[int, Context]:
    """Each comment's context by comment id, in two statements."""
    comments = list(comments)
    round_ids = {c.round_id for c in comments}
    if not round_ids:
        return {}
    rounds = {
        r.id: (r, title)
        for r, title in session.execute(
            select(Round, Consultation.title)
            .join(Consultation, Consultation.id == Round.consultation_id)
            .where(Round.id.in_(round_ids))
        )
    }
    pairs = {(rounds[c.round_id][0].version_id, c.clause_key) for c in comments if c.clause_key}
    clauses = {}
    if pairs:
        clauses = {
            (cl.version_id, cl.key): cl
            for cl in session.scalars(select(Clause).where(tuple_(Clause.version_id, Clause.key).in_(list(pairs))))
        }
    found = {}
    for c in comments:
        round_, title = rounds[c.round_id]
        found[c.id] = Context(round_, title, clauses.get((round_.version_id, c.clause_key)) if c.clause_key else None)
    return found


def open_reports(session: Session, viewer: Any, filters: QueueFilters, limit: int) -> tuple[list[CommentReport], int]:
    """Open reports on comments the viewer may see (filtered), the oldest first, and how many."""
    chosen = filters.apply(
        select(CommentReport.id)
        .join(Comment, Comment.id == CommentReport.comment_id)
        .where(CommentReport.resolved_at.is_(None), policy.comment_visibility(viewer))
    )
    total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    comment = joinedload(CommentReport.comment)
    reports = session.scalars(
        select(CommentReport)
        .options(
            joinedload(CommentReport.reporter),
            comment.joinedload(Comment.author),
            comment.joinedload(Comment.organisation),
            comment.joinedload(Comment.stakeholder_group),
        )
        .where(CommentReport.id.in_(chosen.scalar_subquery()))
        .order_by(CommentReport.created_at, CommentReport.id)
        .limit(limit)
    ).unique()
    return list(reports), total


# --- Bulk actions: which comments, as the person read them -----------------------------------


def version_of(comment: Comment) -> str:
    """What a queue's checkbox sends for a comment: its id and the moment it was last changed,
    so a comment edited after the page was read is left out of a bulk action."""
    micro = (comment.updated_at - _EPOCH) // timedelta(microseconds=1)
    return f"{comment.id}.{micro}"


def parse_selection(values: Iterable[str]) -> tuple[list[tuple[int, datetime]], int]:
    """The (comment id, updated_at as read) pairs of a bulk action's checkboxes, each once, at
    most MAX_SELECTED; and how many values were malformed or beyond the limit."""
    chosen: dict[int, datetime] = {}
    refused = 0
    for value in values:
        found = _SELECTION.match(value or "")
        if found is None or not 0 < int(found.group(1)) < MAX_ID or len(chosen) >= MAX_SELECTED:
            refused += 1
            continue
        try:
            seen = _EPOCH + timedelta(microseconds=int(found.group(2)))
        except OverflowError:
            refused += 1
            continue
        chosen.setdefault(int(found.group(1)), seen)
    return list(chosen.items()), refused
