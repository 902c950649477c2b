"""Every authorization decision of consult.

Permissions are an enum; roles map to permissions in ROLE_PERMISSIONS; `can()` answers views
and templates, `require()` guards services. Rules that depend on context (which roles an
actor may hand out) live here too, so that forms offer exactly the choices policy allows.
"""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

from consult.auth.models import Role, User
from consult.errors import NotAllowed


class Permission(enum.StrEnum):
    """What an action needs; values read `<subject>:<verb>`."""

    ACCOUNT_MANAGE = "account:manage"
    CONSULTATION_VIEW = "consultation:view"
    CONSULTATION_MANAGE = "consultation:manage"
    INVITATION_CREATE = "invitation:create"
    INVITATION_LIST = "invitation:list"
    INVITATION_REVOKE = "invitation:revoke"
    USER_LIST = "user:list"
    USER_MANAGE = "user:manage"
    ORGANISATION_MANAGE = "organisation:manage"
    STAKEHOLDER_GROUP_MANAGE = "stakeholder_group:manage"
    AUDIT_READ = "audit:read"
    ADMIN_AREA = "admin:enter"
    DRAFT_MANAGE = "draft:manage"
    ROUND_PREPARE = "round:prepare"
    ROUND_APPROVE = "round:approve"
    ROUND_MODERATE = "round:moderate"  # close early, extend, reopen
    ROUND_REQUEST_PUBLICATION = "round:request_publication"
    ROUND_PUBLISH = "round:publish"
    ROUND_VIEW_UNAPPROVED = "round:view_unapproved"
    COMMENT_CREATE = "comment:create"
    COMMENT_SIGNOFF = "comment:signoff"
    COMMENT_MODERATE = "comment:moderate"
    COMMENT_VIEW_ALL = "comment:view_all"
    COMMENT_REPORT = "comment:report"
    COMMENT_HIDE = "comment:hide"
    REPORT_HANDLE = "report:handle"
    DISPOSITION_MANAGE = "disposition:manage"  # record and release the secretariat's answers
    DISPOSITION_ACKNOWLEDGE = "disposition:acknowledge"  # satisfied / objection maintained
    DIGEST_SEND = "digest:send"


_PERSON = {Permission.ACCOUNT_MANAGE, Permission.CONSULTATION_VIEW, Permission.COMMENT_REPORT}
_SPEAKER = _PERSON | {Permission.COMMENT_CREATE, Permission.DISPOSITION_ACKNOWLEDGE}
_STAFF = _PERSON | {Permission.ADMIN_AREA, Permission.USER_LIST}
_SEES_ALL = {Permission.COMMENT_VIEW_ALL, Permission.ROUND_VIEW_UNAPPROVED}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PARTICIPANT: frozenset(_SPEAKER),
    Role.FOCAL_POINT: frozenset(_SPEAKER | {Permission.COMMENT_SIGNOFF}),
    Role.MODERATOR: frozenset(
        _PERSON
        | _SEES_ALL
        | {
            Permission.ROUND_APPROVE,
            Permission.ROUND_MODERATE,
            Permission.ROUND_PUBLISH,
            Permission.COMMENT_MODERATE,
            Permission.COMMENT_HIDE,
            Permission.REPORT_HANDLE,
        }
    ),
    Role.ORGANISER: frozenset(
        _STAFF
        | _SEES_ALL
        | {
            Permission.CONSULTATION_MANAGE,
            Permission.DRAFT_MANAGE,
            Permission.ROUND_PREPARE,
            Permission.ROUND_REQUEST_PUBLICATION,
            Permission.DISPOSITION_MANAGE,
            Permission.INVITATION_CREATE,
            Permission.INVITATION_LIST,
            Permission.INVITATION_REVOKE,
            Permission.ORGANISATION_MANAGE,
            Permission.DIGEST_SEND,
        }
    ),
    # Administrators run the platform; they do not take part in, moderate or read consultations'
    # unpublished input (least privilege: the secretariat and moderators do that).
    Role.ADMIN: frozenset(
        _STAFF
        | {
            Permission.USER_MANAGE,
            Permission.ORGANISATION_MANAGE,
            Permission.STAKEHOLDER_GROUP_MANAGE,
            Permission.AUDIT_READ,
            Permission.INVITATION_CREATE,
            Permission.INVITATION_LIST,
            Permission.INVITATION_REVOKE,
        }
    ),
}

