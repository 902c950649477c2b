"""Organiser digests, and each person's email preferences and digest cursors."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, enum_column, utcnow


class DigestFrequency(enum.StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"


class Notice(enum.StrEnum):
    """The notifications a person can switch on and off."""

    ROUND_OPENED = "round_opened"
    ROUND_CLOSING = "round_closing"
    ROUND_PUBLISHED = "round_published"
    COMMENT_DECIDED = "comment_decided"  # accepted, rejected or hidden
    COMMENT_WAITING = "comment_waiting"  # waits for my sign-off or moderation
    DISPOSITION_RELEASED = "disposition_released"  # the secretariat answered my comments
    ORGANISER_DIGEST = "organiser_digest"
    ROUND_WAITING = "round_waiting"  # a round waits for my approval, or its publication does
    ROUND_DECIDED = "round_decided"  # my round was approved or sent back, or its publication declined
    OBJECTION_MAINTAINED = "objection_maintained"  # a commenter maintains an objection


class Digest(Base):
    """An organiser's digest for a consultation: an intro plus the automatic sections."""

    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    intro: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Comments whose digest key (`Comment.submitted_key` or `accepted_key`, audit ids: see
    # `content.build_digest`) is in from_comment_key < key <= to_comment_key are new in it.
    from_comment_key: Mapped[int] = mapped_column(Integer, default=0)
    to_comment_key: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[datetime | None]
    # The stage rank each of the consultation's rounds had reached when the digest was made
    # (`policy.stage_rank`, {round id: rank}): the next digest also lists the comments that
    # became visible because a round closed or was published in between.
    stage_ranks: Mapped[dict[str, int] | None] = mapped_column(JSON)


class EmailPreference(Base):
    """What one person wants by email, and where their personal digest stands."""

    __tablename__ = "email_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    digest_frequency: Mapped[DigestFrequency] = mapped_column(
        enum_column(DigestFrequency), default=DigestFrequency.WEEKLY
    )
    round_opened: Mapped[bool] = mapped_column(Boolean, default=True)
    round_closing: Mapped[bool] = mapped_column(Boolean, default=True)
    round_published: Mapped[bool] = mapped_column(Boolean, default=True)
    comment_decided: Mapped[bool] = mapped_column(Boolean, default=True)
    comment_waiting: Mapped[bool] = mapped_column(Boolean, default=True)
    disposition_released: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    organiser_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    round_waiting: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    round_decided: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    objection_maintained: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The digest cursor: comments whose digest key (an audit id: `Comment.submitted_key` or
    # `accepted_key`, see `content.build_digest`) is up to this have been considered.
    last_digest_comment_key: Mapped[int] = mapped_column(Integer, default=0)
    last_digest_at: Mapped[datetime | None]
    # What the cursor was computed under: `digests.cursors.CursorState` as JSON (the person's
    # visibility class and each round's stage rank, which only grow); None until the next digest.
    # A comment behind the cursor that has become visible since is listed once (`LateWindow`).
    digest_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Answers to the person's own comments: releases up to this one have been listed
    # (`Disposition.release_event_id`, by id, not by clock).
    last_digest_release_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def wants(self, notice: Notice) -> bool:
        return bool(getattr(self, notice.value))
