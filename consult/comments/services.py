"""Comment transitions of authors: save, submit, edit, withdraw, and reporting a comment.

Authors act only while the round is open (checked against the clock inside the transaction,
with the round row locked on PostgreSQL so that a close waits for comments in flight): a
comment is either stored before the deadline or refused, never lost. A form's nonce makes a
double submit store one comment. Sign-off and moderation live in `consult.moderation.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete as sa_delete
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult import audit, policy, signals
from consult.auth.models import Role, User
from consult.comments import numbering
from consult.comments.models import Attribution, Comment, CommentClause, CommentReport, CommentStatus, CommentType
from consult.db import utcnow
from consult.drafts.models import Clause
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.languages import interface_language, parse_language
from consult.policy import Permission
from consult.rounds.models import Phase, Round
from consult.rounds.services import lock_round

MAX_BODY = 20_000
MAX_REASON = 2_000
MAX_LINE = 40  # Comment.line_number
MAX_PARAGRAPH = 200  # Comment.paragraph


class RoundClosed(Conflict):
    """The round is not open: the text comes back to the author with this message."""


@dataclass
class CommentInput:
    clause_key: str | None
    type: CommentType
    body: str
    proposed_change: str
    attribution: Attribution
    # The ISO template's further fields; None leaves a stored comment's value as it is.
    line_number: str | None = None
    paragraph: str | None = None
    clause_ref: str | None = None  # the reference as written, when it says more than the clause
    other_clause_keys: tuple[str, ...] = ()  # further clauses it names (`CommentClause`)
    source_number: str = ""  # the number an imported table gave it
    # The text should stay as it is (no change wanted); None leaves a stored comment's value.
    supports_text: bool | None = None
    # The language it is written in; None: on a new comment the author's interface language,
    # on an edit the language it had.
    language: str | None = None


def stamp_keys(session: Session, comment: Comment, before: CommentStatus | None, event: audit.AuditEvent) -> None:
    """Give the comment the digest key (`event`'s id) of each audience it has just reached
    (`policy.SUBMITTED`, `policy.ACCEPTED`): digests list it to that audience by this key
    (`policy.digest_key`). The caller holds the comment's round (`lock_round`), taken before
    `event` got its id, so a digest's horizon never passes a key still in flight."""
    became_submitted = comment.status in policy.SUBMITTED and before not in policy.SUBMITTED
    became_accepted = comment.status in policy.ACCEPTED and before not in policy.ACCEPTED
    if comment.status in policy.SUBMITTED and comment.number is None:
        numbering.assign_number(session, comment)  # once, at its first submission
    if not (became_submitted or became_accepted):
        return
    session.flush()  # the event's id
    if became_submitted:
        comment.submitted_key = event.id
    if became_accepted:
        comment.accepted_key = event.id


def round_for_writing(session: Session, round_id: int, now: datetime) -> Round:
    """The comment's round, locked, if it takes comments at `now`; else RoundClosed."""
    round_ = lock_round(session, round_id, for_comments=True)
    phase = round_.phase(now)
    if phase is not Phase.OPEN:
        if phase in (Phase.DRAFT, Phase.PENDING_APPROVAL, Phase.SCHEDULED):
            raise RoundClosed(_("This round is not open for comments yet. Your text has not been saved."))
        raise RoundClosed(
            _(
                "This round closed for comments at the deadline, so your comment was not saved. "
                "Your text is below: copy it if you want to keep it."
            )
        )
    return round_


def _check_input(session: Session, round_: Round, data: CommentInput) -> int:
    if data.language is not None and parse_language(data.language) is None:
        raise Invalid(_("Choose the language the comment is written in."), "language")
    body = data.body.strip()
    if not body:
        raise Invalid(_("Write your comment."), "body")
    if len(body) > MAX_BODY or len(data.proposed_change) > MAX_BODY:
        raise Invalid(
            ngettext(
                "A comment and its proposed change may each have at most %(num)d character.",
                "A comment and its proposed change may each have at most %(num)d characters.",
                MAX_BODY,
            ),
            "body",
        )
    if data.supports_text and data.proposed_change.strip():
        raise Invalid(
            _("A comment that supports the text as it stands proposes no change: clear one of the two."),
            "proposed_change",
        )
    if len(data.line_number or "") > MAX_LINE or len(data.paragraph or "") > MAX_PARAGRAPH:
        raise Invalid(
            " ".join(
                (
                    ngettext(
                        "A line number may have at most %(num)d character.",
                        "A line number may have at most %(num)d characters.",
                        MAX_LINE,
                    ),
                    ngettext(
                        "A paragraph, figure or table may have at most %(num)d character.",
                        "A paragraph, figure or table may have at most %(num)d characters.",
                        MAX_PARAGRAPH,
                    ),
                )
            ),
            "body",
        )
    if data.clause_key is None:
        return 0
    position = session.scalar(
        select(Clause.position).where(Clause.version_id == round_.version_id, Clause.key == data.clause_key)
    )
    if position is None:
        raise Invalid(_("Choose a clause of the text under comment."), "clause")
    return position


def status_after_submit(session: Session, round_: Round, author: User) -> CommentStatus:
    """Where a submitted comment goes next under this round's settings.

    Sign-off applies when the round asks for it and the author's organisation has an active
    focal point other than the author (a focal point's own comments, and those of an
    organisation without a focal point, go straight on: nobody could sign them off).
    """
    if round_.requires_signoff and _has_other_focal_point(session, author):
        return CommentStatus.AWAITING_SIGNOFF
    if round_.premoderation:
        return CommentStatus.AWAITING_MODERATION
    return CommentStatus.ACCEPTED


def _has_other_focal_point(session: Session, author: User) -> bool:
    if author.role is Role.FOCAL_POINT:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    User.organisation_id == author.organisation_id,
                    User.role == Role.FOCAL_POINT,
                    User.is_active_flag.is_(True),
                    User.id != author.id,
                )
            )
        )
    )


