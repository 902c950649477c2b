"""Forms that create something are sent once: a double click or a re-sent form does nothing twice.

Each such form carries a one-time value (`OnceForm.nonce`, new every time the form is shown).
The view records (person, nonce) with where its result lives, in the same transaction as what
the form created (`web.create_once`); the same value sent again finds that record and leads to
the first result instead of creating a second one. A unique constraint settles two copies that
arrive at the same moment. (Comments keep their own nonce column, which predates this.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consult.db import Base, utcnow

MAX_NONCE = 64


class FormSubmission(Base):
    """One creating form, sent by one person: what it made and where that is."""

    __tablename__ = "form_submission"
    __table_args__ = (UniqueConstraint("user_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(MAX_NONCE))
    purpose: Mapped[str] = mapped_column(String(40))
    result_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def earlier(session: Session, user_id: int, nonce: str) -> FormSubmission | None:
    """The first submission of this form by this person, if there was one."""
    return session.scalar(
        select(FormSubmission).where(FormSubmission.user_id == user_id, FormSubmission.nonce == nonce)
    )


def remember(session: Session, user_id: int, nonce: str, purpose: str, result_url: str) -> None:
    """Record this submission (flushed: a copy sent at the same moment fails its insert)."""
    session.add(FormSubmission(user_id=user_id, nonce=nonce, purpose=purpose, result_url=result_url))
    session.flush()
