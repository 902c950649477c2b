"""The outbox sender: `deliver()` claims due rows, renders, sends and records each one.

It claims due rows by id (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers),
renders each for its recipient with the renderer its room registered (`consult.mail.render`:
a digest shows what the recipient may see at that moment), sends them
over one SMTP connection for the run (`consult.mail.smtp`), and records each row sent right after
the server accepted it and before the next message's content goes out, so a sender killed half
way re-sends at most the one message it was sending. The next message is rendered while the
server takes the current one. Errors are recorded on the row and retried with exponential
backoff; rows claimed by a sender that died are reclaimed once their lease
(MAIL_CLAIM_SECONDS) has run out.
"""

from __future__ import annotations

import logging
import smtplib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, has_request_context
from flask_mail import BadHeaderError, Message, email_dispatched, sanitize_address
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from consult.db import database, utcnow
from consult.mail.models import OutboxKind, OutboxMessage, OutboxStatus
from consult.mail.render import Run, end_recipient_context, registry
from consult.mail.smtp import Exchange, OutboxEmail, SMTPPipeline, one_line, open_pipeline

log = logging.getLogger(__name__)
BATCH = 200


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


def _claim(writer: Connection, ids: list[int] | None, after_id: int, now: datetime, lease: float) -> list[int]:
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at <= now - timedelta(seconds=lease)),
    )
    stmt = select(OutboxMessage.id).where(due, OutboxMessage.id > after_id).order_by(OutboxMessage.id).limit(BATCH)
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if writer.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    with writer.begin():
        claimed = list(writer.scalars(stmt))
        if claimed:
            writer.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(claimed))
                .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
            )
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
    # Two connections: rows are rendered in a read-only session (one snapshot a batch), and
    # claims and outcomes are written with Core on their own connection, each in a short
    # transaction of its own. On SQLite the reader never holds the write lock (it begins
    # deferred), so the writer never waits for it.
    db = database()
    reader = db.new_session(read_only=True)
    writer = db.engine.connect()
    after_id = 0
    outlet = _Outlet(app)
    run = Run()
    try:
        with _url_context(app), _quick_handovers():
            try:
                while True:
                    moment = now or utcnow()
                    claimed = _claim(writer, ids, after_id, moment, lease)
                    if not claimed:
                        break
                    after_id = claimed[-1]
                    _send_batch(app, reader, writer, claimed, moment, report, outlet, run)
            finally:
                outlet.close()
                end_recipient_context()
    finally:
        reader.close()
        writer.close()
    return report


@contextmanager
def _quick_handovers() -> Iterator[None]:
    """While a run sends, the SMTP thread and the renderer hand the interpreter to each other
    at every message (the server's answer, then the next message's release): a short switch
    interval lets the one that waits take over at once instead of after CPython's 5 ms."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, 0.0005))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _url_context(app: Flask) -> Any:
    """A request context for building links outside a request (cron, RQ worker)."""
    from contextlib import nullcontext

    if has_request_context():
        return nullcontext()
    return app.test_request_context("/", base_url=app.config["PUBLIC_URL"])


class _Outlet:
    """Where a run's messages go: the console, or one SMTP connection, opened when first needed
    and kept for the whole run (a new one after a failure)."""

    def __init__(self, app: Flask) -> None:
        self.console = bool(app.config.get("MAIL_CONSOLE"))
        self.sender = sanitize_address(app.config["MAIL_DEFAULT_SENDER"])
        self._state = app.extensions["mail"]
        self._pipeline: SMTPPipeline | None = None
        self._opened = False

    def pipeline(self) -> SMTPPipeline | None:
        """The run's connection (None: sending suppressed); raises if the server is unreachable."""
        if not self._opened:
            self._pipeline = open_pipeline(self._state)
            self._opened = True
        return self._pipeline

    def drop(self) -> None:
        """Abandon the connection (after a failure, or with a message held back)."""
        if self._pipeline is not None:
            self._pipeline.close(quit_=False)
        self._pipeline, self._opened = None, False

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()
        self._pipeline, self._opened = None, False


