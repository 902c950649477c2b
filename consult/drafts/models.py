"""Drafts: norm documents with immutable versions, each an ordered list of clauses.

A clause's `key` is stable across versions: the "same" clause in v1 and v2 shares a key, so a
comment on clause 3.2 of v1 can be shown against v2 as changed, unchanged or deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, utcnow


class Draft(Base):
    """A norm document under consultation."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The document reference committees use ("ISO/IEC DIS 27099"): the comment table's sheet title.
    reference: Mapped[str] = mapped_column(String(60), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="draft", order_by="DraftVersion.number", lazy="raise"
    )


class DraftVersion(Base):
    """One immutable text of a draft; `number` counts from 1."""

    __tablename__ = "draft_version"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The language of the clauses' own text, the authoritative one (consult.languages);
    # translations are `ClauseTranslation` rows.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    draft: Mapped[Draft] = relationship(back_populates="versions", lazy="joined", innerjoin=True)
    clauses: Mapped[list[Clause]] = relationship(back_populates="version", order_by="Clause.position", lazy="raise")

    @property
    def label(self) -> str:
        return f"v{self.number}"


class Clause(Base):
    """A numbered, headed piece of a version's text (Markdown, rendered sanitized)."""

    __tablename__ = "clause"
    __table_args__ = (
        # Named in full: the convention's uq_clause_version_id would name both alike (PostgreSQL refuses).
        UniqueConstraint("version_id", "key", name="uq_clause_version_id_key"),
        UniqueConstraint("version_id", "position", name="uq_clause_version_id_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    heading: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[DraftVersion] = relationship(back_populates="clauses", lazy="raise")

    @property
    def label(self) -> str:
        return f"{self.number} {self.heading}".strip()


class ClauseTranslation(Base):
    """A clause's heading and text in another language than its version's (a translation).

    The authoritative text stays on the clause; a translation may be added or corrected at any
    time (the version stays immutable in its own language), clause by clause.
    """

    __tablename__ = "clause_translation"
    __table_args__ = (UniqueConstraint("clause_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    heading: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
