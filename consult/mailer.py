"""Email: rendered from templates/email/<name>/, kept in a database outbox, sent after commit.

`queue_email()` renders an account email now (inside the request, where URLs can be built) and
adds an `OutboxMessage` row to the session; `enqueue()` adds notification and digest rows that
are rendered per recipient when they are sent, with the visibility of that moment. Rows queued
in a transaction are handed to `dispatch()` when it commits (and forgotten on rollback): sent
inline, or by an RQ worker when REDIS_URL is set.

`deliver()` is the only sender. It claims due rows by id (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite serialises writers), sends them over one SMTP connection, and marks each
row sent right after the server accepted it, so a sender killed half way re-sends at most the
one message it was sending. Errors are recorded on the row and retried with exponential
backoff; rows claimed by a sender that died are reclaimed once their lease
(MAIL_CLAIM_SECONDS) has run out.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

import flask_babel
from flask import Flask, current_app, g, has_request_context
from flask_mail import BadHeaderError, Message
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from consult.db import database, utcnow
from consult.digests.models import OutboxKind, OutboxMessage, OutboxStatus
from consult.extensions import mail

log = logging.getLogger(__name__)
QUEUED_IDS = "consult.outbox.ids"
BATCH = 200


def one_line(text: str) -> str:
    """A header value on one line: no CR/LF from names or subjects can start a new header."""
    return " ".join(str(text).split())


def render_parts(name: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) of the email `name`."""
    # The Jinja environment directly: Flask's context processors add nothing an email uses
    # (emails never show the signed-in user), and they cost more than the small templates.
    env = current_app.jinja_env
    subject = one_line(env.get_template(f"email/{name}/subject.txt").render(context))
    return (
        subject,
        env.get_template(f"email/{name}/body.txt").render(context),
        env.get_template(f"email/{name}/body.html").render(context),
    )


def _remember(session: Session, ids: Iterable[int]) -> None:
    session.info.setdefault(QUEUED_IDS, []).extend(ids)


