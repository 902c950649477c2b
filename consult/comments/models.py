"""Comments, structured like the ISO/IEC commenting template, and reports about them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import Organisation, StakeholderGroup, User
from consult.db import Base, enum_column, utcnow


class CommentType(enum.StrEnum):
    GENERAL = "general"
    TECHNICAL = "technical"
    EDITORIAL = "editorial"


class Attribution(enum.StrEnum):
    """What other participants learn about who wrote a comment (staff always know)."""

    PERSON = "person"  # person and organisation
    ORGANISATION = "organisation"  # organisation only
    GROUP = "group"  # stakeholder group only


class CommentStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNOFF = "awaiting_signoff"
    AWAITING_MODERATION = "awaiting_moderation"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Comment(Base):
    """One comment on a clause (or on the draft in general) in a round."""

    __tablename__ = "comment"
    __table_args__ = (
        UniqueConstraint("author_id", "nonce"),
        # The round page reads a round's comments in document order: keyset on this index.
        Index("ix_comment_round_position_id", "round_id", "clause_position", "id"),
        # Every column the visibility rule reads: the round page's counts read the index alone.
        Index(
            "ix_comment_round_counts",
            "round_id",
            "clause_key",
            "status",
            "hidden_at",
            "stakeholder_group_id",
            "organisation_id",
            "author_id",
        ),
        # A comment's number as the committee writes it ("KR-003", "US 021") names one comment
        # of the round (NULL, several: drafts not yet numbered).
        Index("uq_comment_round_id_number", "round_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    clause_key: Mapped[str | None] = mapped_column(String(32))  # None: general comment
    # The clause's place in the round's (immutable) version; 0 for general comments.
    clause_position: Mapped[int] = mapped_column(default=0)
    type: Mapped[CommentType] = mapped_column(enum_column(CommentType))
    body: Mapped[str] = mapped_column(Text)
    proposed_change: Mapped[str] = mapped_column(Text, default="")
    # The commenter supports the clause as drafted: the text should stay (then no proposed
    # change). The side-by-side page sets these against other groups' proposed changes.
    supports_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # The author's group when the comment was written: what the visibility rule looks at.
    stakeholder_group_id: Mapped[int] = mapped_column(ForeignKey("stakeholder_group.id"), index=True)
    attribution: Mapped[Attribution] = mapped_column(enum_column(Attribution), default=Attribution.PERSON)
    status: Mapped[CommentStatus] = mapped_column(enum_column(CommentStatus), default=CommentStatus.DRAFT)
    nonce: Mapped[str] = mapped_column(String(64))  # one form, one comment (double submit)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    returned_reason: Mapped[str] = mapped_column(Text, default="")
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    # Digest keys: the id of the audit entry of the moment the comment last became visible to
    # its organisation and staff (submitted) and to other organisations (accepted); None while
    # it is not. Digests choose comments by these, not by id (`consult.digests`).
    submitted_key: Mapped[int | None] = mapped_column(index=True)
    accepted_key: Mapped[int | None] = mapped_column(index=True)
    # The ISO/IEC template's fields (consult.comments.numbering, consult.exports.isoform):
    # the comment's number, given once at submission or import and kept ("KR-003"; an imported
    # table's own number as written, "US 021"); the MB/NC code it was numbered under and its
    # place in that code's sequence (the export's "by MB, then number" order).
    number: Mapped[str | None] = mapped_column(String(40))
    member_code: Mapped[str] = mapped_column(String(16), default="", server_default="")
    number_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The number the source table gave the comment when it was imported ("C-1", "DE-001").
    source_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    line_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    paragraph: Mapped[str] = mapped_column(String(200), default="", server_default="")  # paragraph/figure/table
    # The clause reference as the commenter wrote it ("6.2 and 7", "Table 2", "13(a)", or blank in
    # an imported table); None when it was chosen from the list (the clause's number says it).
    # `clause_key` stays the primary clause (the round page groups by it); further clauses it
    # names are `CommentClause` rows.
    clause_ref: Mapped[str | None] = mapped_column(String(200))

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")
    organisation: Mapped[Organisation] = relationship(lazy="raise")
    stakeholder_group: Mapped[StakeholderGroup] = relationship(lazy="raise")

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class CommentClause(Base):
    """A further clause that a comment names besides its primary one ("6.2 and 7": 7)."""

    __tablename__ = "comment_clause"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    clause_key: Mapped[str] = mapped_column(String(32), primary_key=True)


class CommentReport(Base):
    """Someone's report of a comment to the moderators; it never hides anything by itself."""

    __tablename__ = "comment_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    comment: Mapped[Comment] = relationship(lazy="raise")
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="raise")