def save_comment(
    session: Session,
    *,
    actor: User,
    round_: Round,
    data: CommentInput,
    nonce: str,
    submit: bool,
    now: datetime | None = None,
    exact: bool = False,
) -> tuple[Comment, bool]:
    """Store a new comment (a draft, or submitted); (comment, created). A repeated nonce
    returns the comment the first submission stored. `exact`: texts are kept as given (an
    imported table's line breaks and trailing spaces), not trimmed."""
    policy.require(actor, Permission.COMMENT_CREATE)
    if actor.organisation_id is None:
        raise NotAllowed(_("Only people who speak for an organisation can comment."))
    if not nonce or len(nonce) > 64:
        raise Invalid(_("The form was incomplete. Reload the page and try again."))
    existing = session.scalar(select(Comment).where(Comment.author_id == actor.id, Comment.nonce == nonce))
    if existing is not None:
        return existing, False
    now = now or utcnow()
    round_ = round_for_writing(session, round_.id, now)
    position = _check_input(session, round_, data)
    comment = Comment(
        round_id=round_.id,
        clause_key=data.clause_key,
        clause_position=position,
        type=data.type,
        body=data.body if exact else data.body.strip(),
        proposed_change=data.proposed_change if exact else data.proposed_change.strip(),
        line_number=(data.line_number or "") if exact else (data.line_number or "").strip(),
        paragraph=(data.paragraph or "") if exact else (data.paragraph or "").strip(),
        clause_ref=data.clause_ref,
        source_number=data.source_number,
        supports_text=bool(data.supports_text),
        language=data.language or interface_language(),
        author_id=actor.id,
        organisation_id=actor.organisation_id,
        stakeholder_group_id=actor.organisation.stakeholder_group_id,
        attribution=data.attribution,
        status=status_after_submit(session, round_, actor) if submit else CommentStatus.DRAFT,
        nonce=nonce,
        created_at=now,
        updated_at=now,
        submitted_at=now if submit else None,
    )
    try:
        with session.begin_nested():
            session.add(comment)
            session.flush()
    except IntegrityError:
        # The same form arrived twice at once: the other request stored it.
        existing = session.scalar(select(Comment).where(Comment.author_id == actor.id, Comment.nonce == nonce))
        if existing is None:
            raise
        return existing, False
    for key in data.other_clause_keys:
        session.add(CommentClause(comment_id=comment.id, clause_key=key))
    event = audit.record(
        session, actor=actor, action="comment.submit" if submit else "comment.save_draft", subject=comment
    )
    stamp_keys(session, comment, None, event)
    signals.comment_submitted.send(None, session=session, comment=comment, event=event)
    return comment, True


