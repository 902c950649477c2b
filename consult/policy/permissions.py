"""Permissions: what each role may do, and the rules that look at the subject.

Permissions are an enum; roles map to permissions in ROLE_PERMISSIONS; `can()` answers views
and templates, `require()` guards services. Rules that depend on context (which roles an
actor may hand out, four eyes on approval) live here too, so that forms offer exactly the
choices policy allows.
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
    SECOND_FACTOR_RESET = "second_factor:reset"  # an administrator clears someone's second factors
    NOTIFICATION_READ = "notification:read"  # one's own notifications in the app
    MODERATION_VIEW = "moderation:view"  # read the moderation queue (acting needs COMMENT_MODERATE)


_PERSON = {
    Permission.ACCOUNT_MANAGE,
    Permission.CONSULTATION_VIEW,
    Permission.COMMENT_REPORT,
    Permission.NOTIFICATION_READ,
}
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
            Permission.MODERATION_VIEW,
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
            # The secretariat reads what holds its rounds (the moderators act on it).
            Permission.MODERATION_VIEW,
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
            Permission.SECOND_FACTOR_RESET,
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


def authenticated(user: Any) -> bool:
    """Whether `user` (a user or a viewer) is a signed-in, active person."""
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def has_role_permission(role: Role | None, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def has_permission(user: Any, permission: Permission) -> bool:
    """Whether the user's role grants `permission` (anonymous users have none)."""
    return authenticated(user) and has_role_permission(user.role, permission)


def roles_with(permission: Permission) -> list[Role]:
    """The roles that grant `permission` (who is told of what needs that permission)."""
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


def assignable_roles(actor: Any) -> tuple[Role, ...]:
    """The roles `actor` may give to someone else."""
    if not authenticated(actor):
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
    if permission is Permission.SECOND_FACTOR_RESET and isinstance(subject, User) and subject.id == user.id:
        return False  # an administrator who lost theirs asks another administrator
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
        return has_permission(user, Permission.COMMENT_SIGNOFF) and subject.organisation_id == user.organisation_id
    return True


def require(user: Any, permission: Permission | str, subject: Any = None) -> None:
    """Raise NotAllowed unless `can(user, permission, subject)`."""
    if not can(user, permission, subject):
        raise NotAllowed(_l("You do not have permission to do this."))
