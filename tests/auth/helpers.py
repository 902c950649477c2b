"""Helpers for the account-flow tests: CSRF tokens from real pages, links from real emails."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

_CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_LINK_RE = re.compile(r"https?://\S+")
_FLASH_RE = re.compile(r'<p class="flash flash-\w+"><strong>[^<]*</strong> (.*?)</p>', re.S)


def csrf_token(page: str | bytes) -> str:
    """The first hidden csrf_token value on a rendered page."""
    text = page.decode() if isinstance(page, bytes) else page
    match = _CSRF_RE.search(text)
    assert match, "no csrf_token input on the page"
    return html.unescape(match.group(1))


def csrf_from(client, url: str) -> str:
    """GET `url` with `client` and return the page's CSRF token."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_token(response.data)


def text_part(message: Message) -> str:
    """The decoded text/plain part of an email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the email has no text/plain part")


def link_in(message: Message) -> str:
    """The one link in an email's text part."""
    links = _LINK_RE.findall(text_part(message))
    assert len(links) == 1, links
    return links[0]


def path_of(url: str) -> str:
    """The path (and query) of a URL, to follow it with the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def flashes(page: bytes) -> list[str]:
    """The flash messages shown on a page."""
    return [html.unescape(m.strip()) for m in _FLASH_RE.findall(page.decode())]


def field_error(page: bytes, field_id: str) -> str:
    """The error text tied to the input `field_id`, or ''."""
    match = re.search(
        rf'<small id="{re.escape(field_id)}-error" class="field-error">(.*?)</small>', page.decode(), re.S
    )
    return html.unescape(match.group(1)).strip() if match else ""


def input_value(page: bytes, field_id: str) -> str | None:
    """The value attribute of the input with id `field_id`."""
    match = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*>', page.decode())
    assert match, f"no input {field_id}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def select_options(page: bytes, field_id: str) -> list[str]:
    """The option values of the select with id `field_id`."""
    match = re.search(rf'<select[^>]*id="{re.escape(field_id)}"[^>]*>(.*?)</select>', page.decode(), re.S)
    assert match, f"no select {field_id}"
    return [html.unescape(v) for v in re.findall(r'<option[^>]*value="([^"]*)"', match.group(1))]


def set_cookies(response, name: str) -> list[str]:
    """The Set-Cookie headers of `response` for cookie `name`."""
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def cookie_attributes(header: str) -> dict[str, str]:
    """The attributes of one Set-Cookie header, keys lower-cased."""
    attributes: dict[str, str] = {}
    for piece in header.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        attributes[key.lower()] = value
    return attributes


def cookie_lifetime_seconds(header: str) -> float:
    """How long a cookie lives, from Max-Age or Expires."""
    attributes = cookie_attributes(header)
    if "max-age" in attributes:
        return float(attributes["max-age"])
    expires = parsedate_to_datetime(attributes["expires"])
    return (expires - datetime.now(UTC)).total_seconds()


def login(client, email: str, password: str, environ_base: dict | None = None, **fields: str):
    """Sign in through the real form (with a real CSRF token); returns the POST response."""
    token = csrf_from(client, "/login")
    data = {"csrf_token": token, "email": email, "password": password, **fields}
    return client.post("/login", data=data, environ_base=environ_base or {})


def is_signed_in(client) -> bool:
    """Whether `client`'s cookies still open the account page."""
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"], response.status_code
    return False


def cookie(client, name: str):
    """The cookie `name` the client holds for the app's host, or None."""
    host = client.application.config.get("SERVER_NAME") or "localhost"
    return client.get_cookie(name, domain=host)


def copy_cookie(source, target, name: str) -> None:
    """Put `source`'s cookie `name` into `target` (a stolen or restored cookie)."""
    found = cookie(source, name)
    assert found is not None, f"{name} not set"
    target.set_cookie(name, found.value, domain=found.domain, path=found.path)


def reread(session) -> None:
    """Forget what the test's session holds, so it reads what requests committed."""
    session.rollback()
    session.expire_all()


def signed_in_the_past(secret_key: str, salt: str, payload: object, seconds_ago: int) -> str:
    """A genuine itsdangerous token whose timestamp lies `seconds_ago` in the past."""
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(secret_key, salt=salt, signer=PastSigner).dumps(payload)
