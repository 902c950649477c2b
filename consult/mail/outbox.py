"""Queueing: email rendered from templates/email/<name>/, kept in the outbox, sent after commit.

`queue_email()` renders an account email now (inside the request, where URLs can be built) and
adds an `OutboxMessage` row to the session; `enqueue()` adds notification and digest rows that
are rendered per recipient when they are sent, with the visibility of that moment. Rows queued
in a transaction are handed to `dispatch()` when it commits (and forgotten on rollback): sent
inline by `consult.mail.sender.deliver()`, the only sender, or by an RQ worker when REDIS_URL
is set.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.mail.models import OutboxKind, OutboxMessage, OutboxStatus
from consult.mail.render import recipient_locale, render_parts

log = logging.getLogger(__name__)
QUEUED_IDS = "consult.outbox.ids"
SAVEPOINTS = "consult.outbox.savepoints"  # id(savepoint) -> how many ids were queued when it began


def send_after_commit(session: Session, ids: Iterable[int]) -> None:
    """Hand these outbox rows to the sender once `session` commits (dropped on rollback)."""
    session.info.setdefault(QUEUED_IDS, []).extend(ids)


def forget_queued(session: Session) -> None:
    """Do not send what this transaction queued when it commits (a caller sends it itself)."""
    session.info.pop(QUEUED_IDS, None)


def queue_email(session: Session, name: str, to: str, locale: str | None = None, **context: Any) -> OutboxMessage:
    """Render the account email `name` for `to` in `locale` (the recipient's language; None: the
    request's) and send it once `session` commits."""
    with recipient_locale(locale):
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
    send_after_commit(session, [row.id])
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
    send_after_commit(session, ids)
    return ids


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT released, not the transaction: the rows are not committed yet (sending
        # now would find none, or on SQLite wait for this very transaction's write lock).
        return
    ids = session.info.pop(QUEUED_IDS, [])
    session.info.pop(SAVEPOINTS, None)
    if ids:
        dispatch(ids)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: Any) -> None:
    if transaction.nested:  # what was queued before it stays queued if it rolls back
        session.info.setdefault(SAVEPOINTS, {})[id(transaction)] = len(session.info.get(QUEUED_IDS, []))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT rolled back (a bulk action leaving one item out, a double submit): forget
        # only the rows queued inside it; the transaction's earlier rows still go out at commit.
        mark = session.info.get(SAVEPOINTS, {}).pop(id(session.get_nested_transaction()), None)
        if mark is not None and QUEUED_IDS in session.info:
            del session.info[QUEUED_IDS][mark:]
        return
    session.info.pop(QUEUED_IDS, None)
    session.info.pop(SAVEPOINTS, None)


def dispatch(ids: list[int] | None = None) -> None:
    """Send these rows (None: every due row): by an RQ worker with REDIS_URL, else now."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from consult.mail.jobs import enqueue_delivery

        enqueue_delivery(app, ids)
        return
    from consult.mail.sender import deliver

    try:
        deliver(app, ids=ids)
    except Exception:
        # The change is committed and its emails are in the outbox: the next run sends them.
        log.exception("could not deliver %d queued email(s) now", len(ids or []))
