"""Helpers for the email suites: read what the SMTP sink received, run the sender."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

from consult.db import utcnow
from consult.digests import cursors, preferences, schedule
from consult.mail import QUEUED_IDS
from consult.mail.sender import deliver


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
    schedule.queue_due_digests(session, now)
    session.info.pop(QUEUED_IDS, None)  # as the command does: sent below with all that is due
    session.commit()
    return deliver(app, now=max(now, utcnow()))


def later(days: float):
    return utcnow() + timedelta(days=days)


def daily(session, *users):
    """These people want a digest every day."""
    from consult.digests.models import DigestFrequency

    for user in users:
        preferences.preference_for(session, user).digest_frequency = DigestFrequency.DAILY


def digests_to(smtp, user):
    """The personal digests the sink received for `user`."""
    return [m for m in smtp.to(user.email) if "new for you" in m["Subject"]]


def count_in(messages, needle):
    """How many times `needle` is listed in `messages` (each message has it in text and HTML)."""
    return sum((text_of(m) + html_of(m)).count(needle) for m in messages) // 2


def read_horizon_in_thread(app):
    """Start reading the digest horizon on a session of its own in another thread; returns the
    thread and the list its one result lands in."""
    import threading

    seen: list[int] = []

    def read() -> None:
        reader = app.extensions["consult.db"].new_session()
        try:
            seen.append(cursors.comment_horizon(reader))
        finally:
            reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    return thread, seen
