"""Passkeys (WebAuthn, with py_webauthn): register named authenticators, use one as the second
factor or, where the person chose so for that passkey, to sign in without a password.

The relying party is the host of PUBLIC_URL, and the expected origin its scheme, host and
port. Browsers refuse WebAuthn on an IP address, so a PUBLIC_URL on 127.0.0.1 or ::1 (the
demo) means the relying party `localhost` at the same port: passkeys then work when the site
is opened as http://localhost:<port>, and the page says so when it is opened by address.

Options go into the page (a data attribute); the challenge stays in the signed session with
its purpose and the person it is for, is used once, and lasts CHALLENGE_SECONDS.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from flask import session as flask_session
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from consult import audit
from consult.auth import notices
from consult.auth.models import Passkey, User
from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound

CHALLENGE_KEY = "consult.webauthn"
CHALLENGE_SECONDS = 300
MAX_CREDENTIAL_JSON = 16_000
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def relying_party() -> tuple[str, str]:
    """(relying-party id, expected origin) from PUBLIC_URL."""
    url = urlsplit(current_app.config["PUBLIC_URL"])
    host = (url.hostname or "localhost").lower()
    scheme = url.scheme or "http"
    if host in _LOOPBACK:
        host = "localhost"
    default_port = {"http": 80, "https": 443}.get(scheme)
    port = f":{url.port}" if url.port and url.port != default_port else ""
    return host, f"{scheme}://{host}{port}"


def usable_here() -> bool:
    """Whether this request's host is the relying party (else the browser refuses passkeys)."""
    rp_id, origin = relying_party()
    return (urlsplit(request.host_url).hostname or "").lower() == rp_id


def origin_url(path: str) -> str:
    """`path` at the relying party's origin (where passkeys work)."""
    return relying_party()[1] + path


def _new_challenge(purpose: str, user_id: int | None, **extra: str) -> bytes:
    challenge = secrets.token_bytes(32)
    flask_session[CHALLENGE_KEY] = {
        "c": bytes_to_base64url(challenge),
        "p": purpose,
        "u": user_id,
        "at": int(time.time()),
        **extra,
    }
    return challenge


def _take_challenge(purpose: str, user_id: int | None) -> bytes:
    """The challenge issued in this session for `purpose` and person; used once."""
    from webauthn.helpers import base64url_to_bytes

    stored = flask_session.pop(CHALLENGE_KEY, None)
    if (
        not isinstance(stored, dict)
        or stored.get("p") != purpose
        or stored.get("u") != user_id
        or not isinstance(stored.get("at"), int)
        or time.time() - stored["at"] > CHALLENGE_SECONDS
        or not isinstance(stored.get("c"), str)
    ):
        raise Invalid(_("The passkey request had expired. Try again."), "credential")
    return base64url_to_bytes(stored["c"])


def _credential(data: str) -> dict[str, Any]:
    if not data or len(data) > MAX_CREDENTIAL_JSON:
        raise Invalid(
            _("No passkey answer arrived. Passkeys need JavaScript and a browser that supports them."), "credential"
        )
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("id"), str):
        raise Invalid(_("The browser's passkey answer could not be read. Try again."), "credential")
    return parsed


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers import base64url_to_bytes

    descriptors = []
    for passkey in passkeys:
        transports = []
        for name in passkey.transports or []:
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id), transports=transports or None)
        )
    return descriptors


def _user_handle(passkeys: list[Passkey]) -> bytes:
    from webauthn.helpers import base64url_to_bytes

    if passkeys:
        return base64url_to_bytes(passkeys[0].user_handle)
    return secrets.token_bytes(32)  # random: the handle names nobody


# --- Registration ---------------------------------------------------------------------------


def registration_options(user: User, passkeys: list[Passkey]) -> str:
    """The JSON options to create a passkey for `user` (the challenge kept in the session)."""
    rp_id, _origin = relying_party()
    handle = _user_handle(passkeys)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["TOTP_ISSUER"],
        user_name=user.email,
        user_id=handle,
        user_display_name=user.display_name,
        challenge=_new_challenge("register", user.id, h=bytes_to_base64url(handle)),
        exclude_credentials=_descriptors(passkeys),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options)


def register(session: Session, *, user: User, name: str, passwordless: bool, credential: str) -> tuple[Passkey, bool]:
    """Store a new passkey from the browser's answer; also whether it is the person's first
    second factor (then recovery codes are made)."""
    from consult.auth.factors import has_second_factor

    name = name.strip()
    if not name:
        raise Invalid(_("Give the passkey a name, such as the device it is on."), "name")
    stored = flask_session.get(CHALLENGE_KEY) or {}
    handle = stored.get("h") if isinstance(stored, dict) else None
    challenge = _take_challenge("register", user.id)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=_credential(credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=passwordless,
        )
    except InvalidRegistrationResponse as exc:
        raise Invalid(_("The passkey could not be registered: %(why)s", why=str(exc)[:200]), "credential") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise Conflict(_("This passkey is registered already."))
    first = not has_second_factor(session, user)
    transports = json.loads(credential).get("response", {}).get("transports") or []
    passkey = Passkey(
        user_id=user.id,
        name=name[:80],
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        user_handle=handle if isinstance(handle, str) else bytes_to_base64url(secrets.token_bytes(32)),
        transports=[t for t in transports if isinstance(t, str)][:8],
        passwordless=passwordless,
    )
    session.add(passkey)
    session.flush()
    audit.record(session, actor=user, action="user.passkey_add", subject=user, summary=passkey.name)
    notices.factor_changed(session, user, added=True, what=_("the passkey “%(name)s”", name=passkey.name))
    return passkey, first


def remove(session: Session, *, user: User, passkey_id: int) -> None:
    """Remove one of the person's passkeys (not their last factor when their role needs one)."""
    from consult.auth import factors

    passkey = session.get(Passkey, passkey_id) if 0 < passkey_id < 2**62 else None
    if passkey is None or passkey.user_id != user.id:
        raise NotFound(_("This passkey does not exist, or is not yours."))
    factors._refuse_last_factor(session, user)
    name = passkey.name
    session.delete(passkey)
    factors._after_removal(session, user, _("the passkey “%(name)s”", name=name), "user.passkey_remove")


# --- Authentication -------------------------------------------------------------------------


def authentication_options(passkeys: list[Passkey] | None, user_id: int | None) -> str:
    """JSON options to sign in: with one of `passkeys` (second factor), or with any passkey
    the browser holds for this site (`passkeys` None: without a password)."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_new_challenge("authenticate", user_id),
        allow_credentials=_descriptors(passkeys) if passkeys is not None else [],
        user_verification=(
            UserVerificationRequirement.REQUIRED if passkeys is None else UserVerificationRequirement.PREFERRED
        ),
    )
    return options_to_json(options)


def authenticate(session: Session, *, credential: str, user: User | None) -> Passkey:
    """Check the browser's answer: a passkey of `user` (second factor), or, with `user` None, a
    passkey its owner allowed to sign in without a password (user verification required)."""
    data = _credential(credential)
    challenge = _take_challenge("authenticate", user.id if user else None)
    passkey = session.scalar(select(Passkey).where(Passkey.credential_id == data["id"][:1400]))
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise Invalid(_("This passkey is not registered for your account."), "credential")
    if user is None and not passkey.passwordless:
        raise Invalid(
            _("This passkey is not set up for signing in without a password. Sign in with your password."),
            "credential",
        )
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except InvalidAuthenticationResponse as exc:
        raise Invalid(_("The passkey was not accepted: %(why)s", why=str(exc)[:200]), "credential") from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    return passkey