def _own_comment(actor: User, comment: Comment) -> None:
    if comment.author_id != actor.id:
        raise NotAllowed(_("Only the author can change this comment."))


def update_comment(
    session: Session,
    *,
    actor: User,
    comment: Comment,
    data: CommentInput,
    submit: bool,
    now: datetime | None = None,
    exact: bool = False,
) -> Comment:
    """The author edits a comment while the round is open; a submitted one (a rejected one
    too: it is submitted again) goes through sign-off and moderation again as the round
    requires (`status_after_submit`). `exact`: texts are kept as given (an imported table's)."""
    _own_comment(actor, comment)
    now = now or utcnow()
    round_ = round_for_writing(session, comment.round_id, now)
    if comment.status not in policy.EDITABLE:
        raise Conflict(_("This comment can no longer be edited."))
    position = _check_input(session, round_, data)
    before = comment.status
    was_submitted = before is not CommentStatus.DRAFT
    if comment.clause_key != data.clause_key:  # another clause: the reference as written no longer holds
        comment.clause_ref = None
        session.execute(sa_delete(CommentClause).where(CommentClause.comment_id == comment.id))
    comment.clause_key, comment.clause_position = data.clause_key, position

    def kept(text: str) -> str:
        return text if exact else text.strip()

    if data.line_number is not None:
        comment.line_number = kept(data.line_number)
    if data.paragraph is not None:
        comment.paragraph = kept(data.paragraph)
    if data.supports_text is not None:
        comment.supports_text = data.supports_text
    comment.type, comment.attribution = data.type, data.attribution
    if data.language is not None:
        comment.language = data.language
    comment.body, comment.proposed_change = kept(data.body), kept(data.proposed_change)
    comment.updated_at = now
    if submit or was_submitted:
        comment.status = status_after_submit(session, round_, actor)
        comment.submitted_at = comment.submitted_at or now
        comment.returned_reason = ""
        comment.rejection_reason = ""  # the rejection stays in the audit log
    event = audit.record(session, actor=actor, action="comment.edit", subject=comment)
    stamp_keys(session, comment, before, event)
    signals.comment_submitted.send(None, session=session, comment=comment, event=event)
    return comment


def withdraw_comment(session: Session, *, actor: User, comment: Comment, now: datetime | None = None) -> Comment:
    """The author withdraws a comment while the round is open."""
    _own_comment(actor, comment)
    round_for_writing(session, comment.round_id, now or utcnow())
    if comment.status is CommentStatus.WITHDRAWN:
        raise Conflict(_("This comment is already withdrawn."))
    if comment.status is CommentStatus.REJECTED:
        raise Conflict(_("A rejected comment cannot be withdrawn."))
    comment.status = CommentStatus.WITHDRAWN
    comment.updated_at = now or utcnow()
    event = audit.record(session, actor=actor, action="comment.withdraw", subject=comment)
    session.flush()
    signals.comment_withdrawn.send(None, session=session, comment=comment, event=event)
    return comment


def can_see(session: Session, user: User | None, comment_id: int, now: datetime | None = None) -> bool:
    """Whether `user` may see the comment (the policy's SQL condition, for one row)."""
    stmt = select(exists().where(Comment.id == comment_id, policy.comment_visibility(user, now)))
    return bool(session.scalar(stmt))


def report(session: Session, *, actor: User, comment: Comment, reason: str) -> CommentReport:
    """Report a comment one can see to the moderators; this hides nothing by itself."""
    policy.require(actor, Permission.COMMENT_REPORT)
    if not can_see(session, actor, comment.id):
        raise NotFound(_("This comment does not exist."))
    if not reason.strip():
        raise Invalid(_("Say what is wrong with the comment."), "reason")
    item = CommentReport(comment_id=comment.id, reporter_id=actor.id, reason=reason.strip()[:MAX_REASON])
    session.add(item)
    audit.record(session, actor=actor, action="comment.report", subject=comment, reason=item.reason)
    return item
