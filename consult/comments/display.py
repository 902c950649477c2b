"""How comments are shown: who they are attributed to, and labels for their states."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from consult import policy
from consult.comments import bp
from consult.comments.forms import TYPE_LABELS
from consult.comments.models import Attribution, Comment, CommentStatus
from consult.pagecache import fragment_cache
from consult.rounds.labels import PHASE_LABELS

STATUS_LABELS = {
    CommentStatus.DRAFT: _l("draft (only you see it)"),
    CommentStatus.AWAITING_SIGNOFF: _l("waiting for the focal point's sign-off"),
    CommentStatus.AWAITING_MODERATION: _l("waiting for moderation"),
    CommentStatus.ACCEPTED: _l("accepted"),
    CommentStatus.REJECTED: _l("rejected"),
    CommentStatus.WITHDRAWN: _l("withdrawn"),
}
# Submitted, but not yet read by others (the comment page says so to those who see it).
STATUS_UNSEEN = frozenset({CommentStatus.AWAITING_SIGNOFF, CommentStatus.AWAITING_MODERATION})
# The states a comment is tagged with where it is shown (an accepted comment needs no tag).
STATUS_TAGS = {status: label for status, label in STATUS_LABELS.items() if status is not CommentStatus.ACCEPTED}


def byline_text(shown: Attribution, person: str, organisation: str, group: str, *, with_group: bool = True) -> str:
    """A byline at the level `shown` (`policy.attribution_shown`): every surface writes it so.
    `with_group=False` where the group is said around it (a digest lists comments by group)."""
    if shown is Attribution.GROUP:
        return str(_l("A participant from %(group)s", group=group)) if with_group else group
    who = f"{person}, {organisation}" if shown is Attribution.PERSON else organisation
    return f"{who} ({group})" if with_group else who


def byline(comment: Comment, viewer: Any = None) -> str:
    """Who the viewer may see behind a comment: person and organisation, organisation, or group."""
    viewer = viewer if viewer is not None else current_user._get_current_object()
    shown = policy.attribution_shown(viewer, comment)
    person = comment.author.display_name if shown is Attribution.PERSON else ""
    organisation = comment.organisation.name if shown is not Attribution.GROUP else ""
    return byline_text(shown, person, organisation, comment.stakeholder_group.name)


def number_shown(comment: Any, viewer: Any = None) -> str | None:
    """The comment's number ("KR-003") if the viewer may see its organisation: the number
    starts with the organisation's code, so it is withheld where the byline is the group's."""
    if comment.number is None:
        return None
    viewer = viewer if viewer is not None else current_user._get_current_object()
    return comment.number if policy.can_see_attribution(viewer, comment, Attribution.ORGANISATION) else None


def comment_label(comment: Any, viewer: Any = None) -> str:
    """ "Comment KR-003"; where the number is withheld "Comment from <group>"; without a number
    "Draft comment" or "Unnumbered comment": never the database id, which means nothing to a person."""
    number = number_shown(comment, viewer)
    if number:
        return str(_l("Comment %(number)s", number=number))
    if comment.number is None:  # numbered when first submitted (a bulk-loaded one may have none)
        return str(_l("Draft comment") if comment.status is CommentStatus.DRAFT else _l("Unnumbered comment"))
    return str(_l("Comment from %(group)s", group=comment.stakeholder_group.name))


def comment_html(comment: Comment) -> Markup:
    """One comment as `comments/_comment.html` renders it for the viewer, remembered per
    everything it shows (the key holds the texts themselves, so an edit is a new entry): a
    page re-rendered after one new comment renders only that one."""
    by = byline(comment)
    if "consult_comment_key" not in g:
        g.consult_comment_key = (str(get_locale()), str(get_timezone()))
    key = (
        comment.id,
        by,
        comment.type,
        comment.status,
        comment.is_hidden,
        comment.body,
        comment.proposed_change,
        comment.supports_text,
        comment.submitted_at,
        number_shown(comment),
        comment.line_number,
        comment.paragraph,
        comment.clause_ref,
        comment.language,
        g.consult_comment_key,
    )

    def render() -> Markup:
        template = current_app.jinja_env.get_template("comments/_comment.html")
        html = template.render(
            c=comment,
            byline=lambda _c: by,
            comment_label=comment_label,
            TYPE_LABELS=TYPE_LABELS,
            STATUS_TAGS=STATUS_TAGS,
        )
        return Markup(html)  # noqa: S704 (an autoescaped template)  # nosec B704

    return fragment_cache().get_or_make(key, render)


@bp.app_context_processor
def _comment_helpers() -> dict[str, Any]:
    return {
        "byline": byline,
        "comment_html": comment_html,
        "comment_label": comment_label,
        "number_shown": number_shown,
        "STATUS_LABELS": STATUS_LABELS,
        "STATUS_TAGS": STATUS_TAGS,
        "STATUS_UNSEEN": STATUS_UNSEEN,
        "PHASE_LABELS": PHASE_LABELS,
        "TYPE_LABELS": TYPE_LABELS,
    }