# Which roles an actor may give to others (by invitation or role change).
ASSIGNABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.ORGANISER: (Role.PARTICIPANT, Role.FOCAL_POINT),
    Role.ADMIN: tuple(Role),
}

# Roles that speak for an organisation and must belong to one.
ORGANISATION_ROLES = frozenset({Role.PARTICIPANT, Role.FOCAL_POINT})

ROLE_LABELS = {
    Role.PARTICIPANT: _l("Participant"),
    Role.FOCAL_POINT: _l("Focal point"),
    Role.MODERATOR: _l("Moderator"),
    Role.ORGANISER: _l("Organiser"),
    Role.ADMIN: _l("Administrator"),
}


def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def has_permission(user: Any, permission: Permission) -> bool:
    """Whether the user's role grants `permission` (anonymous users have none)."""
    if not _authenticated(user):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def assignable_roles(actor: Any) -> tuple[Role, ...]:
    """The roles `actor` may give to someone else."""
    if not _authenticated(actor):
        return ()
    return ASSIGNABLE_ROLES.get(actor.role, ())


def can(user: Any, permission: Permission | str, subject: Any = None) -> bool:
    """Whether `user` may do `permission` (to `subject`, where the rule looks at it)."""
    permission = Permission(permission)
    if not has_permission(user, permission):
        return False
    if permission in (Permission.INVITATION_CREATE, Permission.USER_MANAGE) and subject is not None:
        role = subject.role if isinstance(subject, User) else subject
        if role not in assignable_roles(user):
            return False
        if isinstance(subject, User) and subject.id == user.id:
            return False  # nobody changes their own role or deactivates themselves
    if permission in (Permission.ROUND_APPROVE, Permission.ROUND_PUBLISH) and subject is not None:
        # Four eyes: whoever prepared a round, or asked for its publication, does not approve it.
        if getattr(subject, "prepared_by_id", None) == user.id:
            return False
        if permission is Permission.ROUND_PUBLISH and subject.publication_requested_by_id == user.id:
            return False
    if permission is Permission.COMMENT_SIGNOFF and subject is not None:
        return subject.organisation_id == user.organisation_id and subject.author_id != user.id
    if permission is Permission.DISPOSITION_ACKNOWLEDGE and subject is not None:
        # `subject` is the comment: its author answers, or the focal point of its organisation.
        if subject.author_id == user.id:
            return True
        return user.role is Role.FOCAL_POINT and subject.organisation_id == user.organisation_id
    return True


def require(user: Any, permission: Permission | str, subject: Any = None) -> None:
    """Raise NotAllowed unless `can(user, permission, subject)`."""
    if not can(user, permission, subject):
        raise NotAllowed(_l("You do not have permission to do this."))


def visible_consultations(stmt: Any, user: Any) -> Any:
    """Filter a select of Consultation to those `user` may see (anonymous: public ones)."""
    from consult.consultations.models import Consultation

    if has_permission(user, Permission.CONSULTATION_VIEW):
        return stmt
    return stmt.where(Consultation.is_public.is_(True))


def can_read_consultation(user: Any, consultation: Any) -> bool:
    """Whether `user` may read `consultation` and its drafts (anonymous: public ones only)."""
    if consultation is None:
        return False
    return has_permission(user, Permission.CONSULTATION_VIEW) or bool(consultation.is_public)


# --- Comments and rounds: who sees what, as SQL --------------------------------------------


def sees_all_comments(user: Any) -> bool:
    """Moderators and organisers see every submitted comment, and who wrote it."""
    return has_permission(user, Permission.COMMENT_VIEW_ALL)


