"""Account transitions: sign in, invitations, password reset and change, profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import audit, i18n, policy, tokens
from consult.auth.models import Invitation, Organisation, Role, User
from consult.auth.sessions import forget_all_browsers
from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound
from consult.mail import queue_email
from consult.policy import Permission

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
TIMEZONES = frozenset(available_timezones())
RESET_PURPOSE = "password-reset"


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check `password`; without a user, spend the same time so timing reveals nothing."""
    hasher = _hasher()
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


_DUMMY: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    h = _hasher()
    key = (h.time_cost, h.memory_cost, h.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = h.hash("not a real password, only spends time")
    return _DUMMY[key]


def check_password_rules(password: str, email: str = "") -> None:
    """Raise Invalid when `password` is too short, too long or the email itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.", MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(
            ngettext("Use at most %(num)d character.", "Use at most %(num)d characters.", MAX_PASSWORD_LENGTH)
        )
    if email and password.strip().lower() == email.strip().lower():
        raise Invalid(_("Your password cannot be your email address."))


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account with this email, ignoring case."""
    email = email.strip().lower()
    if not email or len(email) > 254:
        return None
    return session.scalar(select(User).where(func.lower(User.email) == email))


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (never saying which part was wrong)."""
    user = find_user_by_email(session, email)
    if not verify_password(user, password[:MAX_PASSWORD_LENGTH]):
        return None
    if user is None or not user.is_active:
        return None
    hasher = _hasher()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def sign_out(session: Session, *, user: User) -> None:
    """End this person's sessions everywhere (a copied cookie stops working)."""
    user.end_sessions()


@dataclass
class InvitationSent:
    invitation: Invitation
    token: str


def invite(
    session: Session,
    *,
    actor: User,
    email: str,
    role: Role,
    organisation: Organisation | None,
    locale: str | None = None,
) -> InvitationSent:
    """Invite `email` to join with `role` (and organisation), and email the link in `locale`
    (the invitee's language as the inviter knows it; None: the inviter's page language)."""
    policy.require(actor, Permission.INVITATION_CREATE, role)
    email = email.strip()
    if locale is None:
        locale = str(get_locale() or i18n.DEFAULT)
    if i18n.known(locale) is None:
        raise Invalid(_("Choose a language from the list."), field="language")
    if find_user_by_email(session, email) is not None:
        raise Invalid(_("An account with this email address already exists."))
    if role in policy.ORGANISATION_ROLES and organisation is None:
        raise Invalid(_("Choose the organisation this person will speak for."))
    if role not in policy.ORGANISATION_ROLES:
        organisation = None
    now = utcnow()
    for old in session.scalars(
        select(Invitation).where(
            func.lower(Invitation.email) == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now  # one live invitation per address: the newest
    token, token_hash = tokens.new_random_token()
    invitation = Invitation(
        email=email,
        role=role,
        organisation=organisation,
        token_hash=token_hash,
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + current_app.config["INVITATION_TTL"],
        locale=locale,
    )
    session.add(invitation)
    audit.record(
        session,
        actor=actor,
        action="invitation.create",
        subject=invitation,
        summary=f"{email} as {role.value}",
        role=role,
        organisation_id=organisation.id if organisation else None,
    )
    queue_email(
        session,
        "invitation",
        email,
        locale,
        invitation=invitation,
        inviter=actor,
        url=url_for("auth.accept_invitation", token=token, _external=True),
    )
    return InvitationSent(invitation, token)


def find_invitation(session: Session, token: str) -> Invitation:
    """The pending invitation for `token`; NotFound when unknown, used, revoked or expired."""
    if not token or len(token) > tokens.MAX_TOKEN_LENGTH:
        raise NotFound(_("This invitation link is not valid."))
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == tokens.hash_token(token)))
    if invitation is None or not invitation.is_pending(utcnow()):
        raise NotFound(
            _(
                "This invitation link has expired or has already been used. Ask the person "
                "who invited you to send a new one."
            )
        )
    return invitation


def accept_invitation(session: Session, *, token: str, display_name: str, password: str, timezone: str) -> User:
    """Create the invited account; the token works once."""
    invitation = find_invitation(session, token)
    if find_user_by_email(session, invitation.email) is not None:
        raise Conflict(_("An account with this email address already exists. Sign in instead."))
    check_password_rules(password, invitation.email)
    if timezone not in TIMEZONES:
        raise Invalid(_("Choose a timezone from the list."))
    user = User(
        email=invitation.email,
        display_name=display_name.strip(),
        timezone=timezone,
        password_hash=hash_password(password),
        role=invitation.role,
        organisation_id=invitation.organisation_id,
    )
    session.add(user)
    session.flush()
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    audit.record(session, actor=user, action="invitation.accept", subject=invitation, summary=user.email)
    return user


def reset_fingerprint(user: User) -> str:
    """What a reset link carries of the account: it changes with the password and the session
    version, so a link stops working once used (or once the password changes otherwise)."""
    return tokens.fingerprint(user.id, user.password_hash, user.session_version)


def request_password_reset(session: Session, *, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    token = tokens.sign(RESET_PURPOSE, {"u": user.id, "f": reset_fingerprint(user)})
    ttl: timedelta = current_app.config["PASSWORD_RESET_TTL"]
    queue_email(
        session,
        "password_reset",
        user.email,
        locale=user.locale,
        user=user,
        hours=int(ttl.total_seconds() // 3600),
        url=url_for("auth.reset_password", token=token, _external=True),
    )


def user_for_reset_token(session: Session, token: str) -> User:
    """The user a valid reset token is for; NotFound when expired, used or forged."""
    ttl: timedelta = current_app.config["PASSWORD_RESET_TTL"]
    payload = tokens.unsign(RESET_PURPOSE, token, int(ttl.total_seconds()))
    user = None
    if isinstance(payload, dict) and isinstance(payload.get("u"), int):
        user = session.get(User, payload["u"])
    if user is None or not user.is_active or not tokens.same(str(payload.get("f")), reset_fingerprint(user)):
        raise NotFound(_("This reset link has expired or has already been used. Ask for a new one below."))
    return user


def reset_password(session: Session, *, token: str, password: str) -> User:
    """Set a new password from a reset link; the link then stops working."""
    user = user_for_reset_token(session, token)
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    user.end_sessions()
    forget_all_browsers(session, user)
    audit.record(session, actor=user, action="user.password_reset", subject=user)
    return user


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    """Change a password knowing the current one; other sessions end."""
    if not verify_password(user, current[:MAX_PASSWORD_LENGTH]):
        raise Invalid(_("Your current password is not correct."), field="current")
    check_password_rules(new, user.email)
    user.password_hash = hash_password(new)
    user.end_sessions(keep=user.session_record_id)  # this browser signs in again at once
    forget_all_browsers(session, user)
    audit.record(session, actor=user, action="user.password_change", subject=user)


def update_profile(
    session: Session, *, user: User, display_name: str, timezone: str, locale: str | None = None
) -> None:
    """Change a person's name, timezone and language."""
    if timezone not in TIMEZONES:
        raise Invalid(_("Choose a timezone from the list."))
    user.display_name = display_name.strip()
    user.timezone = timezone
    if locale is not None:
        choose_language(session, user=user, locale=locale)


def choose_language(session: Session, *, user: User, locale: str) -> None:
    """The language of a person's pages and emails."""
    if i18n.known(locale) is None:
        raise Invalid(_("Choose a language from the list."), field="locale")
    user.locale = locale
