"""A task's notifications are done when the task is: receivers of the domain's announcements.

The service that does a task announces it (`consult.signals`); these receivers mark the
notifications that asked for it done, for everyone who was asked (the task no longer waits for
any of them). So a notification stops counting as unread when its person, or anyone else who
could, acts where it led.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from consult import signals
from consult.comments.models import Comment
from consult.dispositions.models import Acknowledgement, Disposition
from consult.notifications.services import resolve


def _round_submitted(_sender: Any, *, session: Session, round_: Any, **_: Any) -> None:
    resolve(session, {"round_sent_back"}, round_id=round_.id)  # the organisers changed it and asked again


def _round_decided(_sender: Any, *, session: Session, round_: Any, **_: Any) -> None:
    resolve(session, {"round_submitted"}, round_id=round_.id)  # approved or sent back


def _publication_requested(_sender: Any, *, session: Session, round_: Any, **_: Any) -> None:
    resolve(session, {"round_sent_back"}, round_id=round_.id)


def _publication_decided(_sender: Any, *, session: Session, round_: Any, **_: Any) -> None:
    resolve(session, {"publication_requested"}, round_id=round_.id)  # published or declined


def _comment_submitted(_sender: Any, *, session: Session, comment: Comment, event: Any, **_: Any) -> None:
    # Signed off, returned, edited or submitted: what waited for the focal point or the
    # moderators before this event no longer does (this event may ask again, by its own notices).
    resolve(session, {"comment_waiting"}, comment_id=comment.id, except_event=f"comment_waiting:a{event.id}")
    if event.actor_id == comment.author_id:  # the author acted on a returned comment
        resolve(session, {"comment_returned"}, comment_id=comment.id)


def _comment_decided(_sender: Any, *, session: Session, comment: Comment, decision: str, **_: Any) -> None:
    if decision in ("accepted", "rejected"):
        resolve(session, {"comment_waiting"}, comment_id=comment.id)


def _comment_withdrawn(_sender: Any, *, session: Session, comment: Comment, **_: Any) -> None:
    resolve(session, {"comment_waiting", "comment_returned"}, comment_id=comment.id)


def _disposition_acknowledged(_sender: Any, *, session: Session, comment: Comment, **_: Any) -> None:
    """The author's notice of a release is done once every answer to their comments in the
    round has their reply (theirs or their focal point's)."""
    unanswered = exists(
        select(Disposition.id)
        .join(Comment, Comment.id == Disposition.comment_id)
        .where(
            Disposition.round_id == comment.round_id,
            Disposition.released_at.is_not(None),
            Comment.author_id == comment.author_id,
            ~exists().where(and_(Acknowledgement.disposition_id == Disposition.id)),
        )
    )
    if not session.scalar(select(unanswered)):
        resolve(session, {"dispositions_released"}, round_id=comment.round_id, user_id=comment.author_id)


def init_app() -> None:
    signals.connect(signals.round_submitted, _round_submitted)
    signals.connect(signals.round_approved, _round_decided)
    signals.connect(signals.round_sent_back, _round_decided)
    signals.connect(signals.publication_requested, _publication_requested)
    signals.connect(signals.round_published, _publication_decided)
    signals.connect(signals.publication_declined, _publication_decided)
    signals.connect(signals.comment_submitted, _comment_submitted)
    signals.connect(signals.comment_decided, _comment_decided)
    signals.connect(signals.comment_withdrawn, _comment_withdrawn)
    signals.connect(signals.disposition_acknowledged, _disposition_acknowledged)
