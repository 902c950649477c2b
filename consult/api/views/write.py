"""Writing through the API: the very services the pages call (deadline, sign-off, pre-moderation,
the policy), one commit at the edge, every write audited with `via: api`.

Creating a comment is idempotent by its `Idempotency-Key` header, which becomes the comment's
nonce (`api:<key>`, one per author, as the web form's hidden nonce): the same key again
returns the comment the first request stored, with 200 instead of 201.
"""

from __future__ import annotations

import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from consult import policy
from consult.api import present, schemas
from consult.api.models import Scope
from consult.api.registry import ApiError, api_route
from consult.api.views.read import not_found, visible_comment, visible_round
from consult.comments import services as comment_services
from consult.comments.models import Comment, CommentStatus
from consult.db import get_session, utcnow
from consult.dispositions import services as disposition_services
from consult.dispositions.models import Disposition
from consult.dispositions.queries import answerable
from consult.moderation import services as moderation
from consult.policy import Permission
from consult.rounds.models import Round

IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,60}$")
IDEMPOTENCY_HEADER = {
    "Idempotency-Key": {
        "required": False,
        "description": "Any unique string (a UUID): a repeated request with the same key stores nothing new.",
        "schema": {"type": "string", "pattern": IDEMPOTENCY_RE.pattern},
    }
}


def _comment_answer(db, comment_id: int, user) -> schemas.Comment:
    return present.comment(visible_comment(db, comment_id, user), user)


def _input(data, clause: str | None) -> comment_services.CommentInput:
    return comment_services.CommentInput(
        clause_key=None if clause in (None, "general") else clause,
        type=data.type,
        body=data.body,
        proposed_change=data.proposed_change,
        attribution=data.attribution,
        language=data.language,
    )


@api_route(
    "POST",
    "/rounds/{round_id}/comments",
    summary="Write a comment (submitted, or a draft)",
    tag="comments",
    scope=Scope.COMMENT,
    body=schemas.CommentIn,
    response=schemas.Comment,
    status=201,
    headers=IDEMPOTENCY_HEADER,
)
def create_comment(ctx, round_id: int):
    """As the comment form: the round must be open; sign-off and pre-moderation apply."""
    from flask import request

    db = get_session()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_RE.match(key):
        raise ApiError(400, _("An Idempotency-Key has 1 to 60 letters, digits, dots, colons, dashes or underscores."))
    nonce = f"api:{key}" if key else f"api-{secrets.token_urlsafe(16)}"
    found = visible_round(db, round_id, ctx.user)
    data = ctx.body
    comment, created = comment_services.save_comment(
        db, actor=ctx.user, round_=found, data=_input(data, data.clause), nonce=nonce, submit=data.submit
    )
    if not created and (comment.round_id != found.id or comment.body != data.body.strip()):
        raise ApiError(422, _("This Idempotency-Key was used for another comment: use a new key."))
    db.commit()
    return _comment_answer(db, comment.id, ctx.user), 201 if created else 200


def _own(db, comment_id: int, user) -> Comment:
    comment = visible_comment(db, comment_id, user)
    if comment.author_id != user.id:
        raise ApiError(403, _("Only the author can change this comment."))
    return comment


@api_route(
    "PATCH",
    "/comments/{comment_id}",
    summary="Edit one's comment",
    tag="comments",
    scope=Scope.COMMENT,
    body=schemas.CommentEdit,
    response=schemas.Comment,
)
def edit_comment(ctx, comment_id: int):
    """Fields left out keep their value; a submitted comment goes through sign-off and
    moderation again as the round requires."""
    if not policy.can(ctx.user, Permission.COMMENT_CREATE):
        raise ApiError(403, _("Only people who speak for an organisation write comments."))
    db = get_session()
    comment = _own(db, comment_id, ctx.user)
    edit = ctx.body
    data = comment_services.CommentInput(
        clause_key=comment.clause_key
        if "clause" not in edit.model_fields_set
        else (None if edit.clause in (None, "general") else edit.clause),
        type=edit.type or comment.type,
        body=edit.body if edit.body is not None else comment.body,
        proposed_change=edit.proposed_change if edit.proposed_change is not None else comment.proposed_change,
        attribution=edit.attribution or comment.attribution,
        language=edit.language,
    )
    comment_services.update_comment(db, actor=ctx.user, comment=comment, data=data, submit=edit.submit)
    db.commit()
    return _comment_answer(db, comment.id, ctx.user)


