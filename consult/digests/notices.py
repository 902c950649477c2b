"""Who is told what, and when: notifications by email and in the app, written in the event's
transaction.

Services announce their transitions (`consult.signals`); the receivers here choose the
recipients by permission (`policy.roles_with`), and for each recipient and event write an
in-app notification (`consult.notifications`, whatever their email switches) and, when their
switch for it is on, an outbox row. Both are keyed by the event and the person
(`dedupe_key`, the notification's unique event), so an event announced twice (a cron run
repeated) writes nothing twice. What a notification says is decided when it is sent or shown,
with what its reader may see then (`notice_builders.py`; `consult.notifications.display`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import Session

from consult import audit, mail, policy, signals
from consult.auth.models import User
from consult.comments.models import Comment, CommentStatus
from consult.digests import notice_builders
from consult.digests.models import EmailPreference, Notice
from consult.digests.render import renderer
from consult.mail.models import OutboxKind
from consult.notifications import services as notifications
from consult.policy import Permission
from consult.rounds.models import Round


@dataclass(frozen=True)
class Recipient:
    """Someone to tell of an event: always in the app, by email when `wants_email`."""

    id: int
    email: str
    wants_email: bool = True


def notify(
    session: Session,
    template: str,
    users: Iterable[User | Recipient | tuple[int, str]],
    event: str,
    *,
    round_id: int | None = None,
    comment_id: int | None = None,
    **params: Any,
) -> int:
    """Tell each person of `event` with the notification `template`: in the app, and by email
    where they want it; returns how many emails were new."""
    subject = {name: value for name, value in (("round_id", round_id), ("comment_id", comment_id)) if value}
    params = {**subject, **params}
    rows, notes = [], []
    for user in users:
        if isinstance(user, Recipient):
            user_id, address, wants = user.id, user.email, user.wants_email
        elif isinstance(user, User):
            user_id, address, wants = user.id, user.email, True
        else:
            (user_id, address), wants = user, True
        notes.append(
            {
                "user_id": user_id,
                "event": event,
                "kind": template,
                "round_id": round_id,
                "comment_id": comment_id,
                "params": params,
            }
        )
        if wants:
            rows.append(
                {
                    "dedupe_key": f"{event}:u{user_id}",
                    "kind": OutboxKind.NOTIFICATION,
                    "template": template,
                    "user_id": user_id,
                    "to_address": address,
                    "params": params,
                }
            )
    notifications.record(session, notes)
    return len(mail.enqueue(session, rows))


def wanting(stmt: Any, notice: Notice) -> Any:
    """Limit a select over User to active people whose switch for `notice` is on."""
    column = getattr(EmailPreference, notice.value)
    return stmt.outerjoin(EmailPreference, EmailPreference.user_id == User.id).where(
        User.is_active_flag.is_(True), or_(EmailPreference.user_id.is_(None), column.is_(True))
    )


def audience(session: Session, notice: Notice, *conditions: Any) -> list[Recipient]:
    """The active people who meet `conditions`, each with whether they want `notice` by email."""
    column = getattr(EmailPreference, notice.value)
    wants = case((or_(EmailPreference.user_id.is_(None), column.is_(True)), True), else_=False)
    stmt = (
        select(User.id, User.email, wants.label("wants"))
        .outerjoin(EmailPreference, EmailPreference.user_id == User.id)
        .where(User.is_active_flag.is_(True), *conditions)
        .order_by(User.id)
    )
    return [Recipient(row.id, row.email, bool(row.wants)) for row in session.execute(stmt)]


def recipients(session: Session, notice: Notice, *conditions: Any) -> list[tuple[int, str]]:
    """(id, address) of the people who want `notice` by email and meet `conditions`."""
    stmt = wanting(select(User.id, User.email), notice).where(*conditions).order_by(User.id)
    return [(row.id, row.email) for row in session.execute(stmt)]


def _holding(permission: Permission) -> Any:
    return User.role.in_(policy.roles_with(permission))


def notify_round_opened(session: Session, round_: Round) -> int:
    """Everyone who may see the round hears that it is open for comments."""
    users = audience(session, Notice.ROUND_OPENED, _holding(Permission.CONSULTATION_VIEW))
    return notify(session, "round_opened", users, f"round_opened:r{round_.id}", round_id=round_.id)


def notify_round_published(session: Session, round_: Round) -> int:
    users = audience(session, Notice.ROUND_PUBLISHED, _holding(Permission.CONSULTATION_VIEW))
    event = f"round_published:r{round_.id}:{round_.published_at:%Y%m%d%H%M%S}"
    return notify(session, "round_published", users, event, round_id=round_.id)


def notify_round_closing(session: Session, round_: Round) -> int:
    """48 hours before the deadline: organisations with nothing submitted yet, and focal
    points with comments waiting for their sign-off."""
    submitted = exists().where(
        Comment.round_id == round_.id,
        Comment.organisation_id == User.organisation_id,
        Comment.status.in_(policy.SUBMITTED),
    )
    waiting = exists().where(
        Comment.round_id == round_.id,
        Comment.organisation_id == User.organisation_id,
        Comment.status == CommentStatus.AWAITING_SIGNOFF,
    )
    users = audience(
        session,
        Notice.ROUND_CLOSING,
        _holding(Permission.COMMENT_CREATE),
        User.organisation_id.is_not(None),
        or_(~submitted, and_(_holding(Permission.COMMENT_SIGNOFF), waiting)),
    )
    event = f"round_closing:r{round_.id}:{round_.closes_at:%Y%m%d%H%M}"
    return notify(session, "round_closing", users, event, round_id=round_.id)


def notify_comment_decided(session: Session, comment: Comment, event: audit.AuditEvent, decision: str) -> int:
    """The author hears that their comment was accepted, rejected or hidden (with the reason)."""
    session.flush()
    users = audience(session, Notice.COMMENT_DECIDED, User.id == comment.author_id)
    return notify(
        session,
        "comment_decided",
        users,
        f"comment_decided:a{event.id}",
        round_id=comment.round_id,
        comment_id=comment.id,
        decision=decision,
    )


def notify_comment_returned(session: Session, comment: Comment, event: audit.AuditEvent) -> int:
    """The author hears that the focal point returned their comment, and why (the reason is
    the event's, read when the notice is sent or shown)."""
    session.flush()
    users = audience(session, Notice.COMMENT_DECIDED, User.id == comment.author_id)
    return notify(
        session,
        "comment_returned",
        users,
        f"comment_returned:a{event.id}",
        round_id=comment.round_id,
        comment_id=comment.id,
        event_id=event.id,
    )


def notify_comment_waiting(session: Session, comment: Comment, event: audit.AuditEvent) -> int:
    """Focal points hear of comments that wait for their sign-off, moderators of pre-moderation."""
    session.flush()
    if comment.status is CommentStatus.AWAITING_SIGNOFF:
        users = audience(
            session,
            Notice.COMMENT_WAITING,
            _holding(Permission.COMMENT_SIGNOFF),
            User.organisation_id == comment.organisation_id,
            User.id != comment.author_id,
        )
    elif comment.status is CommentStatus.AWAITING_MODERATION:
        users = audience(session, Notice.COMMENT_WAITING, _holding(Permission.COMMENT_MODERATE))
    else:
        return 0
    return notify(
        session,
        "comment_waiting",
        users,
        f"comment_waiting:a{event.id}",
        round_id=comment.round_id,
        comment_id=comment.id,
    )


def notify_dispositions_released(
    session: Session, round_: Round, event: audit.AuditEvent, authors: dict[int, int]
) -> int:
    """Each author whose comments were answered is told once per release (their switch is
    read when it is sent)."""
    queued = 0
    active = select(User.id, User.email).where(User.id.in_(list(authors)), User.is_active_flag.is_(True))
    for user_id, address in session.execute(active.order_by(User.id)):
        queued += notify(
            session,
            "dispositions_released",
            [Recipient(user_id, address)],
            f"dispositions_released:e{event.id}",
            round_id=round_.id,
            count=authors[user_id],
        )
    return queued


def notify_round_submitted(session: Session, round_: Round, event: audit.AuditEvent) -> int:
    """A round waits for approval: the moderators hear (not its preparer: four eyes)."""
    users = audience(session, Notice.ROUND_WAITING, _holding(Permission.ROUND_APPROVE), _not(round_.prepared_by_id))
    return notify(session, "round_submitted", users, f"round_submitted:a{event.id}", round_id=round_.id)


def notify_publication_requested(session: Session, round_: Round, event: audit.AuditEvent) -> int:
    """A closed round's publication was requested: the moderators hear (not the requester)."""
    users = audience(
        session,
        Notice.ROUND_WAITING,
        _holding(Permission.ROUND_PUBLISH),
        _not(round_.publication_requested_by_id),
        _not(round_.prepared_by_id),
    )
    return notify(session, "publication_requested", users, f"publication_requested:a{event.id}", round_id=round_.id)


def notify_round_approved(session: Session, round_: Round, event: Any) -> int:
    """Its preparer hears that a moderator approved their round."""
    if round_.prepared_by_id is None:
        return 0
    users = audience(
        session, Notice.ROUND_DECIDED, User.id == round_.prepared_by_id, _holding(Permission.ROUND_PREPARE)
    )
    return notify(session, "round_approved", users, f"round_approved:a{event.id}", round_id=round_.id)


def notify_round_sent_back(session: Session, round_: Round, event: audit.AuditEvent, step: str) -> int:
    """A round went back to the organisers: its preparer hears (`step` "approval"), or the
    organiser who asked for its publication (`step` "publication"), with the reason."""
    asked_by = round_.prepared_by_id if step == "approval" else (event.details or {}).get("requested_by")
    if asked_by is None:
        return 0
    users = audience(
        session,
        Notice.ROUND_DECIDED,
        User.id == asked_by,
        _holding(Permission.ROUND_PREPARE if step == "approval" else Permission.ROUND_REQUEST_PUBLICATION),
    )
    return notify(
        session,
        "round_sent_back",
        users,
        f"round_sent_back:a{event.id}",
        round_id=round_.id,
        event_id=event.id,
        step=step,
    )


def notify_objection_maintained(session: Session, comment: Comment, event: audit.AuditEvent) -> int:
    """A commenter maintains an objection to a disposition: the organisers hear, with the reason."""
    users = audience(session, Notice.OBJECTION_MAINTAINED, _holding(Permission.DISPOSITION_MANAGE))
    return notify(
        session,
        "objection_maintained",
        users,
        f"objection_maintained:a{event.id}",
        round_id=comment.round_id,
        comment_id=comment.id,
        event_id=event.id,
    )


def _not(user_id: int | None) -> Any:
    return User.id != user_id if user_id is not None else User.id.is_not(None)


# --- Receivers of the domain's announcements --------------------------------------------------


def _on_round_approved(_sender: Any, *, session: Session, round_: Round, now: Any, **kwargs: Any) -> None:
    if kwargs.get("event") is not None:
        notify_round_approved(session, round_, kwargs["event"])
    if round_.is_open(now):
        notify_round_opened(session, round_)  # later openings are found by the cron


def _on_round_published(_sender: Any, *, session: Session, round_: Round, **_: Any) -> None:
    notify_round_published(session, round_)


def _on_comment_submitted(_sender: Any, *, session: Session, comment: Comment, event: Any, **_: Any) -> None:
    notify_comment_waiting(session, comment, event)


def _on_comment_decided(_sender: Any, *, session: Session, comment: Comment, event: Any, decision: str) -> None:
    notify_comment_decided(session, comment, event, decision)


def _on_comment_returned(_sender: Any, *, session: Session, comment: Comment, event: Any, **_: Any) -> None:
    notify_comment_returned(session, comment, event)


def _on_dispositions_released(
    _sender: Any, *, session: Session, round_: Round, event: Any, authors: dict[int, int]
) -> None:
    notify_dispositions_released(session, round_, event, authors)


def _on_round_submitted(_sender: Any, *, session: Session, round_: Round, event: Any, **_: Any) -> None:
    notify_round_submitted(session, round_, event)


def _on_round_sent_back(_sender: Any, *, session: Session, round_: Round, event: Any, **_: Any) -> None:
    notify_round_sent_back(session, round_, event, "approval")


def _on_publication_requested(_sender: Any, *, session: Session, round_: Round, event: Any, **_: Any) -> None:
    notify_publication_requested(session, round_, event)


def _on_publication_declined(_sender: Any, *, session: Session, round_: Round, event: Any, **_: Any) -> None:
    notify_round_sent_back(session, round_, event, "publication")


def _on_disposition_acknowledged(
    _sender: Any, *, session: Session, comment: Comment, acknowledgement: Any, event: Any, **_: Any
) -> None:
    if acknowledgement.kind.value == "objection":
        notify_objection_maintained(session, comment, event)


def init_app(app: Flask) -> None:
    """Register the notifications' renderers and subscribe to the domain's announcements."""
    for template, build in notice_builders.BUILDERS.items():
        mail.register_renderer(app, template, renderer(build))
    signals.connect(signals.round_approved, _on_round_approved)
    signals.connect(signals.round_published, _on_round_published)
    signals.connect(signals.comment_submitted, _on_comment_submitted)
    signals.connect(signals.comment_decided, _on_comment_decided)
    signals.connect(signals.dispositions_released, _on_dispositions_released)
    signals.connect(signals.comment_returned, _on_comment_returned)
    signals.connect(signals.round_submitted, _on_round_submitted)
    signals.connect(signals.round_sent_back, _on_round_sent_back)
    signals.connect(signals.publication_requested, _on_publication_requested)
    signals.connect(signals.publication_declined, _on_publication_declined)
    signals.connect(signals.disposition_acknowledged, _on_disposition_acknowledged)
