"""Tokens sent by email: purpose-bound, expiring, single use.

Two kinds. Random tokens (invitations) are stored only as a SHA-256 hash next to their expiry
and use. Signed tokens (password reset, later unsubscribe) carry their purpose in the signing
salt and a fingerprint of the state they change, so that using one makes it stale.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 512  # longer input is refused before any work is done


def new_random_token() -> tuple[str, str]:
    """A fresh random token and the hash to store for it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer, without trying zlib on every payload: ours are
    a few ids, which never compress (it keeps the uncompressed form then, so the tokens are the
    same), and the attempt cost more than the signature. Compressed tokens still load."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return _Serializer(current_app.config["SECRET_KEY"], salt=f"consult.{purpose}")


def sign(purpose: str, payload: Any) -> str:
    """A token for `purpose` only."""
    return _serializer(purpose).dumps(payload)


def unsign(purpose: str, token: str, max_age_seconds: int) -> Any | None:
    """The payload of a valid, unexpired token for `purpose`, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        return _serializer(purpose).loads(token, max_age=max_age_seconds)
    except (SignatureExpired, BadSignature):
        return None


def fingerprint(*parts: Any) -> str:
    """A short keyed digest of state that a token's use changes (so it works once)."""
    message = "|".join(str(p) for p in parts).encode()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