def _stage_reached(now: Any) -> Any:
    from sqlalchemy import and_, or_

    from consult.rounds.models import Round, RoundStatus, RoundVisibility, Stage

    published = Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED])
    opened = and_(Round.status == RoundStatus.APPROVED, Round.opens_at <= now)
    closed = and_(Round.status == RoundStatus.APPROVED, Round.closes_at <= now)
    return or_(
        and_(RoundVisibility.stage == Stage.WHILE_OPEN, or_(opened, published)),
        and_(RoundVisibility.stage == Stage.AFTER_CLOSE, or_(closed, published)),
        and_(RoundVisibility.stage == Stage.AFTER_PUBLICATION, published),
    )


def comment_visibility(user: Any, now: Any = None) -> Any:
    """The SQL condition on Comment for the comments `user` may see at `now`.

    The one place that decides it: pages, counts, the matrix, exports, digests and the API all
    filter with this condition (through `visible_comments`).
    """
    from sqlalchemy import and_, exists, select

    from consult.comments.models import Comment, CommentStatus
    from consult.db import utcnow
    from consult.rounds.models import Round

    now = now or utcnow()
    if sees_all_comments(user):
        return Comment.status.not_in([CommentStatus.DRAFT, CommentStatus.WITHDRAWN])
    # Nobody sees anything of a round they may not see, not even their own comments in it.
    return and_(
        exists(select(Round.id).where(Round.id == Comment.round_id, round_visibility(user))),
        _comment_rule(user, now),
    )


def _comment_rule(user: Any, now: Any, rule_allows: Any = None) -> Any:
    """Which comments of the rounds `user` may see they may read (`user` not staff).

    `rule_allows` replaces the per-row look-up of the round's rule where the caller has read
    the rule's cells for one round already (`comment_visibility_in_round`)."""
    from sqlalchemy import and_, exists, false, or_, select

    from consult.comments.models import Comment, CommentStatus
    from consult.consultations.models import Consultation
    from consult.rounds.models import Round, RoundStatus, RoundVisibility

    public_and_accepted = and_(Comment.status == CommentStatus.ACCEPTED, Comment.hidden_at.is_(None))
    if not _authenticated(user) or user.organisation_id is None:
        # Anonymous visitors (and accounts without a group): published public rounds only.
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
        own = Comment.author_id == user.id if _authenticated(user) else false()
        return or_(own, and_(public_and_accepted, published_public))
    group_id = user.organisation.stakeholder_group_id
    rule_allows = (
        rule_allows
        if rule_allows is not None
        else exists(
            select(RoundVisibility.id)
            .join(Round, Round.id == RoundVisibility.round_id)
            .where(
                Round.id == Comment.round_id,
                RoundVisibility.viewer_group_id == group_id,
                RoundVisibility.author_group_id == Comment.stakeholder_group_id,
                _stage_reached(now),
            )
        )
    )
    colleagues = and_(
        Comment.organisation_id == user.organisation_id,
        Comment.status.in_(
            [
                CommentStatus.AWAITING_SIGNOFF,
                CommentStatus.AWAITING_MODERATION,
                CommentStatus.ACCEPTED,
                CommentStatus.REJECTED,
            ]
        ),
        Comment.hidden_at.is_(None),
    )
    return or_(Comment.author_id == user.id, colleagues, and_(public_and_accepted, rule_allows))


# The stages a round in each phase has reached (as `_stage_reached` decides in SQL).
_REACHED = {
    "open": ("while_open",),
    "closed": ("while_open", "after_close"),
    "published": ("while_open", "after_close", "after_publication"),
    "archived": ("while_open", "after_close", "after_publication"),
}


