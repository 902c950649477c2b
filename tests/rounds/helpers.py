"""Helpers shared by the round and comment suites: bulk comments, audit look-ups, snapshots,
threads with their own app context and session, and form fields read from a page."""

from __future__ import annotations

import html as html_lib
import re
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.audit import AuditEvent
from consult.auth.models import User
from consult.comments.models import Attribution, Comment, CommentStatus, CommentType
from consult.db import get_session, utcnow
from consult.rounds.models import Round
from tests.support.state import fresh


def bulk_comments(
    session: Session,
    round_: Round,
    authors: list[User],
    n: int,
    clauses: int = 3,
    status: CommentStatus = CommentStatus.ACCEPTED,
    general: bool = False,
) -> list[Comment]:
    """`n` comments spread over the round's clauses k1..k`clauses` (and general ones if asked),
    written in turn by `authors`; inserted in one flush, ids in insertion order."""
    now = utcnow()
    slots = [(None, 0)] if general else []
    slots += [(f"k{i}", i) for i in range(1, clauses + 1)]
    comments = []
    for i in range(n):
        author = authors[i % len(authors)]
        key, position = slots[i % len(slots)]
        comments.append(
            Comment(
                round_id=round_.id,
                clause_key=key,
                clause_position=position,
                type=CommentType.GENERAL,
                body=f"Bulk comment {i} on {key or 'general'}",
                proposed_change="",
                author_id=author.id,
                organisation_id=author.organisation_id,
                stakeholder_group_id=author.organisation.stakeholder_group_id,
                attribution=Attribution.PERSON,
                status=status,
                nonce=f"bulk-{round_.id}-{i}",
                submitted_at=now,
            )
        )
    session.add_all(comments)
    session.flush()
    return comments


def audit_entries(session: Session, action: str, subject_id: int | None = None) -> list[AuditEvent]:
    """The committed audit entries for `action` (on `subject_id`), oldest first."""
    fresh(session)
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return list(session.scalars(stmt))


def all_audit(session: Session) -> list[tuple]:
    fresh(session)
    return [tuple(r) for r in session.execute(select(AuditEvent.id, AuditEvent.action).order_by(AuditEvent.id))]


def row(session: Session, model: type, ident: int) -> dict[str, Any]:
    """A committed row as a dict of its columns, read again from the database."""
    fresh(session)
    obj = session.scalar(select(model).where(model.id == ident).execution_options(populate_existing=True))
    assert obj is not None
    return {c.key: getattr(obj, c.key) for c in model.__table__.columns}


def in_thread(app: Any, work: Callable[[Session], Any], results: list, barrier: threading.Barrier | None = None):
    """A thread that runs `work(session)` in its own app context and session and appends
    ("ok", value) or ("error", exception) to `results`."""

    def run() -> None:
        with app.test_request_context(method="POST"):  # what a request sees: a write session
            session = get_session()
            try:
                if barrier is not None:
                    barrier.wait(timeout=10)
                value = work(session)
                session.commit()
                results.append(("ok", value))
            except Exception as exc:  # noqa: BLE001 (the test looks at every outcome)
                session.rollback()
                results.append(("error", exc))

    return threading.Thread(target=run, daemon=True)


_INPUT_RE = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def hidden_inputs(page: str) -> dict[str, str]:
    """name -> value of every <input> of the page that has both (last one wins)."""
    found = {}
    for tag in _INPUT_RE.findall(page):
        attrs = dict(_ATTR_RE.findall(tag))
        if "name" in attrs and "value" in attrs:
            found[attrs["name"]] = html_lib.unescape(attrs["value"])
    return found


def textarea(page: str, name: str) -> str | None:
    """The (unescaped) content of the textarea called `name`, or None."""
    found = re.search(rf'<textarea\b[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    return html_lib.unescape(found.group(1)).strip("\r\n") if found else None


def detached(app: Any, model: type, ident: int) -> Any:
    """A row loaded in a throw-away session and detached from it: an actor (or subject) a thread
    can hand to a service without the service's own session having begun a transaction yet."""
    with app.app_context():
        from consult.db import database

        session = database().new_session(read_only=True)
        obj = session.get(model, ident)
        assert obj is not None
        if isinstance(obj, User) and obj.organisation is not None:
            obj.organisation.stakeholder_group_id  # noqa: B018 (loaded before detaching)
        session.expunge_all()
        session.close()
        return obj
