"""A person's notifications in the app: one row per person and event, written with the email.

Whatever reaches a person by email reaches them here too, once, whatever their email switches
(`consult.digests.notices` writes both in the event's transaction). A row says what happened
(`kind`, the email template's name) and what it is about (`round_id`, `comment_id`); what it
shows is decided when it is displayed, through policy (`consult.notifications.display`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, utcnow

# Kinds that ask something of their reader. They stop counting as unread when the task is done,
# by whoever does it (`done_at`): the action's service announces it and this room listens.
TASK_KINDS = frozenset(
    {
        "round_submitted",  # approve or send back (moderators)
        "publication_requested",  # publish or decline (moderators)
        "round_sent_back",  # change and submit again, or ask again (the organiser)
        "comment_waiting",  # sign off or return, moderate (focal points, moderators)
        "comment_returned",  # edit and submit again (the author)
        "dispositions_released",  # satisfied or objection maintained (the author)
    }
)


class Notification(Base):
    """One event as one person is told of it in the app."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "event"),
        # The bell counts a person's unread rows; the page lists a person's rows newest first.
        Index("ix_notification_user_read", "user_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # The event, as the outbox names it without the person: "comment_returned:a12".
    event: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(64))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The task it names was done (by the reader or by someone else who could): no longer pending.
    done_at: Mapped[datetime | None]

    @property
    def is_task(self) -> bool:
        return self.kind in TASK_KINDS
