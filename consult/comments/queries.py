"""Loading one comment for a page: the comment if the viewer may see it, else `NotFound`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import policy
from consult.comments.models import Comment
from consult.errors import NotFound
from consult.rounds.queries import MAX_ID, with_people


def visible_comment(session: Session, viewer: Any, comment_id: int) -> Comment:
    """The comment (its author, organisation and group loaded) if `viewer` may see it; else
    `NotFound`, the same answer as a missing comment."""
    if not 0 < comment_id < MAX_ID:
        raise NotFound()
    stmt = with_people(select(Comment).where(Comment.id == comment_id, policy.comment_visibility(viewer)))
    comment = session.scalars(stmt).unique().one_or_none()
    if comment is None:
        raise NotFound()
    return comment