@api_route(
    "POST",
    "/comments/{comment_id}/submit",
    summary="Submit a draft",
    tag="comments",
    scope=Scope.COMMENT,
    response=schemas.Comment,
)
def submit_comment(ctx, comment_id: int):
    """Submit one's draft comment while the round is open."""
    if not policy.can(ctx.user, Permission.COMMENT_CREATE):
        raise ApiError(403, _("Only people who speak for an organisation write comments."))
    db = get_session()
    comment = _own(db, comment_id, ctx.user)
    if comment.status is not CommentStatus.DRAFT:
        raise ApiError(409, _("This comment has already been submitted."))
    data = comment_services.CommentInput(
        comment.clause_key, comment.type, comment.body, comment.proposed_change, comment.attribution
    )
    comment_services.update_comment(db, actor=ctx.user, comment=comment, data=data, submit=True)
    db.commit()
    return _comment_answer(db, comment.id, ctx.user)


@api_route(
    "POST",
    "/comments/{comment_id}/withdraw",
    summary="Withdraw one's comment",
    tag="comments",
    scope=Scope.COMMENT,
    response=schemas.Comment,
)
def withdraw_comment(ctx, comment_id: int):
    """Withdraw one's comment while the round is open (it is then gone for everyone else)."""
    if not policy.can(ctx.user, Permission.COMMENT_CREATE):
        raise ApiError(403, _("Only people who speak for an organisation write comments."))
    db = get_session()
    comment = _own(db, comment_id, ctx.user)
    comment_services.withdraw_comment(db, actor=ctx.user, comment=comment)
    db.commit()
    return _comment_answer(db, comment.id, ctx.user)


@api_route(
    "POST",
    "/comments/{comment_id}/signoff",
    summary="Sign a comment off, or return it",
    tag="sign-off",
    scope=Scope.SIGNOFF,
    body=schemas.SignoffIn,
    response=schemas.Comment,
)
def signoff(ctx, comment_id: int):
    """A focal point accepts a colleague's comment (it counts) or returns it with a reason."""
    if not policy.can(ctx.user, Permission.COMMENT_SIGNOFF):
        raise ApiError(403, _("Only focal points sign comments off."))
    db = get_session()
    comment = visible_comment(db, comment_id, ctx.user)
    moderation.sign_off(db, actor=ctx.user, comment=comment, accept=ctx.body.accept, reason=ctx.body.reason)
    db.commit()
    return _comment_answer(db, comment.id, ctx.user)


@api_route(
    "POST",
    "/dispositions/{disposition_id}/acknowledgement",
    summary="Answer a disposition: satisfied, or objection maintained",
    tag="dispositions",
    scope=Scope.COMMENT,
    body=schemas.AcknowledgementIn,
    response=schemas.Acknowledgement,
)
def acknowledge(ctx, disposition_id: int):
    """The commenter (or their organisation's focal point) answers a released disposition."""
    if not policy.can(ctx.user, Permission.DISPOSITION_ACKNOWLEDGE):
        raise ApiError(403, _("Only the commenter or their focal point answers a disposition."))
    db = get_session()
    disposition = db.scalar(
        select(Disposition).where(Disposition.id == disposition_id, policy.disposition_visibility(ctx.user))
    )
    comment = db.get(Comment, disposition.comment_id) if disposition else None
    round_ = db.get(Round, comment.round_id) if comment else None
    if (
        round_ is None
        or db.scalar(select(Comment.id).where(Comment.id == comment.id, answerable(round_, ctx.user, utcnow()))) is None
    ):
        raise not_found()
    if not policy.can(ctx.user, Permission.DISPOSITION_ACKNOWLEDGE, comment):
        raise ApiError(403, _("Only the commenter or their focal point answers a disposition."))
    ack = disposition_services.acknowledge(
        db, actor=ctx.user, disposition=disposition, kind=ctx.body.kind, reason=ctx.body.reason
    )
    db.commit()
    return schemas.Acknowledgement(kind=ack.kind, reason=ack.reason, updated_at=ack.updated_at)
