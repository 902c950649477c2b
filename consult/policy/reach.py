"""How far each stakeholder group's comments reach a viewer in a round, and what a viewer may
know about the comments that have not reached them yet.

The side-by-side page says, per group, one of: the comments the viewer may see; that the
group's comments become visible later (when the round opens, closes or is published); or that
the group's comments are never shared with the viewer's group. A cell must never read as
silence ("no comment") where comments exist that the viewer may not read yet.

How many comments wait is itself information. The decision here:

- While a round is open (or scheduled) nobody outside the readers the rule names learns how
  many comments another group has written: a count would let a delegation react to another
  group's activity before the rule lets it read the texts (in a sealed round, that is what the
  seal is for). The cell says the comments, if any, become visible later.
- Once the round has closed, the comments are frozen: a participant learns how many accepted
  comments of each group wait for them (what a secretariat reports as participation anyway).
- A "never" cell gives no count, ever; administrators and anonymous visitors (who read only
  published public results) learn no count either.

Counts are taken in SQL with `waiting_comments`, the complement of `comment_visibility` among
the round's positions (accepted, unhidden comments), limited to the groups whose count the
viewer may know.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, not_, select
from sqlalchemy.orm import Session

from consult.comments.models import Comment, CommentStatus
from consult.policy.viewer import as_viewer
from consult.policy.visibility import comment_visibility_in_round, stages_reached
from consult.rounds.models import Phase, Round, RoundStatus, RoundVisibility, Stage

# The phases in which a round's accepted comments can no longer change in number by new
# writing: from here on, a participant may know how many wait for them.
COUNTS_KNOWN_FROM = frozenset({Phase.CLOSED, Phase.PUBLISHED, Phase.ARCHIVED})


class Reach(enum.StrEnum):
    VISIBLE = "visible"  # the viewer reads the group's accepted comments now
    LATER = "later"  # from a later stage (`GroupReach.when`)
    NEVER = "never"  # never, in this round


@dataclass(frozen=True, slots=True)
class GroupReach:
    """How one author group's accepted comments reach the viewer in one round."""

    reach: Reach
    when: Stage | None = None  # LATER: the stage from which they are visible
    count_known: bool = False  # LATER: whether the viewer may know how many wait

    @property
    def visible(self) -> bool:
        return self.reach is Reach.VISIBLE


VISIBLE = GroupReach(Reach.VISIBLE)
NEVER = GroupReach(Reach.NEVER)


def _rule(session: Session, round_: Round) -> dict[tuple[int, int], Stage]:
    rows = session.execute(
        select(RoundVisibility.viewer_group_id, RoundVisibility.author_group_id, RoundVisibility.stage).where(
            RoundVisibility.round_id == round_.id
        )
    )
    return {(viewer_group, author_group): stage for viewer_group, author_group, stage in rows}


def group_reach(
    session: Session,
    user: Any,
    round_: Round,
    group_ids: list[int],
    now: datetime,
    *,
    public: bool = False,
) -> dict[int, GroupReach]:
    """For each author group in `group_ids`, how its accepted comments reach `user` in `round_`
    at `now` (one statement: the round's rule). `public`: the round's consultation is public
    (what the public and administrators read depends on it)."""
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    if visibility.sees_all:
        return dict.fromkeys(group_ids, VISIBLE)
    rule = _rule(session, round_)
    phase = round_.phase(now)
    if visibility.organisation_id is None:
        # The public (and accounts without a group) read published public results only, and
        # there only groups that every group may read (`policy.public_rule`).
        never_somewhere = {author for (_v, author), stage in rule.items() if stage is Stage.NEVER}
        reaches = {}
        for group_id in group_ids:
            if group_id in never_somewhere or not (public and round_.results_public):
                reaches[group_id] = NEVER
            elif round_.status in (RoundStatus.PUBLISHED, RoundStatus.ARCHIVED):
                reaches[group_id] = VISIBLE
            else:
                reaches[group_id] = GroupReach(Reach.LATER, Stage.AFTER_PUBLICATION, count_known=False)
        return reaches
    reached = stages_reached(phase)
    counts_known = phase in COUNTS_KNOWN_FROM
    reaches = {}
    for group_id in group_ids:
        stage = rule.get((visibility.group_id, group_id), Stage.NEVER)
        if stage is Stage.NEVER:
            reaches[group_id] = NEVER
        elif stage in reached:
            reaches[group_id] = VISIBLE
        else:
            reaches[group_id] = GroupReach(Reach.LATER, stage, count_known=counts_known)
    return reaches


def waiting_comments(
    session: Session,
    user: Any,
    round_: Round,
    reaches: dict[int, GroupReach],
    now: datetime,
    visible: Any = None,
) -> Any:
    """The SQL condition on Comment for the round's comments that wait for `user` and whose
    number they may know: accepted, unhidden comments of the groups that reach them later with
    a known count, that `comment_visibility` does not let them read yet (`visible`: that
    condition, where the caller has it already)."""
    counted = [group_id for group_id, reach in reaches.items() if reach.reach is Reach.LATER and reach.count_known]
    if not counted:
        return false()
    return and_(
        Comment.round_id == round_.id,
        Comment.status == CommentStatus.ACCEPTED,
        Comment.hidden_at.is_(None),
        Comment.stakeholder_group_id.in_(counted),
        not_(visible if visible is not None else comment_visibility_in_round(session, user, round_, now)),
    )
