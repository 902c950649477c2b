"""Administrative transitions: roles, accounts, organisations, groups, invitations."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.auth.models import Invitation, Organisation, Role, StakeholderGroup, User
from consult.db import utcnow
from consult.errors import Conflict, Invalid
from consult.policy import Permission

COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# An MB/NC code: an ISO 3166 alpha-2 code, or an organisation's own ("ECMA", "W3C-I18N").
MB_CODE_RE = re.compile(r"^[A-Z0-9](?:[A-Z0-9/&._-]{0,14}[A-Z0-9])?$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def change_role(
    session: Session,
    *,
    actor: User,
    subject: User,
    role: Role,
    organisation: Organisation | None,
    reason: str,
) -> bool:
    """Give `subject` a new role (and organisation); their sessions end. False if unchanged."""
    policy.require(actor, Permission.USER_MANAGE, subject)
    policy.require(actor, Permission.USER_MANAGE, role)
    if role in policy.ORGANISATION_ROLES and organisation is None:
        raise Invalid(_("A participant or focal point must belong to an organisation."), "organisation")
    if role not in policy.ORGANISATION_ROLES:
        organisation = None
    new_org_id = organisation.id if organisation else None
    if subject.role == role and subject.organisation_id == new_org_id:
        return False
    if not reason.strip():
        raise Invalid(_("Say why the role changes; the reason goes into the audit log."), "reason")
    before = {"role": subject.role, "organisation_id": subject.organisation_id}
    subject.role = role
    subject.organisation_id = new_org_id
    subject.end_sessions()
    audit.record(
        session,
        actor=actor,
        action="user.role_change",
        subject=subject,
        summary=f"{before['role'].value} → {role.value}",
        reason=reason.strip(),
        before_role=before["role"],
        before_organisation_id=before["organisation_id"],
        role=role,
        organisation_id=new_org_id,
    )
    return True


def set_active(session: Session, *, actor: User, subject: User, active: bool, reason: str) -> None:
    """Enable or disable an account; disabling ends its sessions."""
    policy.require(actor, Permission.USER_MANAGE, subject)
    if subject.is_active_flag == active:
        return
    if not reason.strip():
        raise Invalid(_("Say why; the reason goes into the audit log."), "reason")
    subject.is_active_flag = active
    if not active:
        subject.end_sessions()
    audit.record(
        session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        subject=subject,
        summary=subject.email,
        reason=reason.strip(),
    )


def reset_second_factor(session: Session, *, actor: User, subject: User, reason: str) -> None:
    """Remove every second factor of `subject` (a lost phone and lost codes), with a reason;
    their sessions end, remembered browsers are forgotten, and they are told by email."""
    from consult.auth import factors, notices
    from consult.auth.sessions import forget_all_browsers

    policy.require(actor, Permission.SECOND_FACTOR_RESET, subject)
    if not reason.strip():
        raise Invalid(_("Say why; the reason goes into the audit log."), "reason")
    removed = factors.clear_all(session, subject)
    forget_all_browsers(session, subject)
    subject.end_sessions()
    audit.record(
        session,
        actor=actor,
        action="user.second_factor_reset",
        subject=subject,
        summary=subject.email,
        reason=reason.strip(),
        **removed,
    )
    notices.second_factor_reset(session, subject, actor=actor)


def _check_organisation(session: Session, name: str, country: str, current_id: int | None) -> None:
    clash = session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower()))
    if clash is not None and clash != current_id:
        raise Invalid(_("An organisation with this name already exists."), "name")
    if country and not COUNTRY_RE.match(country):
        raise Invalid(_("Use a two-letter country code such as KR or HU, or leave it empty."), "country")


def _check_mb_code(session: Session, code: str | None, current_id: int | None) -> str | None:
    """The MB/NC code in capitals (None when empty); unique among organisations."""
    code = (code or "").strip().upper() or None
    if code is None:
        return None
    if not MB_CODE_RE.match(code):
        raise Invalid(
            _(
                "Use letters and digits for the MB/NC code, such as KR, or your organisation's own "
                "code such as ECMA (at most 16 characters; -, /, &, . and _ may join its parts)."
            ),
            "mb_code",
        )
    clash = session.scalar(select(Organisation.id).where(Organisation.mb_code == code))
    if clash is not None and clash != current_id:
        raise Invalid(_("Another organisation already has the MB/NC code %(code)s.", code=code), "mb_code")
    return code


def create_organisation(
    session: Session, *, actor: User, name: str, country: str, group: StakeholderGroup, mb_code: str | None = None
) -> Organisation:
    """Add an organisation to a stakeholder group."""
    policy.require(actor, Permission.ORGANISATION_MANAGE)
    country = country.strip().upper()
    _check_organisation(session, name, country, None)
    mb_code = _check_mb_code(session, mb_code, None)
    organisation = Organisation(name=name.strip(), country=country, stakeholder_group=group, mb_code=mb_code)
    session.add(organisation)
    audit.record(session, actor=actor, action="organisation.create", subject=organisation, summary=name)
    return organisation


def update_organisation(
    session: Session,
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    country: str,
    group: StakeholderGroup,
    reason: str,
    mb_code: str | None = None,
) -> None:
    """Rename an organisation, set its codes, or move it to another group (which changes what it sees).
    `mb_code` None leaves the MB/NC code as it is; "" removes it."""
    policy.require(actor, Permission.ORGANISATION_MANAGE)
    country = country.strip().upper()
    _check_organisation(session, name, country, organisation.id)
    if mb_code is not None:
        organisation.mb_code = _check_mb_code(session, mb_code, organisation.id)
    moved = organisation.stakeholder_group_id != group.id
    if moved and not reason.strip():
        raise Invalid(_("Say why the organisation moves to another stakeholder group."), "reason")
    before = {"name": organisation.name, "group_id": organisation.stakeholder_group_id}
    organisation.name = name.strip()
    organisation.country = country
    organisation.stakeholder_group = group
    if moved:
        # What its members may see changes: make them sign in again.
        for member in session.scalars(select(User).where(User.organisation_id == organisation.id)):
            member.end_sessions()
    audit.record(
        session,
        actor=actor,
        action="organisation.update",
        subject=organisation,
        summary=organisation.name,
        reason=reason.strip(),
        before_name=before["name"],
        before_group_id=before["group_id"],
        group_id=group.id,
        mb_code=organisation.mb_code,
    )


def _check_group(session: Session, name: str, slug: str, current_id: int | None) -> None:
    if not SLUG_RE.match(slug):
        raise Invalid(_("Use lower-case letters, digits and single hyphens, such as civil-society."), "slug")
    for column, value, field in (
        (StakeholderGroup.name, name.strip(), "name"),
        (StakeholderGroup.slug, slug, "slug"),
    ):
        clash = session.scalar(select(StakeholderGroup.id).where(func.lower(column) == value.lower()))
        if clash is not None and clash != current_id:
            raise Invalid(_("Another stakeholder group already uses this."), field)


def create_stakeholder_group(
    session: Session, *, actor: User, name: str, slug: str, description: str
) -> StakeholderGroup:
    """Add a stakeholder group."""
    policy.require(actor, Permission.STAKEHOLDER_GROUP_MANAGE)
    _check_group(session, name, slug, None)
    position = (session.scalar(select(func.max(StakeholderGroup.position))) or 0) + 1
    group = StakeholderGroup(name=name.strip(), slug=slug, description=description.strip(), position=position)
    session.add(group)
    audit.record(session, actor=actor, action="stakeholder_group.create", subject=group, summary=name)
    return group


def update_stakeholder_group(
    session: Session, *, actor: User, group: StakeholderGroup, name: str, slug: str, description: str
) -> None:
    """Rename or describe a stakeholder group."""
    policy.require(actor, Permission.STAKEHOLDER_GROUP_MANAGE)
    _check_group(session, name, slug, group.id)
    before = group.name
    group.name, group.slug, group.description = name.strip(), slug, description.strip()
    audit.record(
        session,
        actor=actor,
        action="stakeholder_group.update",
        subject=group,
        summary=group.name,
        before_name=before,
    )


def revoke_invitation(session: Session, *, actor: User, invitation: Invitation) -> None:
    """Withdraw a pending invitation; its link stops working."""
    policy.require(actor, Permission.INVITATION_REVOKE)
    if not invitation.is_pending(utcnow()):
        raise Conflict(_("This invitation is no longer pending."))
    invitation.revoked_at = utcnow()
    audit.record(session, actor=actor, action="invitation.revoke", subject=invitation, summary=invitation.email)