def _send_batch(
    app: Flask,
    reader: Session,
    writer: Connection,
    claimed: list[int],
    now: datetime,
    report: DeliveryReport,
    outlet: _Outlet,
    run: Run,
) -> None:
    """Render, send and record each claimed row.

    While the server takes message k, the next one is rendered; k is recorded as sent (its own
    commit) before the next one's content goes out, so a crash re-sends at most one message.
    """
    reader.rollback()  # a fresh snapshot: the batch is rendered with what is visible now
    rows = list(reader.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)))
    for hook in registry(app).batch_hooks:  # shared work, preloading the batch's recipients
        hook(reader, rows, run)
    pending: tuple[OutboxMessage, Exchange | None, Message] | None = None
    try:
        for index, row in enumerate(rows):
            try:
                message = _message_for(app, reader, row, run)
                if message is not None:
                    if message.has_bad_headers():
                        raise BadHeaderError("bad header")
                    recipient = sanitize_address(row.to_address)
                    data = b"" if outlet.console else message.as_bytes()
            except BadHeaderError as exc:
                _failed(app, writer, row, repr(exc), now, report)
                continue
            except Exception as exc:  # a template or data error must not stop the batch
                log.exception("could not render outbox row %s", row.id)
                _failed(app, writer, row, f"render: {exc}", now, report)
                continue
            if message is None:
                _mark(writer, _MARK_SKIPPED, row_id=row.id)
                report.skipped += 1
                continue
            if outlet.console:
                _print(message)
                _sent(app, writer, row, message, report)
                continue
            try:
                pipeline = outlet.pipeline()
            except (OSError, smtplib.SMTPException) as exc:  # could not connect at all
                for left in rows[index:]:
                    _failed(app, writer, left, repr(exc), now, report)
                return
            # Sending is suppressed (pipeline None) where Flask-Mail suppresses it (testing).
            exchange = pipeline.submit(outlet.sender, recipient, data, released=pending is None) if pipeline else None
            if pending is not None and not _settle(app, writer, pending, now, report):
                pending = None
                outlet.drop()  # cancels this message's exchange before its content went out
                for left in rows[index:]:
                    _failed(app, writer, left, "not sent: the SMTP connection failed", now, report)
                return
            if exchange is not None:
                exchange.release()  # the previous message is recorded: this one may go
            pending = (row, exchange, message)
        if pending is not None and not _settle(app, writer, pending, now, report):
            outlet.drop()
    except BaseException:
        outlet.drop()  # a message held back is never released
        raise
    finally:
        reader.rollback()


def _settle(
    app: Flask, writer: Connection, held: tuple[OutboxMessage, Any, Message], now: datetime, report: DeliveryReport
) -> bool:
    """Wait for the server's answer on a sent message and record it; False: the connection failed."""
    row, exchange, message = held
    try:
        if exchange is not None:
            exchange.result()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
        _failed(app, writer, row, repr(exc), now, report)  # this message, not the server
        return True
    except (OSError, smtplib.SMTPException) as exc:
        _failed(app, writer, row, repr(exc), now, report)
        return False
    _sent(app, writer, row, message, report)
    return True


def _sent(app: Flask, writer: Connection, row: OutboxMessage, message: Message, report: DeliveryReport) -> None:
    # Recorded right after the server took it, before the next message's content goes out.
    _mark(writer, _MARK_SENT, row_id=row.id, at=utcnow(), new_subject=message.subject)
    report.sent += 1
    email_dispatched.send(app, message=message)


# Built once: constructing an UPDATE costs more than executing it (the compiled form is cached).
_OUTBOX = OutboxMessage.__table__
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("at"), last_error="", subject=bindparam("new_subject"))
)
_MARK_SKIPPED = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id")).values(status=OutboxStatus.SKIPPED)


def _mark(writer: Connection, stmt: Any, **params: Any) -> None:
    """Record a row's outcome in its own short transaction (a Core statement: rendered digest
    bodies are not stored, only their subject)."""
    with writer.begin():
        writer.execute(stmt, params)


def _failed(app: Flask, writer: Connection, row: OutboxMessage, error: str, now: datetime, report: Any) -> None:
    """Record a failed attempt: pending again after a backoff, or failed after the last attempt.
    (`row` is the reader's copy, claimed with its attempt counted, and is left as it is.)"""
    values: dict[str, Any] = {"last_error": error[:2000], "claimed_at": None}
    if row.attempts >= app.config["MAIL_MAX_ATTEMPTS"]:
        values["status"] = OutboxStatus.FAILED
        report.failed += 1
    else:
        values["status"] = OutboxStatus.PENDING
        values["next_attempt_at"] = now + backoff(app, row.attempts)
        report.retried += 1
    report.errors.append(error)
    with writer.begin():
        writer.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))


def _message_for(app: Flask, session: Session, row: OutboxMessage, run: Run) -> Message | None:
    if row.kind is not OutboxKind.EMAIL:
        render = registry(app).renderers.get(row.template)
        if render is None:
            raise LookupError(f"no renderer registered for {row.template!r}")
        rendered = render(session, row, run)
        if rendered is None:
            return None
        subject, text, html, headers = rendered.subject, rendered.text, rendered.html, rendered.headers
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


def _print(message: Message) -> None:
    sys.stdout.write(f"\n----- email to {', '.join(message.recipients)} -----\n")
    sys.stdout.write(f"Subject: {message.subject}\n\n{message.body}\n")
    sys.stdout.write("----- end of email -----\n")
    sys.stdout.flush()
