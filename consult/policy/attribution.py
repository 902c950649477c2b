"""Attribution: how much of a comment's authorship a viewer may see.

A comment is attributed at the level its author chose (person and organisation, organisation
only, stakeholder group only). Staff, the author and the author's organisation always see the
person; everyone else sees what the chosen level shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, true

from consult.comments.models import Attribution, Comment
from consult.policy.viewer import as_viewer

# From the most to the least that a byline shows.
LEVELS = (Attribution.PERSON, Attribution.ORGANISATION, Attribution.GROUP)


def attribution_choices(round_: Any) -> tuple[Attribution, ...]:
    """The levels an author may choose for a comment in `round_`, from the most to the least
    that a byline shows (every level: no round asks for named comments yet)."""
    return LEVELS


def default_attribution(round_: Any) -> Attribution:
    """The level a new comment's form starts at: the least exposing one the round allows, so
    that nobody is named by not noticing the choice."""
    return attribution_choices(round_)[-1]


def attribution_shown(user: Any, comment: Any) -> Attribution:
    """The most detailed level of the comment's authorship `user` may see."""
    return attribution_reader(user)(comment)


def attribution_reader(user: Any) -> Callable[[Any], Attribution]:
    """`attribution_shown` for the many comments one person sees (an export's rows): the viewer
    is read once."""
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    if visibility.sees_all:
        return lambda comment: Attribution.PERSON
    own_id = viewer.id if visibility.signed_in else None
    own_organisation = viewer.organisation_id if visibility.signed_in else None

    def shown(comment: Any) -> Attribution:
        if (own_id is not None and comment.author_id == own_id) or (
            own_organisation is not None and comment.organisation_id == own_organisation
        ):
            return Attribution.PERSON
        return comment.attribution

    return shown


def can_see_attribution(user: Any, comment: Any, level: Attribution) -> bool:
    """Whether `user` may see the comment's authorship at `level` (PERSON or ORGANISATION)."""
    return LEVELS.index(attribution_shown(user, comment)) <= LEVELS.index(Attribution(level))


def attribution_visibility(user: Any, level: Attribution) -> Any:
    """`can_see_attribution` as an SQL condition on Comment: the comments whose `level` of
    authorship (PERSON or ORGANISATION) `user` may know. Filters by organisation or person
    (search, the API) add it, so that a filter never reveals who is behind a comment whose
    author showed only their stakeholder group."""
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    if visibility.sees_all:
        return true()
    shown = LEVELS[: LEVELS.index(Attribution(level)) + 1]
    terms = [Comment.attribution.in_(shown)]
    if visibility.signed_in:
        if viewer.id is not None:
            terms.append(Comment.author_id == viewer.id)
        if viewer.organisation_id is not None:
            terms.append(Comment.organisation_id == viewer.organisation_id)
    return or_(*terms)
