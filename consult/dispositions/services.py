"""Disposition transitions: record, release (in a batch), acknowledge.

Dispositions are recorded on accepted comments of a closed (or published) round, drafted
privately, and released for the whole round at once, on their own or with the round's
publication; each author whose comments were answered is told by email.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import audit, policy, signals
from consult.auth.models import User
from consult.comments.models import Comment, CommentStatus
from consult.db import advisory_lock, utcnow
from consult.dispositions.models import Acknowledgement, AcknowledgementKind, Disposition, DispositionKind
from consult.drafts.models import Clause, DraftVersion
from consult.errors import Conflict, Invalid, NotAllowed
from consult.policy import Permission
from consult.rounds.models import Phase, Round

MAX_OBSERVATION = 5_000
MAX_REASON = 1_000
ANSWERABLE = (Phase.CLOSED, Phase.PUBLISHED, Phase.ARCHIVED)
# Kinds that say enough without an observation.
SELF_EXPLAINING = (DispositionKind.ACCEPTED, DispositionKind.DUPLICATE, DispositionKind.COMPLETED)


def later_clauses(session: Session, round_: Round) -> list[Clause]:
    """The clauses of the next version of the round's draft (those a disposition may point at)."""
    version = round_.version
    nxt = session.scalar(
        select(DraftVersion)
        .where(DraftVersion.draft_id == version.draft_id, DraftVersion.number > version.number)
        .order_by(DraftVersion.number)
        .limit(1)
    )
    if nxt is None:
        return []
    return list(session.scalars(select(Clause).where(Clause.version_id == nxt.id).order_by(Clause.position)))


def record_disposition(
    session: Session,
    *,
    actor: User,
    comment: Comment,
    kind: DispositionKind,
    observation: str,
    answer_clause_id: int | None = None,
    now: datetime | None = None,
    duplicate_of: Comment | None = None,
    exact: bool = False,
) -> Disposition:
    """The organiser records (or revises) the disposition of an accepted comment of a closed round.

    `duplicate_of`: for DUPLICATE, the comment of the same round it repeats. `exact`: the
    observation is kept as given (an imported table's words, line breaks and spaces)."""
    policy.require(actor, Permission.DISPOSITION_MANAGE)
    now = now or utcnow()
    round_ = session.get(Round, comment.round_id)
    if round_.phase(now) not in ANSWERABLE:
        raise Conflict(_("Dispositions are recorded once the round has closed."))
    if comment.status is not CommentStatus.ACCEPTED:
        raise Conflict(_("Only accepted comments receive a disposition."))
    observation = observation if exact else observation.strip()
    if len(observation) > MAX_OBSERVATION:
        raise Invalid(
            ngettext(
                "An observation may have at most %(num)d character.",
                "An observation may have at most %(num)d characters.",
                MAX_OBSERVATION,
            ),
            "observation",
        )
    if kind not in SELF_EXPLAINING and not observation.strip():
        raise Invalid(_("Explain the disposition in the observation."), "observation")
    if kind is DispositionKind.DUPLICATE:
        if duplicate_of is None:
            raise Invalid(_("Give the number of the comment this one duplicates."), "duplicate_of")
        if duplicate_of.round_id != comment.round_id or duplicate_of.id == comment.id:
            raise Invalid(_("A comment duplicates another comment of the same round."), "duplicate_of")
    else:
        duplicate_of = None
    if answer_clause_id is not None and answer_clause_id not in {c.id for c in later_clauses(session, round_)}:
        raise Invalid(_("Choose a clause of the next version of the text."), "answer_clause")
    disposition = session.scalar(select(Disposition).where(Disposition.comment_id == comment.id))
    action = "disposition.revise"
    if disposition is None:
        action = "disposition.record"
        disposition = Disposition(comment_id=comment.id, round_id=round_.id, recorded_at=now, recorded_by_id=actor.id)
        session.add(disposition)
    disposition.kind, disposition.observation = kind, observation
    disposition.answer_clause_id = answer_clause_id
    disposition.duplicate_of_id = duplicate_of.id if duplicate_of is not None else None
    disposition.updated_at = now
    audit.record(session, actor=actor, action=action, subject=disposition, summary=kind.value, comment_id=comment.id)
    session.flush()
    return disposition


def release_dispositions(session: Session, *, actor: User, round_: Round, now: datetime | None = None) -> int:
    """The organiser releases every drafted disposition of the round at once; how many were released."""
    policy.require(actor, Permission.DISPOSITION_MANAGE)
    now = now or utcnow()
    if round_.phase(now) not in ANSWERABLE:
        raise Conflict(_("Dispositions are released once the round has closed."))
    released = release_drafted(session, actor=actor, round_=round_, now=now)
    if not released:
        raise Conflict(_("There are no drafted dispositions to release."))
    return released


RELEASE_ORDER_LOCK = 0x636F_6E73_0001  # "cons" 1: releases against digest cursors


def lock_release_order(session: Session) -> None:
    """Hold until this transaction ends: no release takes an id while a digest run reads them."""
    advisory_lock(session, RELEASE_ORDER_LOCK)