def queue_email(session: Session, name: str, to: str, **context: Any) -> OutboxMessage:
    """Render the account email `name` for `to` and send it once `session` commits."""
    subject, text, html = render_parts(name, **context)
    row = OutboxMessage(
        dedupe_key=f"email:{uuid.uuid4().hex}",
        kind=OutboxKind.EMAIL,
        template=name,
        to_address=to,
        subject=subject,
        text_body=text,
        html_body=html,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    _remember(session, [row.id])
    return row


def enqueue(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert outbox rows (dicts of OutboxMessage columns), skipping any whose dedupe_key exists.

    The unique key makes a repeated event (a cron run twice, a retry) queue nothing twice;
    the ids of the rows actually inserted are sent after commit.
    """
    if not rows:
        return []
    now = utcnow()
    values = [
        {"params": {}, "headers": {}, "next_attempt_at": now, "created_at": now, "status": OutboxStatus.PENDING, **r}
        for r in rows
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    ids: list[int] = []
    for start in range(0, len(values), 1000):
        stmt = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id)
        ids.extend(session.scalars(stmt, values[start : start + 1000]))
    _remember(session, ids)
    return ids


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(QUEUED_IDS, [])
    if ids:
        dispatch(ids)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(QUEUED_IDS, None)


def dispatch(ids: list[int] | None = None) -> None:
    """Send these rows (None: every due row): by an RQ worker with REDIS_URL, else now."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from consult.digests.jobs import enqueue_delivery

        enqueue_delivery(app, ids)
        return
    try:
        deliver(app, ids=ids)
    except Exception:
        # The change is committed and its emails are in the outbox: the next run sends them.
        log.exception("could not deliver %d queued email(s) now", len(ids or []))


# --- Delivery --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(app: Flask, attempts: int) -> timedelta:
    """How long to wait before the next attempt: doubling from MAIL_RETRY_SECONDS, capped."""
    base = app.config["MAIL_RETRY_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), app.config["MAIL_RETRY_MAX_SECONDS"]))


def _claim(
    app: Flask, session: Session, ids: list[int] | None, after_id: int, now: datetime, lease: float
) -> list[int]:
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at <= now - timedelta(seconds=lease)),
    )
    stmt = select(OutboxMessage.id).where(due, OutboxMessage.id > after_id).order_by(OutboxMessage.id).limit(BATCH)
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = list(session.scalars(stmt))
    if claimed:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
    session.commit()
    return claimed


def deliver(
    app: Flask,
    *,
    ids: list[int] | None = None,
    now: datetime | None = None,
    lease_seconds: float | None = None,
) -> DeliveryReport:
    """Send every due outbox row (or those of `ids`); safe to run again and in parallel."""
    report = DeliveryReport()
    lease = app.config["MAIL_CLAIM_SECONDS"] if lease_seconds is None else lease_seconds
    if ids is not None:
        ids = sorted(set(ids))
    session = database().new_session()
    after_id = 0
    try:
        with _url_context(app):
            try:
                while True:
                    moment = now or utcnow()
                    claimed = _claim(app, session, ids, after_id, moment, lease)
                    if not claimed:
                        break
                    after_id = claimed[-1]
                    _send_batch(app, session, claimed, moment, report)
            finally:
                if g.pop("email_timezone", None):  # set while rendering for each recipient
                    flask_babel.refresh()
    finally:
        session.close()
    return report


def _url_context(app: Flask) -> Any:
    """A request context for building links outside a request (cron, RQ worker)."""
    from contextlib import nullcontext

    if has_request_context():
        return nullcontext()
    return app.test_request_context("/", base_url=app.config["PUBLIC_URL"])


def _send_batch(app: Flask, session: Session, claimed: list[int], now: datetime, report: DeliveryReport) -> None:
    rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)))
    preloaded = _preload_recipients(session, rows)  # noqa: F841 (kept alive for session.get)
    session.commit()  # render each row in its own short transaction, below
    cache = None
    console = app.config.get("MAIL_CONSOLE")
    connection = None
    try:
        if not console:
            connection = mail.connect().__enter__()
        for index, row in enumerate(rows):
            try:
                if cache is None:
                    from consult.digests.content import RenderCache

                    cache = RenderCache()
                message = _message_for(app, session, row, cache)
            except Exception as exc:  # a template or data error must not stop the batch
                log.exception("could not render outbox row %s", row.id)
                _failed(app, session, row, f"render: {exc}", now, report)
                continue
            if message is None:
                _mark(session, row, status=OutboxStatus.SKIPPED)
                report.skipped += 1
                continue
            try:
                if console:
                    _print(message)
                else:
                    connection.send(message)
            except (BadHeaderError, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                _failed(app, session, row, repr(exc), now, report)  # this message, not the server
                continue
            except (OSError, smtplib.SMTPException) as exc:
                for pending in rows[index:]:
                    _failed(app, session, pending, repr(exc), now, report)
                connection = None
                return
            # Marked right after the server took it: a crash re-sends at most this one.
            _mark(session, row, status=OutboxStatus.SENT, sent_at=utcnow(), last_error="", subject=message.subject)
            report.sent += 1
    except (OSError, smtplib.SMTPException) as exc:  # could not connect at all
        for pending in rows:
            if pending.status is OutboxStatus.SENDING:
                _failed(app, session, pending, repr(exc), now, report)
        connection = None
    finally:
        if connection is not None:
            try:
                connection.__exit__(None, None, None)
            except (OSError, smtplib.SMTPException):
                pass


def _mark(session: Session, row: OutboxMessage, **values: Any) -> None:
    """Record a row's outcome in its own short transaction (a statement, not an ORM flush:
    rendered digest bodies are not stored, only their subject)."""
    stmt = update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values)
    # Core, on the session's connection: nothing in the session needs refreshing, and the ORM's
    # bookkeeping for an UPDATE costs more than the statement.
    session.connection().execute(stmt)
    session.commit()


