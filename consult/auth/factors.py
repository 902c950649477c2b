"""Second factors: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

A TOTP code is accepted for the current 30-second step or one step either side (clocks drift),
and only for a step after the last one accepted for that person: the row's `last_used_step`
moves forward in one conditional UPDATE, so a code (or an older one) is never accepted twice,
even by two requests at once.

Recovery codes are stored as HMAC-SHA256 keyed with the application's secret, not argon2: the
codes are 50 random bits from `secrets`, so a slow hash adds nothing against guessing, while
a keyed hash makes a copy of the database alone useless, is found with one indexed look-up
(argon2 would cost ~115 ms for each of ten codes per attempt on this machine), and is
compared in the database, not in Python. The price: rotating SECRET_KEY voids outstanding
recovery codes (as it voids sessions and links); people then make new ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import pyotp
import segno
from flask import current_app
from flask import session as flask_session
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.auth import notices
from consult.auth.models import Passkey, RecoveryCode, TotpSecret, User
from consult.db import utcnow
from consult.errors import Conflict, Invalid

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
_SETUP_KEY = "consult.totp_setup"  # the secret being set up, kept in the session until confirmed


# --- What a person has ------------------------------------------------------------------------


def totp_of(session: Session, user: User) -> TotpSecret | None:
    return session.scalar(select(TotpSecret).where(TotpSecret.user_id == user.id))


def passkeys_of(session: Session, user: User) -> list[Passkey]:
    return list(session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


def has_second_factor(session: Session, user: User) -> bool:
    """Whether `user` has a confirmed authenticator app or a passkey."""
    totp = select(TotpSecret.id).where(TotpSecret.user_id == user.id, TotpSecret.confirmed_at.is_not(None))
    passkey = select(Passkey.id).where(Passkey.user_id == user.id)
    return session.scalar(select(func.count()).select_from(totp.union_all(passkey).subquery())) > 0


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def factor_count(session: Session, user: User) -> int:
    totp = totp_of(session, user)
    return (1 if totp is not None and totp.confirmed_at else 0) + len(passkeys_of(session, user))


# --- Setting up an authenticator app ----------------------------------------------------------


def setup_secret() -> str:
    """The secret being set up in this browser session (a new one the first time)."""
    secret = flask_session.get(_SETUP_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = pyotp.random_base32()
        flask_session[_SETUP_KEY] = secret
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code of `uri` as inline SVG, drawn here (no external service sees the secret)."""
    # A viewBox and no fixed size: the stylesheet sizes it (at most 14rem, less on a narrow screen).
    svg = segno.make(uri, error="m").svg_inline(border=4, title=title, svgclass="qr", lineclass=None, omitsize=True)
    return Markup(svg)  # noqa: S704 (segno's own markup, its title escaped by segno)  # nosec B704


def grouped(secret: str) -> str:
    """The secret in groups of four, to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_totp(session: Session, *, user: User, code: str) -> list[str]:
    """Confirm the app being set up with its first code; returns new recovery codes when this
    is the person's first second factor (else an empty list)."""
    secret = flask_session.get(_SETUP_KEY)
    if totp_of(session, user) is not None and totp_of(session, user).confirmed_at is not None:
        raise Conflict(_("An authenticator app is set up already. Remove it first to use another one."))
    if not isinstance(secret, str) or len(secret) != 32:
        raise Invalid(_("The set-up had expired. Scan the new code below and try again."), "code")
    step = _matching_step(secret, code)
    if step is None:
        raise Invalid(_("That code is not right. Check the clock of your phone and enter the newest code."), "code")
    first = not has_second_factor(session, user)
    session.execute(delete(TotpSecret).where(TotpSecret.user_id == user.id))
    session.add(TotpSecret(user_id=user.id, secret=secret, confirmed_at=utcnow(), last_used_step=step))
    flask_session.pop(_SETUP_KEY, None)
    audit.record(session, actor=user, action="user.totp_add", subject=user)
    notices.factor_changed(session, user, added=True, what=_("an authenticator app"))
    return new_recovery_codes(session, user=user, audit_it=False) if first else []


def remove_totp(session: Session, *, user: User) -> None:
    """Remove the person's authenticator app (not their last factor when their role needs one)."""
    totp = totp_of(session, user)
    if totp is None or totp.confirmed_at is None:
        raise Conflict(_("No authenticator app is set up."))
    _refuse_last_factor(session, user)
    session.delete(totp)
    _after_removal(session, user, _("an authenticator app"), "user.totp_remove")


def _refuse_last_factor(session: Session, user: User) -> None:
    if policy.requires_second_factor(user) and factor_count(session, user) <= 1:
        raise Conflict(_("Your role needs a second factor: add a passkey or another app first, then remove this one."))


def _after_removal(session: Session, user: User, what: str, action: str) -> None:
    from consult.auth.sessions import forget_all_browsers

    session.flush()
    if not has_second_factor(session, user):
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        forget_all_browsers(session, user)
    audit.record(session, actor=user, action=action, subject=user)
    notices.factor_changed(session, user, added=False, what=what)


# --- Checking codes ---------------------------------------------------------------------------


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    found = None
    for step in (now - 1, now, now + 1):  # compare all three: the time taken says nothing
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def check_totp(session: Session, user: User, code: str) -> bool:
    """Whether `code` is a current code of the person's app not used before (then it is used)."""
    totp = totp_of(session, user)
    if totp is None or totp.confirmed_at is None:
        return False
    step = _matching_step(totp.secret, code)
    if step is None:
        return False
    result = session.execute(
        update(TotpSecret)
        .where(
            TotpSecret.id == totp.id,
            or_(TotpSecret.last_used_step.is_(None), TotpSecret.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:40]


def _code_hash(user: User, code: str) -> str:
    key = hashlib.sha256(b"consult.recovery-code|" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{user.id}:{_normalise(code)}".encode(), hashlib.sha256).hexdigest()


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Whether `code` is one of the person's unused recovery codes (then it is used up)."""
    if len(_normalise(code)) != 10:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(user, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    audit.record(session, actor=user, action="user.recovery_code_use", subject=user)
    return True


def new_recovery_codes(session: Session, *, user: User, audit_it: bool = True) -> list[str]:
    """Ten new recovery codes for `user` (the old ones stop working); shown once, kept hashed."""
    if not has_second_factor(session, user):
        raise Conflict(_("Set up an authenticator app or a passkey first."))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(user, raw)))
    session.flush()
    if audit_it:
        audit.record(session, actor=user, action="user.recovery_codes_new", subject=user)
    return codes


def verify_code(session: Session, user: User, code: str) -> str | None:
    """The sign-in method a code proves ("totp" or "recovery_code"), or None."""
    if check_totp(session, user, code):
        return "totp"
    if use_recovery_code(session, user, code):
        return "recovery_code"
    return None


def clear_all(session: Session, user: User) -> dict[str, Any]:
    """Remove every second factor and recovery code of `user` (an administrator's reset)."""
    counts = {
        "totp": session.execute(delete(TotpSecret).where(TotpSecret.user_id == user.id)).rowcount,
        "passkeys": session.execute(delete(Passkey).where(Passkey.user_id == user.id)).rowcount,
        "recovery_codes": session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)).rowcount,
    }
    return counts