def release_drafted(session: Session, *, actor: User, round_: Round, now: datetime) -> int:
    """Release the round's drafted dispositions and tell their authors (also run at publication,
    whose moderator approval is the permission that counts there)."""
    # Releases and digest cursors are ordered by the release's audit id: take it only once no
    # digest run is reading the newest one (PostgreSQL; SQLite serialises writers anyway).
    lock_release_order(session)
    rows = session.execute(
        select(Disposition, Comment.author_id)
        .join(Comment, Comment.id == Disposition.comment_id)
        .where(Disposition.round_id == round_.id, Disposition.released_at.is_(None))
    ).all()
    authors: dict[int, int] = {}  # author id -> how many of their comments were answered
    if rows:
        entry = audit.record(
            session, actor=actor, action="disposition.release", subject=round_, summary=str(len(rows)), count=len(rows)
        )
        session.flush()
    for disposition, author_id in rows:
        disposition.released_at, disposition.released_by_id = now, actor.id
        disposition.release_event_id = entry.id
        authors[author_id] = authors.get(author_id, 0) + 1
    if rows:
        # Each author is told once per release (the digests room listens).
        signals.dispositions_released.send(None, session=session, round_=round_, event=entry, authors=authors)
    session.flush()
    return len(rows)


def acknowledge(
    session: Session,
    *,
    actor: User,
    disposition: Disposition,
    kind: AcknowledgementKind,
    reason: str,
    now: datetime | None = None,
) -> Acknowledgement:
    """The commenter (or their focal point) answers a released disposition; a new answer replaces the last."""
    comment = session.get(Comment, disposition.comment_id)
    policy.require(actor, Permission.DISPOSITION_ACKNOWLEDGE, comment)
    if not disposition.is_released:
        raise NotAllowed(_("This disposition has not been released yet."))
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise Invalid(
            ngettext(
                "A reason may have at most %(num)d character.",
                "A reason may have at most %(num)d characters.",
                MAX_REASON,
            ),
            "reason",
        )
    if kind is AcknowledgementKind.OBJECTION and not reason:
        raise Invalid(_("Say briefly why you maintain your objection."), "reason")
    now = now or utcnow()
    ack = session.scalar(select(Acknowledgement).where(Acknowledgement.disposition_id == disposition.id))
    if ack is None:
        ack = Acknowledgement(disposition_id=disposition.id, created_at=now, author_id=actor.id, kind=kind)
        session.add(ack)
    ack.kind, ack.reason, ack.author_id, ack.updated_at = kind, reason, actor.id, now
    event = audit.record(session, actor=actor, action=f"disposition.{kind.value}", subject=disposition, reason=reason)
    session.flush()
    # Organisers hear of a maintained objection; the commenter's notice of the release is done.
    signals.disposition_acknowledged.send(
        None, session=session, disposition=disposition, comment=comment, acknowledgement=ack, event=event
    )
    return ack


def carried_forward(session: Session, round_: Round, keys: set[str | None]) -> tuple[DraftVersion | None, dict]:
    """The next version of the round's draft and, per clause key, whether it is changed,
    unchanged or deleted there (general comments: "general")."""
    version = round_.version
    nxt = session.scalar(
        select(DraftVersion)
        .where(DraftVersion.draft_id == version.draft_id, DraftVersion.number > version.number)
        .order_by(DraftVersion.number)
        .limit(1)
    )
    if nxt is None:
        return None, {}
    by_version = _clause_texts(session, [version.id, nxt.id])
    old, new = by_version[version.id], by_version[nxt.id]
    return nxt, {key: _carried(old, new, key) for key in keys}


def changed_since(session: Session, version_ids: set[int], later_id: int, key: str | None) -> dict[int, str]:
    """For each earlier version of a draft, whether its clause `key` is changed, unchanged or
    deleted in the later version `later_id`: the carry-forward of `carried_forward`, for the
    comments of earlier rounds on a clause (one statement, however many versions)."""
    by_version = _clause_texts(session, [*version_ids, later_id], key)
    return {version_id: _carried(by_version[version_id], by_version[later_id], key) for version_id in version_ids}


def _clause_texts(session: Session, version_ids: list[int], key: str | None = None) -> dict[int, dict[str, tuple]]:
    """Per version, per clause key, what makes a clause the same: number, heading, text."""
    stmt = select(Clause.version_id, Clause.key, Clause.number, Clause.heading, Clause.body).where(
        Clause.version_id.in_(version_ids)
    )
    if key is not None:
        stmt = stmt.where(Clause.key == key)
    by_version: dict[int, dict[str, tuple]] = defaultdict(dict)
    for row in session.execute(stmt):
        by_version[row.version_id][row.key] = (row.number, row.heading, row.body)
    return by_version


def _carried(old: dict[str, tuple], new: dict[str, tuple], key: str | None) -> str:
    if key is None:
        return "general"
    if key not in new:
        return "deleted"
    return "unchanged" if old.get(key) == new[key] else "changed"


def _on_round_published(_sender: Any, *, session: Session, round_: Round, actor: User, now: datetime) -> None:
    """Dispositions drafted by the time a round is published are released with its results
    (the moderator's approval of the publication is the permission that counts there)."""
    release_drafted(session, actor=actor, round_=round_, now=now)


def init_app(_app: Any) -> None:
    signals.connect(signals.round_published, _on_round_published)
