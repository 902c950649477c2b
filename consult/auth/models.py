"""People: stakeholder groups, organisations, users, roles and invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, enum_column, utcnow


class Role(enum.StrEnum):
    """What a person does on the platform; permissions per role live in consult.policy."""

    PARTICIPANT = "participant"
    FOCAL_POINT = "focal_point"
    MODERATOR = "moderator"
    ORGANISER = "organiser"
    ADMIN = "admin"


# The seeded groups; the initial migration inserts the same rows.
SEED_GROUPS = (
    ("governments", "Governments"),
    ("industry", "Industry"),
    ("civil-society", "Civil society"),
    ("academia-technical", "Academia & technical community"),
    ("igo", "Intergovernmental organisations"),
)


class StakeholderGroup(Base):
    """A constituency whose members' input the visibility rules treat alike."""

    __tablename__ = "stakeholder_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<StakeholderGroup {self.slug}>"


class Organisation(Base):
    """A government, company, NGO, university or IGO that speaks through its members."""

    __tablename__ = "organisation"
    __table_args__ = (Index("uq_organisation_mb_code", "mb_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166-1 alpha-2
    # The MB/NC code of the ISO comment template: an ISO 3166 alpha-2 code ("KR") or the
    # organisation's own ("ECMA"); unset, the country code stands in (`member_code`).
    # Stored in capitals, unique (an index, not a constraint: SQLite adds one without copying the
    # table, which would drop the round-revision triggers of migration 0007).
    mb_code: Mapped[str | None] = mapped_column(String(16))
    stakeholder_group_id: Mapped[int] = mapped_column(ForeignKey("stakeholder_group.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stakeholder_group: Mapped[StakeholderGroup] = relationship(lazy="joined", innerjoin=True)

    @property
    def member_code(self) -> str:
        """The code comment numbers start with ("KR" in "KR-003"); may be empty."""
        return self.mb_code or self.country or ""

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class User(UserMixin, Base):
    """A person with one role; participants and focal points belong to an organisation."""

    __tablename__ = "user_account"
    __table_args__ = (Index("uq_user_account_email_lower", func.lower("email"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.PARTICIPANT)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    is_active_flag: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    # Bumped by logout, password change and role change: older login ids stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_flag

    @property
    def stakeholder_group(self) -> StakeholderGroup | None:
        return self.organisation.stakeholder_group if self.organisation else None

    def get_id(self) -> str:
        """The login id carries the session version, so bumping it ends old sessions."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Invalidate every existing session and remember cookie of this person."""
        self.session_version += 1

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Invitation(Base):
    """An offer to join with a role (and organisation); its token is stored only hashed."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
