"""The append-only audit log: who did what, to what, when and why.

Services call `record()` in the same transaction as the change they make, so an action and
its audit entry are committed together or not at all. Nothing updates or deletes an entry:
a flush that tries is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from consult.db import Base, utcnow

if TYPE_CHECKING:  # the log is below the rooms: it names people, it does not import them
    from consult.auth.models import User


class AuditEvent(Base):
    """One privileged action or state change."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship("User", lazy="joined")


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    subject: Any,
    summary: str = "",
    reason: str = "",
    **details: Any,
) -> AuditEvent:
    """Add an audit entry for `action` on `subject` (a model instance) in this transaction."""
    if subject is not None and getattr(subject, "id", None) is None:
        session.flush()  # the subject needs its id before we can point at it
    via = _via()
    if via and "via" not in details:
        details["via"] = via  # where the action came from: "api" for the JSON API
    entry = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        summary=summary,
        reason=reason,
        details={key: _plain(value) for key, value in details.items()},
    )
    session.add(entry)
    return entry


def _via() -> str | None:
    """The channel the current request came through, if it set one (`g.audit_via`)."""
    from flask import g, has_app_context

    return g.get("audit_via") if has_app_context() else None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value"):  # enums
        return value.value
    return value


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise PermissionError("the audit log is append-only")
