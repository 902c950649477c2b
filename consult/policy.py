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


_PERSON = {Permission.ACCOUNT_MANAGE, Permission.CONSULTATION_VIEW}
_STAFF = _PERSON | {Permission.ADMIN_AREA, Permission.USER_LIST}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PARTICIPANT: frozenset(_PERSON),
    Role.FOCAL_POINT: frozenset(_PERSON),
    Role.MODERATOR: frozenset(_PERSON),
    Role.ORGANISER: frozenset(
        _STAFF
        | {
            Permission.CONSULTATION_MANAGE,
            Permission.INVITATION_CREATE,
            Permission.INVITATION_LIST,
            Permission.INVITATION_REVOKE,
            Permission.ORGANISATION_MANAGE,
        }
    ),
    Role.ADMIN: frozenset(Permission),
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