def comment_visibility_in_round(session: Any, user: Any, round_: Any, now: Any = None) -> Any:
    """`comment_visibility` for the comments of one round that `user` may see (the caller has
    checked the round with `visible_rounds`): the same rule, with the round's rule cells read
    once instead of looked up for every row, for pages that list one round's comments."""
    from sqlalchemy import and_, select

    from consult.comments.models import Comment
    from consult.db import utcnow
    from consult.rounds.models import RoundVisibility, Stage

    now = now or utcnow()
    if sees_all_comments(user) or not _authenticated(user) or user.organisation_id is None:
        return and_(Comment.round_id == round_.id, comment_visibility(user, now))
    reached = [Stage(s) for s in _REACHED.get(round_.phase(now).value, ())]
    allowed = list(
        session.scalars(
            select(RoundVisibility.author_group_id).where(
                RoundVisibility.round_id == round_.id,
                RoundVisibility.viewer_group_id == user.organisation.stakeholder_group_id,
                RoundVisibility.stage.in_(reached),
            )
        )
    )
    return and_(
        Comment.round_id == round_.id,
        _comment_rule(user, now, rule_allows=Comment.stakeholder_group_id.in_(allowed)),
    )


def stage_rank(round_: Any, now: Any) -> int:
    """How many of the stages while_open, after_close, after_publication the round has reached
    at `now` (0-3), as `_stage_reached` decides: what a digest cursor remembers of a round."""
    return len(_REACHED.get(round_.phase(now).value, ()))


def comment_visibility_then(member_id: int, then_class: Any, ranks: dict[int, int]) -> Any:
    """The SQL condition on Comment for what a person saw under an earlier state: their
    visibility class then (`visibility_class`) and the stage rank each round had reached then
    (`stage_rank`; rounds not named were not visible). The rule of `comment_visibility`, with
    the stages given instead of read from the clock; comment statuses are today's. Digests list
    comments that are visible now and were not then (`consult.digests`)."""
    from sqlalchemy import and_, exists, false, or_, select

    from consult.comments.models import Comment, CommentStatus
    from consult.rounds.models import RoundVisibility, Stage

    sees_all, _unapproved, organisation_id, group_id = then_class
    if sees_all:
        return Comment.status.not_in([CommentStatus.DRAFT, CommentStatus.WITHDRAWN])
    if not ranks:
        return false()
    if organisation_id is None:  # published public rounds only (`_comment_rule`)
        published_then = [r for r, rank in ranks.items() if rank >= len(_REACHED["published"])]
        return and_(Comment.round_id.in_(published_then), _comment_rule(_Then(member_id, None, None), None))
    by_rank: dict[int, list[int]] = {}
    for round_id, rank in ranks.items():
        by_rank.setdefault(rank, []).append(round_id)
    order = _REACHED["published"]
    cells = [
        and_(
            Comment.round_id.in_(round_ids),
            exists(
                select(RoundVisibility.id).where(
                    RoundVisibility.round_id == Comment.round_id,
                    RoundVisibility.viewer_group_id == group_id,
                    RoundVisibility.author_group_id == Comment.stakeholder_group_id,
                    RoundVisibility.stage.in_([Stage(s) for s in order[:rank]]),
                )
            ),
        )
        for rank, round_ids in sorted(by_rank.items())
        if rank > 0
    ]
    member = _Then(member_id, organisation_id, group_id)
    return and_(Comment.round_id.in_(list(ranks)), _comment_rule(member, None, rule_allows=or_(false(), *cells)))


class _Then:
    """A signed-in stand-in with an earlier organisation and group (for `comment_visibility_then`)."""

    is_authenticated = True
    is_active = True

    def __init__(self, member_id: int, organisation_id: int | None, group_id: int | None) -> None:
        self.id = member_id
        self.organisation_id = organisation_id
        self.organisation = _Organisation(group_id)


class _Organisation:
    def __init__(self, group_id: int | None) -> None:
        self.stakeholder_group_id = group_id


def visibility_class(user: Any) -> tuple:
    """People with equal classes see the same comments and rounds, apart from their own
    comments (the `author_id` term of `comment_visibility`) and, in attribution, their own
    authorship. Digests build one filtered query per class instead of one per recipient; keep
    this in step with `comment_visibility`, `round_visibility` and `can_see_attribution`."""
    if not _authenticated(user):
        return ("anonymous",)
    group_id = user.organisation.stakeholder_group_id if user.organisation_id is not None else None
    return (
        sees_all_comments(user),
        has_permission(user, Permission.ROUND_VIEW_UNAPPROVED),
        user.organisation_id,
        group_id,
    )


