"""Who sees which comments, rounds and dispositions, as SQL conditions.

The one place that decides it: pages, counts, the matrix, exports, digests, search and the API
all filter with these conditions. Every function takes a viewer (`consult.policy.viewer`) or
a user, and reads only the viewer's visibility class and id.

- Staff (moderators, organisers) read every submitted comment (`SUBMITTED`), hidden ones too.
- The author reads their own; colleagues their organisation's submitted, unhidden comments.
- Everyone else reads accepted, unhidden comments (`ACCEPTED`) once the round's rule cell
  (viewer group x author group) has reached its stage, in rounds they may see.
- Anonymous visitors (and accounts without a group): published rounds marked public.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, false, not_, or_, select, true
from sqlalchemy.orm import Session

from consult.comments.models import Attribution, Comment, CommentStatus
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.dispositions.models import Disposition
from consult.notifications.models import Notification
from consult.policy.permissions import Permission, has_permission
from consult.policy.viewer import VisibilityClass, as_viewer
from consult.rounds.models import Phase, Round, RoundStatus, RoundVisibility, Stage

# --- Audiences: in which statuses a comment reaches whom (besides its author) ---------------

# Staff and the author's organisation read a comment from its submission on (colleagues only
# while it is not hidden); it gets its `submitted_key` when it enters this set.
SUBMITTED = frozenset(
    {
        CommentStatus.AWAITING_SIGNOFF,
        CommentStatus.AWAITING_MODERATION,
        CommentStatus.ACCEPTED,
        CommentStatus.REJECTED,
    }
)
# Everyone the round's rule lets read it, from its acceptance on (while not hidden); it gets
# its `accepted_key` when it enters this set.
ACCEPTED = frozenset({CommentStatus.ACCEPTED})


def digest_key(visibility: VisibilityClass) -> Any:
    """The SQL expression for a comment's digest key as a viewer of this class reads it: the id
    of the audit entry of the moment the comment reached the audience they belong to."""
    if visibility.sees_all:
        return Comment.submitted_key
    if visibility.organisation_id is None:
        return Comment.accepted_key
    return case(
        (Comment.organisation_id == visibility.organisation_id, Comment.submitted_key),
        else_=Comment.accepted_key,
    )


# --- Stages: how far a round's rule has opened ----------------------------------------------

STAGE_ORDER = (Stage.WHILE_OPEN, Stage.AFTER_CLOSE, Stage.AFTER_PUBLICATION)
_RANK = {Phase.OPEN: 1, Phase.CLOSED: 2, Phase.PUBLISHED: 3, Phase.ARCHIVED: 3}
PUBLISHED_RANK = _RANK[Phase.PUBLISHED]


def stages_reached(phase: Phase) -> tuple[Stage, ...]:
    """The stages a round in `phase` has reached (what `_stage_reached` decides in SQL)."""
    return STAGE_ORDER[: _RANK.get(phase, 0)]


def stage_rank(round_: Round, now: datetime) -> int:
    """How many stages the round has reached at `now` (0-3): what a digest cursor remembers."""
    return _RANK.get(round_.phase(now), 0)


def _stage_reached(now: datetime) -> Any:
    published = Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED])
    opened = and_(Round.status == RoundStatus.APPROVED, Round.opens_at <= now)
    closed = and_(Round.status == RoundStatus.APPROVED, Round.closes_at <= now)
    return or_(
        and_(RoundVisibility.stage == Stage.WHILE_OPEN, or_(opened, published)),
        and_(RoundVisibility.stage == Stage.AFTER_CLOSE, or_(closed, published)),
        and_(RoundVisibility.stage == Stage.AFTER_PUBLICATION, published),
    )


# --- Rounds and consultations ----------------------------------------------------------------


def round_visibility(user: Any) -> Any:
    """The SQL condition on Round for the rounds `user` may see."""
    return class_round_visibility(as_viewer(user).visibility_class)


def class_round_visibility(visibility: VisibilityClass) -> Any:
    """`round_visibility` for everyone of a visibility class (the rule reads nothing else), for
    statements built once per class."""
    if visibility.sees_unapproved:
        return Round.id.is_not(None)
    if visibility.signed_in:
        return Round.status.not_in([RoundStatus.DRAFT, RoundStatus.PENDING_APPROVAL])
    return and_(
        Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED]),
        Round.results_public.is_(True),
        exists(select(Consultation.id).where(Consultation.id == Round.consultation_id, Consultation.is_public)),
    )


def visible_rounds(stmt: Any, user: Any) -> Any:
    """Filter a select over Round to those `user` may see."""
    return stmt.where(round_visibility(user))


def visible_consultations(stmt: Any, user: Any) -> Any:
    """Filter a select of Consultation to those `user` may see (anonymous: public ones)."""
    if has_permission(user, Permission.CONSULTATION_VIEW):
        return stmt
    return stmt.where(Consultation.is_public.is_(True))


def can_read_consultation(user: Any, consultation: Any) -> bool:
    """Whether `user` may read `consultation` and its drafts (anonymous: public ones only)."""
    if consultation is None:
        return False
    return has_permission(user, Permission.CONSULTATION_VIEW) or bool(consultation.is_public)


# --- Comments ---------------------------------------------------------------------------------


def comment_visibility(user: Any, now: datetime | None = None) -> Any:
    """The SQL condition on Comment for the comments `user` may see at `now`."""
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    if visibility.sees_all:
        return Comment.status.in_(SUBMITTED)
    # Nobody sees anything of a round they may not see, not even their own comments in it.
    return and_(
        exists(select(Round.id).where(Round.id == Comment.round_id, round_visibility(viewer))),
        _readable(visibility, viewer.id, now or utcnow()),
    )


def visible_comments(stmt: Any, user: Any, now: datetime | None = None) -> Any:
    """Filter a select over Comment to what `user` may see at `now`."""
    return stmt.where(comment_visibility(user, now))


def authored_beyond_class(user: Any, now: datetime | None = None) -> Any:
    """The SQL condition on Comment for the viewer's own comments that someone of their class
    who wrote nothing (`Viewer.class_member`) does not see, or sees under another byline: their
    drafts, withdrawn, hidden or returned comments. Where the viewer has none in a round, they
    see its comments exactly as their class does, and the round page serves them what it
    rendered for the class (`rounds/sections.py`)."""
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    if viewer.id is None or not visibility.signed_in or visibility.sees_all:
        return false()  # staff read submitted comments, their own as anyone's
    own = Comment.author_id == viewer.id
    if visibility.organisation_id is not None:
        # A colleague sees the person behind the byline of the organisation's comments, so the
        # class sees one of them as its author does exactly when it is the organisation's and
        # colleagues may read it (`_readable`: submitted, not hidden; the rule's branch adds
        # nothing for the organisation's own, which it reads already). Written out: this runs
        # on every view of the round page.
        return and_(
            own,
            not_(
                and_(
                    Comment.organisation_id == visibility.organisation_id,
                    Comment.status.in_(SUBMITTED),
                    Comment.hidden_at.is_(None),
                )
            ),
        )
    seen_by_class = and_(comment_visibility(viewer.class_member(), now), Comment.attribution == Attribution.PERSON)
    return and_(own, not_(seen_by_class))


def comment_visibility_in_round(session: Session, user: Any, round_: Round, now: datetime | None = None) -> Any:
    """`comment_visibility` for the comments of one round (the caller has checked the round
    with `visible_rounds`): the same rule, with the round's rule cells read once instead of
    looked up for every row, for pages that list one round's comments."""
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    now = now or utcnow()
    if visibility.sees_all or visibility.organisation_id is None:
        return and_(Comment.round_id == round_.id, comment_visibility(viewer, now))
    allowed = list(
        session.scalars(
            select(RoundVisibility.author_group_id).where(
                RoundVisibility.round_id == round_.id,
                RoundVisibility.viewer_group_id == visibility.group_id,
                RoundVisibility.stage.in_(stages_reached(round_.phase(now))),
            )
        )
    )
    rule_allows = Comment.stakeholder_group_id.in_(allowed)
    return and_(Comment.round_id == round_.id, _readable(visibility, viewer.id, now, rule_allows))


