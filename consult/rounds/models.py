"""Rounds: a comment period on one draft version, with its settings and visibility rule.

The stored `status` holds the steps people take (draft, pending approval, approved,
published, archived); whether an approved round is scheduled, open or closed follows the
clock (`opens_at`, `closes_at`), so no job has to flip a flag at the deadline.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, enum_column, utcnow
from consult.drafts.models import DraftVersion


class RoundStatus(enum.StrEnum):
    """The stored step of a round; see `Round.phase()` for what people see."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Phase(enum.StrEnum):
    """The lifecycle as DESIGN.md names it: stored status plus the clock."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Stage(enum.StrEnum):
    """From when a group's accepted comments are visible to another group."""

    WHILE_OPEN = "while_open"
    AFTER_CLOSE = "after_close"
    AFTER_PUBLICATION = "after_publication"
    NEVER = "never"


class Preset(enum.StrEnum):
    SEALED = "sealed"
    GROUP_DIALOGUE = "group_dialogue"
    OPEN_DIALOGUE = "open_dialogue"
    CUSTOM = "custom"


# (own group, other groups) for each preset, as in DESIGN.md.
PRESETS: dict[Preset, tuple[Stage, Stage]] = {
    Preset.SEALED: (Stage.AFTER_CLOSE, Stage.AFTER_PUBLICATION),
    Preset.GROUP_DIALOGUE: (Stage.WHILE_OPEN, Stage.AFTER_PUBLICATION),
    Preset.OPEN_DIALOGUE: (Stage.WHILE_OPEN, Stage.WHILE_OPEN),
}


class Round(Base):
    """A comment period on one draft version."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus), default=RoundStatus.DRAFT)
    preset: Mapped[Preset] = mapped_column(enum_column(Preset), default=Preset.GROUP_DIALOGUE)
    requires_signoff: Mapped[bool] = mapped_column(Boolean, default=False)
    premoderation: Mapped[bool] = mapped_column(Boolean, default=False)
    results_public: Mapped[bool] = mapped_column(Boolean, default=False)
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_back_reason: Mapped[str] = mapped_column(Text, default="")
    publication_requested_at: Mapped[datetime | None]
    publication_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved by database triggers (migration 0007) whenever what the round page shows may have
    # changed; never written by the application. The page cache keys on it.
    revision: Mapped[int] = mapped_column(server_default="0")
    # The part of `revision` that comment writes moved (migration 0015): `revision -
    # comment_revision` moves only with what the page shows around its sections.
    comment_revision: Mapped[int] = mapped_column(server_default="0")

    @property
    def frame_revision(self) -> int:
        """Moves with everything the round page shows except its comments."""
        return self.revision - self.comment_revision

    version: Mapped[DraftVersion] = relationship(lazy="joined", innerjoin=True)
    rules: Mapped[list[RoundVisibility]] = relationship(
        back_populates="round", lazy="raise", cascade="all, delete-orphan"
    )

    def phase(self, now: datetime) -> Phase:
        """Where the round stands at `now`."""
        if self.status is RoundStatus.APPROVED:
            if now < self.opens_at:
                return Phase.SCHEDULED
            return Phase.OPEN if now < self.closes_at else Phase.CLOSED
        return Phase(self.status.value)

    def is_open(self, now: datetime) -> bool:
        return self.phase(now) is Phase.OPEN


class SectionRevision(Base):
    """A revision per section of a round's page ('' the general comments, else a clause key),
    created and bumped by triggers on every comment write (migration 0015); never written by
    the application. The round page caches each section per visibility class on it."""

    __tablename__ = "section_revision"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(server_default="0")


class RoundVisibility(Base):
    """One cell of a round's rule: from which stage `author_group`'s comments reach `viewer_group`."""

    __tablename__ = "round_visibility"
    __table_args__ = (UniqueConstraint("round_id", "viewer_group_id", "author_group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    viewer_group_id: Mapped[int] = mapped_column(ForeignKey("stakeholder_group.id"))
    author_group_id: Mapped[int] = mapped_column(ForeignKey("stakeholder_group.id"))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))

    round: Mapped[Round] = relationship(back_populates="rules", lazy="raise")
