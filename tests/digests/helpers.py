"""Helpers for the email suites: read what the SMTP sink received, run the sender."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

from consult.db import utcnow
from consult.delivery import deliver
from consult.digests import services
from consult.mailer import QUEUED_IDS


def text_of(message: Message) -> str:
    """The text/plain part of a message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no html part")


def run_digests(app, session, now=None):
    """What `flask digests send` does, at `now`: queue due digests, commit, send."""
    now = now or utcnow()
    services.queue_due_digests(session, now)
    session.info.pop(QUEUED_IDS, None)  # as the command does: sent below with all that is due
    session.commit()
    return deliver(app, now=max(now, utcnow()))


def later(days: float):
    return utcnow() + timedelta(days=days)