def _failed(app: Flask, session: Session, row: OutboxMessage, error: str, now: datetime, report: Any) -> None:
    row.last_error = error[:2000]
    row.claimed_at = None
    if row.attempts >= app.config["MAIL_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.FAILED
        report.failed += 1
    else:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + backoff(app, row.attempts)
        report.retried += 1
    report.errors.append(error)
    session.commit()


def _preload_recipients(session: Session, rows: list[OutboxMessage]) -> list[Any]:
    """Load the batch's people and preferences in two queries (kept in the identity map)."""
    from consult.auth.models import User
    from consult.digests.models import EmailPreference

    user_ids = {row.user_id for row in rows if row.user_id}
    if not user_ids:
        return []
    # The caller keeps the list: the identity map holds objects only weakly.
    return [
        *session.scalars(select(User).where(User.id.in_(user_ids))),
        *session.scalars(select(EmailPreference).where(EmailPreference.user_id.in_(user_ids))),
    ]


def _message_for(app: Flask, session: Session, row: OutboxMessage, cache: Any) -> Message | None:
    if row.kind is not OutboxKind.EMAIL:
        from consult.digests.content import render_row

        rendered = render_row(session, row, cache)
        if rendered is None:
            return None
        subject, text, html, headers = rendered
    else:
        subject, text, html, headers = row.subject, row.text_body, row.html_body, row.headers
    if any(ch in row.to_address for ch in "\r\n,;"):
        raise BadHeaderError("bad recipient address")
    return OutboxEmail(
        subject=one_line(subject),
        recipients=[row.to_address],
        body=text,
        html=html,
        sender=app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=_extra_headers(headers),
    )


def _extra_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    if not headers:
        return None
    return {name: one_line(value) for name, value in headers.items()}


class OutboxEmail(Message):
    """Flask-Mail's message, serialised directly: multipart/alternative with base64 parts.

    The email package's generic generator costs more than the SMTP exchange itself (header
    registry parsing, folding, quoted-printable in pure Python), which halves a digest's
    throughput. This writes the same structure straight away. Every header value is one line
    (`one_line`), non-ASCII ones are RFC 2047 encoded, and headers are never folded at 78
    characters, which would turn a long List-Unsubscribe URL into encoded words that mail
    programs do not recognise. Base64 keeps every body line short, whatever the text.
    """

    def as_bytes(self) -> bytes:
        if self.attachments or self.cc or self.bcc or self.reply_to:
            return super().as_bytes()  # not used by the outbox; the generic path handles them
        if self.date is None:
            self.date = time.time()
        boundary = f"=_consult_{uuid.uuid4().hex}"
        headers = [
            ("From", _address(self.sender)),
            ("To", ", ".join(_address(a) for a in self.recipients)),
            ("Subject", _header_value(self.subject or "")),
            ("Date", formatdate(self.date, localtime=False)),
            ("Message-ID", self.msgId),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            *((name, _header_value(value)) for name, value in (self.extra_headers or {}).items()),
        ]
        lines = [f"{name}: {one_line(value)}" for name, value in headers]
        head = "\r\n".join(lines).encode("ascii")
        parts = [head, b"\r\n\r\n"]
        for subtype, text in (("plain", self.body or ""), ("html", self.html or "")):
            lines = text.splitlines()
            if text.isascii() and all(len(line) <= 998 for line in lines):
                encoding, payload = "7bit", "\r\n".join(lines).encode("ascii") + b"\r\n"
            else:  # base64 keeps every line short and any character intact
                encoding = "base64"
                payload = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
            parts += [
                f"--{boundary}\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii"),
                payload,
            ]
        parts.append(f"--{boundary}--\r\n".encode("ascii"))
        return b"".join(parts)

    def as_string(self) -> str:
        return self.as_bytes().decode("ascii")


def _address(value: str) -> str:
    """An address header: the display name RFC 2047 encoded only when it is not ASCII."""
    name, address = parseaddr(one_line(value))
    return formataddr((name, address))


def _header_value(value: str) -> str:
    value = one_line(value)
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return Header(value, "utf-8", maxlinelen=10_000).encode()
    return value


def _print(message: Message) -> None:
    sys.stdout.write(f"\n----- email to {', '.join(message.recipients)} -----\n")
    sys.stdout.write(f"Subject: {message.subject}\n\n{message.body}\n")
    sys.stdout.write("----- end of email -----\n")
    sys.stdout.flush()
