"""How comments are shown: who they are attributed to, and labels for their states."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult import policy
from consult.comments import bp
from consult.comments.forms import TYPE_LABELS
from consult.comments.models import Comment, CommentStatus
from consult.rounds.labels import PHASE_LABELS

STATUS_LABELS = {
    CommentStatus.DRAFT: _l("draft (only you see it)"),
    CommentStatus.AWAITING_SIGNOFF: _l("waiting for the focal point's sign-off"),
    CommentStatus.AWAITING_MODERATION: _l("waiting for moderation"),
    CommentStatus.ACCEPTED: _l("accepted"),
    CommentStatus.REJECTED: _l("rejected"),
    CommentStatus.WITHDRAWN: _l("withdrawn"),
}


def byline(comment: Comment) -> str:
    """Who the viewer may see behind a comment: person and organisation, organisation, or group."""
    group = comment.stakeholder_group.name
    if policy.can_see_attribution(current_user, comment, "person"):
        return f"{comment.author.display_name}, {comment.organisation.name} ({group})"
    if policy.can_see_attribution(current_user, comment, "organisation"):
        return f"{comment.organisation.name} ({group})"
    return str(_l("A participant from %(group)s", group=group))


@bp.app_context_processor
def _comment_helpers() -> dict[str, Any]:
    return {
        "byline": byline,
        "STATUS_LABELS": STATUS_LABELS,
        "PHASE_LABELS": PHASE_LABELS,
        "TYPE_LABELS": TYPE_LABELS,
    }
