"""Personal access tokens: create (shown once), authenticate, note their use, revoke.

A token is `cst_` and 43 characters of `secrets.token_urlsafe(32)` (256 random bits). Only an
HMAC-SHA256 of it, keyed with the application's SECRET_KEY, is stored. Not argon2: a slow,
salted hash protects guessable secrets (passwords) from an offline search, but nothing can
search 2^256 tokens, and the API would pay ~100 ms of argon2 on every request and could not
find a token by its hash; the key means a copy of the database alone does not even let one
check a guess. Rotating SECRET_KEY therefore ends every token, as it ends every session.

Tokens are revoked by their owner, and by the database (a trigger of migration 0011) when the
owner's role or organisation changes or the account is disabled: whatever changes them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.api.models import ApiToken, Scope
from consult.auth.models import User
from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound
from consult.policy import Permission

PREFIX = "cst_"
MAX_TOKEN_LENGTH = 100
MAX_DAYS = 365
MAX_LIVE_TOKENS = 20
LAST_USE_GRANULARITY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """The keyed digest stored for (and looked up by) a token."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"consult.api-token:" + token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


def offered_scopes(user: User) -> tuple[Scope, ...]:
    """The scopes a person may put on a token: reading, and what their role lets them do."""
    scopes = [Scope.READ]
    if policy.can(user, Permission.COMMENT_CREATE):
        scopes.append(Scope.COMMENT)
    if policy.can(user, Permission.COMMENT_SIGNOFF):
        scopes.append(Scope.SIGNOFF)
    return tuple(scopes)


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    session: Session, *, actor: User, name: str, scopes: list[str], days: int, now: datetime | None = None
) -> NewToken:
    """A new token for `actor` with a name, scopes and an expiry of at most a year."""
    policy.require(actor, Permission.ACCOUNT_MANAGE)
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid(_("Give the token a name of at most 100 characters, such as the tool that uses it."), "name")
    chosen = {Scope(s) for s in scopes if s in Scope._value2member_map_}
    if not chosen or not chosen <= set(offered_scopes(actor)):
        raise Invalid(_("Choose what the token may do."), "scopes")
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(_("A token expires after at most a year."), "days")
    live = session.scalars(
        select(ApiToken.id).where(
            ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    ).all()
    if len(live) >= MAX_LIVE_TOKENS:
        raise Invalid(
            ngettext(
                "You have %(num)d token already: revoke it first if you no longer use it.",
                "You have %(num)d tokens already: revoke one you no longer use first.",
                len(live),
            ),
            "name",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:10],
        scopes=" ".join(s.value for s in Scope if s in chosen),
        created_at=now,
        expires_at=now + timedelta(days=days),
        revoked_reason="",
    )
    session.add(token)
    audit.record(session, actor=actor, action="api_token.create", subject=token, summary=name, scopes=token.scopes)
    return NewToken(token, secret)


def revoke_token(session: Session, *, actor: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """The owner revokes one of their tokens; it stops working at once."""
    policy.require(actor, Permission.ACCOUNT_MANAGE)
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.id))
    if token is None:
        raise NotFound(_("This token does not exist."))
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."))
    token.revoked_at = now or utcnow()
    token.revoked_reason = "owner"
    audit.record(session, actor=actor, action="api_token.revoke", subject=token, summary=token.name)
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """A person's tokens, newest first (bounded by MAX_LIVE_TOKENS live ones and a few past)."""
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()).limit(50))
    )


def authenticate(session: Session, secret: str, now: datetime | None = None) -> tuple[ApiToken, User] | None:
    """The live token and its active owner for a bearer secret, or None."""
    if not secret.startswith(PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == token_hash(secret))
    ).first()
    if row is None:
        return None
    token, user = row
    if not token.is_live(now) or not user.is_active:
        return None
    return token, user


def note_use(session: Session, token: ApiToken, engine=None, now: datetime | None = None) -> None:
    """Record when a token was last used, at most once a minute: with `engine`, in a short
    transaction of its own (a reading request's session must not take a write lock for it);
    without, in the request's own writing transaction (committed with its change)."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_GRANULARITY:
        return
    statement = update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
    if engine is None:
        session.execute(statement)
        return
    with engine.begin() as connection:
        connection.execute(statement)
