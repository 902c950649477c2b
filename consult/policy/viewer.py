"""Who is looking: one typed value per viewer, from which every visibility decision, the round
page's cache key and the digests' visibility class are derived.

A `Viewer` is built once from a user (`as_viewer`), detached from any database session, so a
streamed export or a digest run can carry it beyond the request. Policy functions accept a
`Viewer` or anything user-like (the signed-in user, Flask-Login's anonymous user) and turn it
into a `Viewer` first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from consult.auth.models import Role
from consult.policy.permissions import Permission, has_role_permission


@dataclass(frozen=True, slots=True)
class VisibilityClass:
    """What decides which comments and rounds someone sees, apart from their own comments and
    their own authorship: people of one class see the same. Digests build their content once
    per class; a digest cursor remembers the class it was computed under (`to_json`)."""

    signed_in: bool = False
    sees_all: bool = False  # every submitted comment, and who wrote it (staff)
    sees_unapproved: bool = False  # rounds before approval (staff)
    organisation_id: int | None = None
    group_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VisibilityClass:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Viewer:
    """A person as policy sees them: no role means anonymous (or a disabled account)."""

    id: int | None = None
    role: Role | None = None
    organisation_id: int | None = None
    group_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.role is not None

    @property
    def is_active(self) -> bool:
        return self.role is not None

    @property
    def visibility_class(self) -> VisibilityClass:
        if self.role is None:
            return VisibilityClass()
        return VisibilityClass(
            signed_in=True,
            sees_all=has_role_permission(self.role, Permission.COMMENT_VIEW_ALL),
            sees_unapproved=has_role_permission(self.role, Permission.ROUND_VIEW_UNAPPROVED),
            organisation_id=self.organisation_id,
            group_id=self.group_id,
        )

    @property
    def sees_all(self) -> bool:
        return self.visibility_class.sees_all

    @property
    def cache_key(self) -> tuple:
        """Everything about the viewer that visibility and attribution read: two viewers with
        equal keys see the same comments with the same bylines (the round page's cache)."""
        return (self.id, self.role, self.organisation_id, self.group_id)

    def class_member(self) -> Viewer:
        """Someone of this viewer's class who wrote nothing: what they see, every member of the
        class sees, apart from each member's own comments."""
        return replace(self, id=None)


ANONYMOUS = Viewer()


def as_viewer(user: Any) -> Viewer:
    """The viewer value of a user (or of a viewer, returned as it is)."""
    if isinstance(user, Viewer):
        return user
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ANONYMOUS
    organisation_id = user.organisation_id
    group_id = user.organisation.stakeholder_group_id if organisation_id is not None else None
    return Viewer(user.id, user.role, organisation_id, group_id)
