"""The outbox: one row per (recipient, email event), written in the same transaction as the
event and sent after commit. `dedupe_key` is unique: the same event can never queue two rows
for one person, however often a cron run or a retry repeats it.

Rows say who gets what (`template`, `params`); what a notification or digest says is decided
by the renderer its room registered for the template (`consult.mail.register_renderer`), when
it is sent.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, enum_column, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; reclaimed when its lease runs out
    SENT = "sent"
    SKIPPED = "skipped"  # a digest with nothing new for this person: no email
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; an organiser may retry


class OutboxKind(enum.StrEnum):
    EMAIL = "email"  # account emails (invitation, password reset), rendered when queued
    NOTIFICATION = "notification"  # rendered by its room's renderer when sent
    DIGEST = "digest"  # rendered per recipient when sent, with the visibility of that moment


class OutboxMessage(Base):
    """One email to one person, from queued to sent."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_column(OutboxKind))
    template: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    # What a digest covers, fixed when the row is queued (rendered at send time).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(Text, default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
