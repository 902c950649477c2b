"""A consultation: a process of comment rounds leading to a conference."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, utcnow


class Consultation(Base):
    """Drafts and rounds on the road to one conference."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    conference_name: Mapped[str] = mapped_column(String(200))
    conference_place: Mapped[str] = mapped_column(String(200), default="")
    conference_date: Mapped[date | None] = mapped_column(Date)
    # Anonymous visitors see a consultation only when it is public.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