def comment_visibility_then(member_id: int, then: VisibilityClass, ranks: dict[int, int]) -> Any:
    """The SQL condition on Comment for what a person saw under an earlier state: their
    visibility class then and the stage rank each round had reached then (rounds not named
    were not visible). The rule of `comment_visibility`, with the stages given instead of read
    from the clock; comment statuses are today's. Digests list comments that are visible now
    and were not then (`consult.digests`)."""
    if then.sees_all:
        return Comment.status.in_(SUBMITTED)
    if not ranks:
        return false()
    if then.organisation_id is None:  # published public rounds only
        published_then = [round_id for round_id, rank in ranks.items() if rank >= PUBLISHED_RANK]
        return and_(Comment.round_id.in_(published_then), _readable(then, member_id, None))
    by_rank: dict[int, list[int]] = {}
    for round_id, rank in ranks.items():
        by_rank.setdefault(rank, []).append(round_id)
    cells = [
        and_(
            Comment.round_id.in_(round_ids),
            exists(
                select(RoundVisibility.id).where(
                    RoundVisibility.round_id == Comment.round_id,
                    RoundVisibility.viewer_group_id == then.group_id,
                    RoundVisibility.author_group_id == Comment.stakeholder_group_id,
                    RoundVisibility.stage.in_(STAGE_ORDER[:rank]),
                )
            ),
        )
        for rank, round_ids in sorted(by_rank.items())
        if rank > 0
    ]
    return and_(Comment.round_id.in_(list(ranks)), _readable(then, member_id, None, or_(false(), *cells)))


