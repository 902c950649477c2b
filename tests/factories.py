"""Plain builders for tests: `make_*` functions that add rows to a session (no commit)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.auth.models import Organisation, Role, StakeholderGroup, User
from consult.auth.services import hash_password

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def group(session: Session, slug: str) -> StakeholderGroup:
    found = session.scalar(select(StakeholderGroup).where(StakeholderGroup.slug == slug))
    assert found is not None, f"no stakeholder group {slug}"
    return found


def make_organisation(session: Session, group_slug: str = "governments", name: str | None = None) -> Organisation:
    org = Organisation(
        name=name or f"Organisation {next(_seq)}", country="", stakeholder_group=group(session, group_slug)
    )
    session.add(org)
    session.flush()
    return org


def make_user(
    session: Session,
    role: Role = Role.PARTICIPANT,
    organisation: Organisation | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    name: str | None = None,
    active: bool = True,
) -> User:
    n = next(_seq)
    if role in (Role.PARTICIPANT, Role.FOCAL_POINT) and organisation is None:
        organisation = make_organisation(session)
    user = User(
        email=email or f"person{n}@example.org",
        display_name=name or f"Person {n}",
        role=role,
        organisation=organisation,
        password_hash=hash_password(password),
        is_active_flag=active,
    )
    session.add(user)
    session.flush()
    return user


@dataclass
class People:
    """Everyone the access matrices need, by name."""

    by_name: dict[str, User] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)

    def __getitem__(self, name: str) -> User:
        return self.by_name[name]


GROUP_SLUGS = ("governments", "industry", "civil-society", "academia-technical", "igo")


def make_people(session: Session) -> People:
    """A participant per stakeholder group, a government focal point, moderator, organiser, admin."""
    people = People()
    for slug in GROUP_SLUGS:
        org = make_organisation(session, slug, name=f"{slug} org")
        people.organisations[slug] = org
        people.by_name[f"participant:{slug}"] = make_user(
            session, Role.PARTICIPANT, org, email=f"{slug}@example.org", name=f"{slug} participant"
        )
    people.by_name["focal_point"] = make_user(
        session, Role.FOCAL_POINT, people.organisations["governments"], email="focal@example.org"
    )
    people.by_name["moderator"] = make_user(session, Role.MODERATOR, email="moderator@example.org")
    people.by_name["organiser"] = make_user(session, Role.ORGANISER, email="organiser@example.org")
    people.by_name["admin"] = make_user(session, Role.ADMIN, email="admin@example.org")
    return people
