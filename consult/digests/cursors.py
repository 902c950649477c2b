"""Where each person's digest stands, and what a digest covers: named structures, kept as JSON.

A comment's digest keys are the ids of the audit entries of the moments it reached each
audience (`Comment.submitted_key`, `accepted_key`; `policy.digest_key` says which one a viewer
reads). A person's cursor is such an id: a digest lists the comments they may see whose key is
after the cursor, up to the horizon, and moves the cursor there. Besides, a comment behind the
cursor may have become visible since (its round reached a further stage, the person's role or
organisation changed): the cursor remembers the class and stage ranks it was computed under
(`CursorState`), and the next digest lists what became visible since (`LateWindow`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.orm import Session

from consult import policy
from consult.audit import AuditEvent
from consult.comments.models import Comment, CommentStatus
from consult.dispositions.models import Disposition
from consult.policy import VisibilityClass
from consult.rounds.models import Round, RoundStatus

Ranks = dict[int, int]  # round id -> stage rank (`policy.stage_rank`)


def _ranks_from_json(data: dict[str, int]) -> Ranks:
    return {int(round_id): rank for round_id, rank in data.items()}


def _ranks_to_json(ranks: Ranks) -> dict[str, int]:
    return {str(round_id): rank for round_id, rank in sorted(ranks.items())}


@dataclass(frozen=True)
class CursorState:
    """What a person's comment cursor was computed under: their visibility class, and the stage
    rank each round had reached (ranks only grow: a reopened round's comments were seen)."""

    visibility: VisibilityClass
    ranks: Ranks

    def to_json(self) -> dict[str, Any]:
        return {"visibility": self.visibility.to_json(), "ranks": _ranks_to_json(self.ranks)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CursorState | None:
        if not data or "visibility" not in data:
            return None
        return cls(VisibilityClass.from_json(data["visibility"]), _ranks_from_json(data["ranks"]))

    def advanced(self, visibility: VisibilityClass, ranks: Ranks) -> CursorState:
        merged = dict(self.ranks)
        for round_id, rank in ranks.items():
            merged[round_id] = max(rank, merged.get(round_id, 0))
        return CursorState(visibility, merged)

    def late(self, visibility: VisibilityClass, ranks: Ranks) -> LateWindow | None:
        """What may have become visible behind the cursor since: every round if the person's
        class changed, else the rounds that reached a further stage. None: nothing."""
        if self.visibility != visibility:
            return LateWindow(self.visibility, dict(self.ranks), everything=True)
        widened = {r: self.ranks.get(r, 0) for r, rank in ranks.items() if rank > self.ranks.get(r, 0)}
        return LateWindow(self.visibility, widened, everything=False) if widened else None


@dataclass(frozen=True)
class LateWindow:
    """Comments behind the cursor that were not visible under `then` with the stage ranks
    `ranks` (in those rounds only, unless `everything`: the class itself changed)."""

    then: VisibilityClass
    ranks: Ranks
    everything: bool

    def to_json(self) -> dict[str, Any]:
        return {"then": self.then.to_json(), "ranks": _ranks_to_json(self.ranks), "everything": self.everything}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LateWindow | None:
        if not data:
            return None
        return cls(VisibilityClass.from_json(data["then"]), _ranks_from_json(data["ranks"]), bool(data["everything"]))


@dataclass(frozen=True)
class Window:
    """The comments a digest covers: digest keys after `after` up to `up_to`, and `late`."""

    after: int
    up_to: int
    late: LateWindow | None = None


@dataclass(frozen=True)
class Period:
    """The time a digest covers, for round events (opened, closing soon, published)."""

    since: datetime | None
    until: datetime


@dataclass(frozen=True)
class PersonalDigest:
    """What a personal digest row covers (its outbox `params`), fixed when it is queued."""

    comments: Window
    answers_after: int  # releases of dispositions on the person's own comments, by release id
    answers_up_to: int
    period: Period

    def to_json(self) -> dict[str, Any]:
        return {
            "comments_after": self.comments.after,
            "comments_up_to": self.comments.up_to,
            "late": self.comments.late.to_json() if self.comments.late else None,
            "answers_after": self.answers_after,
            "answers_up_to": self.answers_up_to,
            "since": self.period.since.isoformat() if self.period.since else None,
            "until": self.period.until.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersonalDigest:
        return cls(
            Window(data["comments_after"], data["comments_up_to"], LateWindow.from_json(data.get("late"))),
            data["answers_after"],
            data["answers_up_to"],
            Period(
                datetime.fromisoformat(data["since"]) if data.get("since") else None,
                datetime.fromisoformat(data["until"]),
            ),
        )


# --- Reading the newest ids -----------------------------------------------------------------


def last_audit_id(session: Session) -> int:
    """The newest audit id (a new person's first comment cursor: nothing is owed before it)."""
    return session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0


def last_release_id(session: Session) -> int:
    """The newest release of dispositions (a new person's first answers cursor)."""
    return session.scalar(select(func.coalesce(func.max(Disposition.release_event_id), 0))) or 0


def comment_horizon(session: Session) -> int:
    """The newest digest key (an audit id) below which no comment key can still commit: where a
    digest's comment cursor may move to.

    On PostgreSQL ids are taken before commit, so the newest committed id can have an older one
    still in flight, which a cursor moved past it would skip for good. Every service that gives
    a key locks the comment's round first (`comments.services.lock_round_for_comments`, held to
    its commit): authors and focal points on rounds open for comments, moderators on rounds with
    comments awaiting moderation. A short transaction of its own that takes FOR SHARE on those
    rounds waits for them, and reads the newest audit id once they are done (a writer that locks
    later takes a later id). The caller must hold no round lock (it would wait for itself; the
    lock timeout ends that). SQLite's writers are serial (BEGIN IMMEDIATE): no id is in flight."""
    if session.get_bind().dialect.name != "postgresql":
        return last_audit_id(session)
    awaiting = exists().where(Comment.round_id == Round.id, Comment.status == CommentStatus.AWAITING_MODERATION)
    with session.get_bind().connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(
            select(Round.id).where(or_(Round.status == RoundStatus.APPROVED, awaiting)).with_for_update(read=True)
        )
        return conn.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0


def stage_ranks(session: Session, now: datetime) -> Ranks:
    """The stage rank every round has reached now; rounds at 0 left out."""
    reached = Round.status.in_([RoundStatus.APPROVED, RoundStatus.PUBLISHED, RoundStatus.ARCHIVED])
    ranks = {round_.id: policy.stage_rank(round_, now) for round_ in session.scalars(select(Round).where(reached))}
    return {round_id: rank for round_id, rank in ranks.items() if rank}