def _readable(visibility: VisibilityClass, viewer_id: int | None, now: datetime | None, rule_allows: Any = None) -> Any:
    """Which comments of the rounds a viewer (not staff) may see they may read. `rule_allows`
    replaces the per-row look-up of the round's rule where the caller has the cells already."""
    own = Comment.author_id == viewer_id if viewer_id is not None and visibility.signed_in else false()
    accepted = and_(Comment.status.in_(ACCEPTED), Comment.hidden_at.is_(None))
    if visibility.organisation_id is None:
        # Anonymous visitors (and accounts without a group): published public rounds only,
        # and there only what every group may see (`public_rule`).
        published_public = exists(
            select(Round.id)
            .join(Consultation, Consultation.id == Round.consultation_id)
            .where(
                Round.id == Comment.round_id,
                Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED]),
                Round.results_public.is_(True),
                Consultation.is_public.is_(True),
            )
        )
        return or_(own, and_(accepted, published_public, public_rule()))
    if rule_allows is None:
        rule_allows = exists(
            select(RoundVisibility.id)
            .join(Round, Round.id == RoundVisibility.round_id)
            .where(
                Round.id == Comment.round_id,
                RoundVisibility.viewer_group_id == visibility.group_id,
                RoundVisibility.author_group_id == Comment.stakeholder_group_id,
                _stage_reached(now),
            )
        )
    colleagues = and_(
        Comment.organisation_id == visibility.organisation_id,
        Comment.status.in_(SUBMITTED),
        Comment.hidden_at.is_(None),
    )
    return or_(own, colleagues, and_(accepted, rule_allows))


def public_rule() -> Any:
    """The public reads only what every signed-in group may read: a comment whose group some
    group may never see (a "never" cell of its round's rule) is not public, even in a round
    whose results are public (signing out must not show a delegate more than signing in)."""
    return ~exists(
        select(RoundVisibility.id).where(
            RoundVisibility.round_id == Comment.round_id,
            RoundVisibility.author_group_id == Comment.stakeholder_group_id,
            RoundVisibility.stage == Stage.NEVER,
        )
    )