def visibility_key(user: Any) -> tuple:
    """Everything about `user` that `comment_visibility` and `can_see_attribution` read: two
    people with equal keys see the same comments with the same bylines. The round page's cache
    keys on it (with the round's revision); keep it in step with those two functions."""
    if not _authenticated(user):
        return ("anonymous",)
    group_id = user.organisation.stakeholder_group_id if user.organisation_id is not None else None
    return (user.id, user.role, user.organisation_id, group_id)


class _ClassMember:
    """A signed-in stand-in that authored nothing, with `user`'s role and organisation."""

    is_authenticated = True
    is_active = True
    id = -1

    def __init__(self, user: Any) -> None:
        self.role = user.role
        self.organisation_id = user.organisation_id
        self.organisation = user.organisation


def class_member(user: Any) -> Any:
    """Someone in `user`'s visibility class who wrote nothing: what they may see is what every
    member of the class sees, apart from each member's own comments."""
    return _ClassMember(user) if _authenticated(user) else user


def visible_comments(stmt: Any, user: Any, now: Any = None) -> Any:
    """Filter a select over Comment to what `user` may see at `now`."""
    return stmt.where(comment_visibility(user, now))


def disposition_visibility(user: Any) -> Any:
    """The SQL condition on Disposition for the dispositions `user` may see (with their comment).

    Dispositions are drafted privately: until the batch is released only moderators and
    organisers see them. The comment itself must be visible too (`comment_visibility`).
    """
    from consult.dispositions.models import Disposition

    if sees_all_comments(user):
        return Disposition.id.is_not(None)
    return Disposition.released_at.is_not(None)


def round_visibility(user: Any) -> Any:
    """The SQL condition on Round for the rounds `user` may see."""
    from sqlalchemy import and_, exists, select

    from consult.consultations.models import Consultation
    from consult.rounds.models import Round, RoundStatus

    if has_permission(user, Permission.ROUND_VIEW_UNAPPROVED):
        return Round.id.is_not(None)
    if _authenticated(user):
        return Round.status.not_in([RoundStatus.DRAFT, RoundStatus.PENDING_APPROVAL])
    return and_(
        Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED]),
        Round.results_public.is_(True),
        exists(select(Consultation.id).where(Consultation.id == Round.consultation_id, Consultation.is_public)),
    )


def visible_rounds(stmt: Any, user: Any) -> Any:
    """Filter a select over Round to those `user` may see."""
    return stmt.where(round_visibility(user))


def can_see_attribution(user: Any, comment: Any, level: str) -> bool:
    """Whether `user` may see the comment's `level` of authorship ("person" or "organisation")."""
    from consult.comments.models import Attribution

    if sees_all_comments(user) or (_authenticated(user) and comment.author_id == user.id):
        return True
    if _authenticated(user) and user.organisation_id == comment.organisation_id:
        return True
    if level == "person":
        return comment.attribution is Attribution.PERSON
    return comment.attribution in (Attribution.PERSON, Attribution.ORGANISATION)


def attribution_visibility(user: Any, level: str) -> Any:
    """`can_see_attribution` as an SQL condition on Comment: the comments whose `level` of
    authorship ("person" or "organisation") `user` may know. Filters by organisation or person
    (search, the API) add it, so that a filter never reveals who is behind a comment whose
    author showed only their stakeholder group."""
    from sqlalchemy import or_, true

    from consult.comments.models import Attribution, Comment

    if sees_all_comments(user):
        return true()
    levels = [Attribution.PERSON] if level == "person" else [Attribution.PERSON, Attribution.ORGANISATION]
    terms = [Comment.attribution.in_(levels)]
    if _authenticated(user):
        terms.append(Comment.author_id == user.id)
        if user.organisation_id is not None:
            terms.append(Comment.organisation_id == user.organisation_id)
    return or_(*terms)
