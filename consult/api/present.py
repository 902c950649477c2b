"""How rows become API answers: comments with the byline the caller may know, cursors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from consult import policy
from consult.api import schemas
from consult.api.registry import ApiError
from consult.comments.models import Comment


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> tuple | None:
    """The integers a cursor of `arity` values holds; a 400 when it is not one of ours."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != arity
        or not all(type(v) is int and 0 <= v < 2**31 for v in values)
    ):
        raise ApiError(400, "This cursor is not one this API gave out: start again without it.")
    return tuple(values)


def comment(c: Comment, viewer: Any) -> schemas.Comment:
    """A comment as `viewer` may see it (`c` loaded with its people: `rounds.queries.with_people`)."""
    mine = viewer is not None and c.author_id == viewer.id
    person = policy.can_see_attribution(viewer, c, "person")
    organisation = policy.can_see_attribution(viewer, c, "organisation")
    reasons = None
    if mine:
        reasons = {
            k: v
            for k, v in (
                ("returned", c.returned_reason),
                ("rejected", c.rejection_reason),
                ("hidden", c.hidden_reason),
            )
            if v
        }
    return schemas.Comment(
        id=c.id,
        round_id=c.round_id,
        clause=c.clause_key,
        type=c.type,
        status=c.status,
        body=c.body,
        proposed_change=c.proposed_change,
        language=c.language,
        author=schemas.Author(
            name=c.author.display_name if person else None,
            organisation=c.organisation.name if organisation else None,
            stakeholder_group=schemas.Group(id=c.stakeholder_group.id, name=c.stakeholder_group.name),
        ),
        hidden=c.hidden_at is not None,
        submitted_at=c.submitted_at,
        updated_at=c.updated_at,
        is_mine=mine,
        attribution=c.attribution if mine else None,
        reasons=reasons,
    )