def sees_all_comments(user: Any) -> bool:
    """Moderators and organisers see every submitted comment, and who wrote it."""
    return as_viewer(user).visibility_class.sees_all


# --- Dispositions ---------------------------------------------------------------------------


def disposition_visibility(user: Any) -> Any:
    """The SQL condition on Disposition for the dispositions `user` may see (with their comment,
    which must be visible too: `comment_visibility`). Dispositions are drafted privately: until
    the batch is released only staff see them."""
    if sees_all_comments(user):
        return true()
    return Disposition.released_at.is_not(None)


def can_read_answer_reason(user: Any, comment: Any, phase: Phase) -> bool:
    """Who reads the reason an author gave with their answer to a disposition ("objection
    maintained because ..."): staff and the commenter's organisation while the round is
    unpublished; once its results are published, everyone who may see the comment. (The
    answer itself, satisfied or objection maintained, goes wherever the disposition goes.)"""
    if phase in (Phase.PUBLISHED, Phase.ARCHIVED):
        return True
    viewer = as_viewer(user)
    visibility = viewer.visibility_class
    if visibility.sees_all:
        return True
    return visibility.organisation_id is not None and visibility.organisation_id == comment.organisation_id


def acknowledgeable(user: Any) -> Any:
    """The SQL condition on Comment for the comments whose released dispositions `user` may
    answer (satisfied / objection maintained): their own, and a focal point's organisation's
    (the rule of `can(DISPOSITION_ACKNOWLEDGE, comment)`)."""
    viewer = as_viewer(user)
    if not has_permission(viewer, Permission.DISPOSITION_ACKNOWLEDGE) or viewer.id is None:
        return false()
    if has_permission(viewer, Permission.COMMENT_SIGNOFF) and viewer.organisation_id is not None:
        return or_(Comment.author_id == viewer.id, Comment.organisation_id == viewer.organisation_id)
    return Comment.author_id == viewer.id


# --- Notifications ----------------------------------------------------------------------------

# Notices that speak of a task only some roles have: their reader must still hold one of these
# permissions to read them (a moderator who became an administrator no longer reads what waits
# for moderators, nor its reasons). Kinds not named here are for everyone they were sent to.
NOTICE_READERS: dict[str, tuple[Permission, ...]] = {
    "round_submitted": (Permission.ROUND_APPROVE,),
    "publication_requested": (Permission.ROUND_PUBLISH,),
    "round_sent_back": (Permission.ROUND_PREPARE, Permission.ROUND_REQUEST_PUBLICATION),
    "round_approved": (Permission.ROUND_PREPARE,),
    "objection_maintained": (Permission.DISPOSITION_MANAGE,),
    "comment_waiting": (Permission.COMMENT_SIGNOFF, Permission.COMMENT_MODERATE),
}


def notification_visibility(user: Any, now: datetime | None = None) -> Any:
    """The SQL condition on Notification for the notifications `user` may read now: their own,
    of a kind they may still read, about a round and a comment they may see now. The bell's
    count and the notifications page use it alike, so no count includes what a list hides."""
    viewer = as_viewer(user)
    if viewer.id is None or not has_permission(viewer, Permission.NOTIFICATION_READ):
        return false()
    barred = [kind for kind, needs in NOTICE_READERS.items() if not any(has_permission(viewer, p) for p in needs)]
    round_seen = exists(select(Round.id).where(Round.id == Notification.round_id, round_visibility(viewer)))
    comment_seen = exists(
        select(Comment.id).where(Comment.id == Notification.comment_id, comment_visibility(viewer, now))
    )
    return and_(
        Notification.user_id == viewer.id,
        Notification.kind.not_in(barred) if barred else true(),
        or_(Notification.round_id.is_(None), round_seen),
        or_(Notification.comment_id.is_(None), comment_seen),
    )
