"""Personal access tokens: what a person's own tools use to call the API for them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import Base, utcnow


class Scope(enum.StrEnum):
    """What a token may be used for (on top of what its owner may do)."""

    READ = "read"
    COMMENT = "comment"  # write, edit, submit and withdraw comments; acknowledge dispositions
    SIGNOFF = "sign-off"  # a focal point's sign-off


class ApiToken(Base):
    """A token is shown once; only a keyed SHA-256 of it is stored (`api.services.token_hash`)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    scopes: Mapped[str] = mapped_column(String(100))  # space-separated Scope values
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    # Set by its owner ("owner"), or by the database when the owner's role or organisation
    # changes or the account is disabled ("access_changed", a trigger of migration 0011).
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")

    user: Mapped[User] = relationship(lazy="raise")

    @property
    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes.split() if s in Scope._value2member_map_)

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
