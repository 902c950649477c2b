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

import logging
import smtplib
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy as email_policy
from email.charset import QP, Charset
from email.mime.text import MIMEText
from typing import Any

import flask_babel
from flask import Flask, current_app, g, has_request_context, render_template
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
    subject = one_line(render_template(f"email/{name}/subject.txt", **context))
    return (
        subject,
        render_template(f"email/{name}/body.txt", **context),
        render_template(f"email/{name}/body.html", **context),
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
    _preload_recipients(session, rows)
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
                row.status = OutboxStatus.SKIPPED
                session.commit()
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
            row.status = OutboxStatus.SENT
            row.sent_at = utcnow()
            row.last_error = ""
            session.commit()  # right after the server took it: a crash re-sends at most this one
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


def _preload_recipients(session: Session, rows: list[OutboxMessage]) -> None:
    """Load the batch's people and preferences in two queries (kept in the identity map)."""
    from consult.auth.models import User
    from consult.digests.models import EmailPreference

    user_ids = {row.user_id for row in rows if row.user_id}
    if user_ids:
        session.scalars(select(User).where(User.id.in_(user_ids))).all()
        session.scalars(select(EmailPreference).where(EmailPreference.user_id.in_(user_ids))).all()


def _message_for(app: Flask, session: Session, row: OutboxMessage, cache: Any) -> Message | None:
    if row.kind is not OutboxKind.EMAIL:
        from consult.digests.content import render_row

        rendered = render_row(session, row, cache)
        if rendered is None:
            return None
        row.subject, row.text_body, row.html_body, row.headers = rendered
    if any(ch in row.to_address for ch in "\r\n,;"):
        raise BadHeaderError("bad recipient address")
    return OutboxEmail(
        subject=one_line(row.subject),
        recipients=[row.to_address],
        body=row.text_body,
        html=row.html_body,
        sender=app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=_extra_headers(row.headers),
    )


def _extra_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    if not headers:
        return None
    return {name: one_line(value) for name, value in headers.items()}


class OutboxEmail(Message):
    """Flask-Mail's message, with headers folded at RFC 5322's 998 characters instead of 78:
    at 78 the email package turns a long List-Unsubscribe URL into RFC 2047 encoded words,
    which mail programs do not recognise as a link."""

    def _message(self) -> Any:
        msg = super()._message()
        msg.policy = email_policy.SMTP.clone(max_line_length=998)
        return msg

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        # Flask-Mail sends ASCII text as 7bit, which SMTP refuses when a line passes 998
        # characters (a long comment without line breaks): quoted-printable wraps such text.
        if text and any(len(line) > 900 for line in text.splitlines()):
            charset = Charset("utf-8")
            charset.body_encoding = QP
            return MIMEText(text, _subtype=subtype, _charset=charset)  # type: ignore[arg-type]
        return super()._mimetext(text, subtype)


def _print(message: Message) -> None:
    sys.stdout.write(f"\n----- email to {', '.join(message.recipients)} -----\n")
    sys.stdout.write(f"Subject: {message.subject}\n\n{message.body}\n")
    sys.stdout.write("----- end of email -----\n")
    sys.stdout.flush()
