"""What every list of the workspace is made of: its lines (`Item`), the list (`TaskList`), and
the conditions and columns the lists share. See `consult.workspace.queries` for the order and
the policy every list keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from consult import audit
from consult.policy import Task
from consult.rounds.models import RoundStatus

LIMIT = 10
SNIPPET = 90


@dataclass
class Item:
    """One line of a list: what it is, where to act, and what the person needs to decide."""

    title: str
    url: str
    context: str = ""  # the consultation (or round) it belongs to
    deadline: datetime | None = None
    since: datetime | None = None  # waiting since
    count: int = 0
    second: int = 0  # a second count where a line has two (dispositions to draft / to release)
    reason: str = ""
    state: str = ""  # a word the template turns into a sentence ("returned", "rejected", ...)


@dataclass
class TaskList:
    task: Task
    total: int = 0  # what the heading counts (items, or answers, comments...)
    items: list[Item] = field(default_factory=list)


def snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"


def open_now(rnd: Any, now: datetime) -> Any:
    return and_(rnd.status == RoundStatus.APPROVED, rnd.opens_at <= now, rnd.closes_at > now)


def closed(rnd: Any, now: datetime) -> Any:
    return and_(rnd.status == RoundStatus.APPROVED, rnd.closes_at <= now)


def total() -> Any:
    return func.count().over().label("total")


def last_event(action: str, round_: Any) -> Any:
    """When the round last had `action` in the audit log (a submission, a sending back)."""
    return (
        select(func.max(audit.AuditEvent.at))
        .where(
            audit.AuditEvent.action == action,
            audit.AuditEvent.subject_type == "Round",
            audit.AuditEvent.subject_id == round_.id,
        )
        .correlate(round_)
        .scalar_subquery()
    )
