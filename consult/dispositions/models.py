"""Dispositions and acknowledgements.

A disposition is drafted privately (only organisers and moderators see it) and becomes visible
with everything else about its comment once `released_at` is set, in a batch for the round.
The commenter (or their focal point) may then acknowledge it: satisfied, or objection maintained.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.comments.models import Comment
from consult.db import Base, enum_column, utcnow


class DispositionKind(enum.StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_IN_PRINCIPLE = "accepted_in_principle"
    PARTIALLY_ACCEPTED = "partially_accepted"
    NOTED = "noted"
    NOT_ACCEPTED = "not_accepted"
    # The vocabulary of real committees, beside the ISO four.
    ACCEPTED_WITH_MODIFICATIONS = "accepted_with_modifications"
    DUPLICATE = "duplicate"  # of `Disposition.duplicate_of_id`
    DEFERRED = "deferred"  # unresolved: deferred to a later round
    COMPLETED = "completed"


class AcknowledgementKind(enum.StrEnum):
    SATISFIED = "satisfied"
    OBJECTION = "objection"  # objection maintained


class Disposition(Base):
    """The secretariat's answer to one accepted comment of a closed round."""

    __tablename__ = "disposition"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    kind: Mapped[DispositionKind] = mapped_column(enum_column(DispositionKind))
    observation: Mapped[str] = mapped_column(Text, default="")
    # The clause of a later version of the draft that answers the comment, where one does.
    answer_clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"))
    # DUPLICATE: the comment of the same round that this one repeats.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    # The audit entry of the release: increases with each release, so digests list answers by
    # this id instead of by time (see `consult.digests.schedule.queue_due_digests`).
    release_event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    comment: Mapped[Comment] = relationship(foreign_keys=[comment_id], lazy="raise")

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class Acknowledgement(Base):
    """The commenter's (or their focal point's) reply to a released disposition; one per disposition."""

    __tablename__ = "acknowledgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_id: Mapped[int] = mapped_column(ForeignKey("disposition.id"), unique=True)
    kind: Mapped[AcknowledgementKind] = mapped_column(enum_column(AcknowledgementKind))
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
