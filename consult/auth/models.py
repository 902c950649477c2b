"""People: stakeholder groups, organisations, users, roles and invitations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

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
    # The language of the pages and emails ("fr"); None: the browser's (cookie, Accept-Language),
    # and English for emails.
    locale: Mapped[str | None] = mapped_column(String(16))
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

    # The session record (`UserSession`) of the request that loaded this person; not stored.
    session_record_id: ClassVar[int] = 0  # set per instance by the loader and sign-in

    def get_id(self) -> str:
        """The login id `<id>:<session version>:<session record>`: bumping the version ends every
        session of the person, ending the record ends one (consult.auth.loader)."""
        return f"{self.id}:{self.session_version}:{self.session_record_id}"

    def end_sessions(self, keep: int | None = None) -> None:
        """Invalidate every existing session and remember cookie of this person, and mark their
        session records ended (but `keep`, the record of a session that signs in again at once)."""
        self.session_version += 1
        session = object_session(self)
        if session is not None and self.id is not None:
            stmt = update(UserSession).where(UserSession.user_id == self.id, UserSession.ended_at.is_(None))
            if keep:
                stmt = stmt.where(UserSession.id != keep)
            session.execute(stmt.values(ended_at=utcnow()))

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
    # The language the inviter chose for the invitee: the email's, and the invitation page's
    # unless the invitee's browser has chosen one (NULL: invitations sent before 0020).
    locale: Mapped[str | None] = mapped_column(String(16))

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


# --- Sessions you can see, remembered browsers, second factors (issue 17) ---------------------


class UserSession(Base):
    """One signed-in browser session: listed on the account page, ended there one by one.

    Its id is part of the login id, so the loader refuses a cookie whose record has ended."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # How the person proved who they are: password, totp, recovery_code, passkey, passkey_only, remembered.
    method: Mapped[str] = mapped_column(String(20), default="password")
    remember: Mapped[bool] = mapped_column(Boolean, default=False)  # "keep me signed in" (30 days)
    device: Mapped[str] = mapped_column(String(120), default="")  # from the user agent
    network: Mapped[str] = mapped_column(String(64), default="")  # the IP's /24 or /48, never the address
    browser_hash: Mapped[str] = mapped_column(String(64), default="", index=True)  # the browser cookie's key

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class RememberedBrowser(Base):
    """A browser where the second factor is not asked again until `expires_at`."""

    __tablename__ = "remembered_browser"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class TotpSecret(Base):
    """A person's authenticator app (RFC 6238); unconfirmed while being set up."""

    __tablename__ = "totp_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))  # base32
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The newest 30-second time step a code was accepted for: a code works once, never again.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A single-use recovery code, stored only as a keyed hash (consult.auth.factors)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Passkey(Base):
    """A WebAuthn credential with the name its owner gave it."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    user_handle: Mapped[str] = mapped_column(String(100))  # base64url, the same for all of a person's passkeys
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    passwordless: Mapped[bool] = mapped_column(Boolean, default=False)  # may sign in without a password
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
