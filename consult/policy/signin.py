"""Sign-in rules: who must have a second factor, and who may have a browser remembered."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from consult.auth.models import Role

# Roles that must have a second factor when CONSULT_SECOND_FACTOR_ROLES does not say otherwise.
DEFAULT_SECOND_FACTOR_ROLES = (Role.MODERATOR, Role.ORGANISER, Role.ADMIN)


def second_factor_roles() -> frozenset[Role]:
    """The roles that must sign in with a second factor (the `SECOND_FACTOR_ROLES` setting)."""
    if not has_app_context():
        return frozenset(DEFAULT_SECOND_FACTOR_ROLES)
    names = current_app.config.get("SECOND_FACTOR_ROLES", [r.value for r in DEFAULT_SECOND_FACTOR_ROLES])
    known = {r.value for r in Role}
    unknown = [n for n in names if n not in known]
    if unknown:  # a misspelt role would silently let that role sign in with a password alone
        raise RuntimeError(f"SECOND_FACTOR_ROLES names unknown roles: {', '.join(unknown)}")
    return frozenset(Role(n) for n in names)


def requires_second_factor(user: Any) -> bool:
    """Whether `user`'s role must have a second factor (moderators, organisers, administrators)."""
    return getattr(user, "role", None) in second_factor_roles()


def may_remember_browser(user: Any) -> bool:
    """Whether `user` may let a browser skip the second factor for a while: never administrators,
    who hold the keys to every account."""
    return getattr(user, "role", None) is not Role.ADMIN
