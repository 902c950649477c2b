"""The policy table: what each role may do, whom it may appoint, and who may do nothing."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from consult import policy
from consult.auth.models import Role, User
from consult.consultations.models import Consultation
from consult.errors import NotAllowed
from consult.policy import Permission as P
from tests.factories import make_consultation, make_user

PERSON = {P.ACCOUNT_MANAGE, P.CONSULTATION_VIEW, P.COMMENT_REPORT, P.NOTIFICATION_READ}
SPEAKER = PERSON | {P.COMMENT_CREATE, P.DISPOSITION_ACKNOWLEDGE}
EXPECTED_PERMISSIONS = {
    Role.PARTICIPANT: SPEAKER,
    Role.FOCAL_POINT: SPEAKER | {P.COMMENT_SIGNOFF},
    Role.MODERATOR: PERSON
    | {
        P.COMMENT_VIEW_ALL,
        P.ROUND_VIEW_UNAPPROVED,
        P.ROUND_APPROVE,
        P.ROUND_MODERATE,
        P.ROUND_PUBLISH,
        P.COMMENT_MODERATE,
        P.COMMENT_HIDE,
        P.REPORT_HANDLE,
        P.MODERATION_VIEW,
    },
    Role.ORGANISER: PERSON
    | {
        P.ADMIN_AREA,
        P.USER_LIST,
        P.COMMENT_VIEW_ALL,
        P.ROUND_VIEW_UNAPPROVED,
        P.CONSULTATION_MANAGE,
        P.DRAFT_MANAGE,
        P.ROUND_PREPARE,
        P.ROUND_REQUEST_PUBLICATION,
        P.DISPOSITION_MANAGE,
        P.INVITATION_CREATE,
        P.INVITATION_LIST,
        P.INVITATION_REVOKE,
        P.ORGANISATION_MANAGE,
        P.DIGEST_SEND,
        P.MODERATION_VIEW,  # reads the queue that holds its rounds; acting stays the moderators'
    },
    # Administrators run the platform; they do not read unpublished consultation input.
    Role.ADMIN: PERSON
    | {
        P.INVITATION_CREATE,
        P.INVITATION_LIST,
        P.INVITATION_REVOKE,
        P.USER_LIST,
        P.USER_MANAGE,
        P.ORGANISATION_MANAGE,
        P.STAKEHOLDER_GROUP_MANAGE,
        P.AUDIT_READ,
        P.ADMIN_AREA,
        P.SECOND_FACTOR_RESET,  # of others, with a reason (issue 17)
    },
}


def person(role: Role, user_id: int = 1, active: bool = True) -> User:
    """A user in memory: the policy needs no database to decide."""
    return User(
        id=user_id,
        email=f"{role.value}@example.org",
        display_name=role.value,
        role=role,
        is_active_flag=active,
    )


def test_every_role_is_in_the_table():
    assert set(policy.ROLE_PERMISSIONS) == set(Role) == set(EXPECTED_PERMISSIONS)


@pytest.mark.parametrize("role", list(Role))
def test_role_permissions(role):
    assert set(policy.ROLE_PERMISSIONS[role]) == EXPECTED_PERMISSIONS[role]


@pytest.mark.parametrize("role", list(Role))
def test_can_follows_the_table(role):
    user = person(role)
    granted = {p for p in P if policy.can(user, p)}
    assert granted == EXPECTED_PERMISSIONS[role]
    assert {p for p in P if policy.can(user, p.value)} == granted  # the string form answers alike


@pytest.mark.parametrize("permission", list(P))
def test_anonymous_and_nobody_may_do_nothing(permission):
    assert policy.can(AnonymousUserMixin(), permission) is False
    assert policy.can(None, permission) is False


@pytest.mark.parametrize("role", list(Role))
def test_a_disabled_account_may_do_nothing(role):
    user = person(role, active=False)
    assert [p for p in P if policy.can(user, p)] == []
    assert policy.assignable_roles(user) == ()


def test_unknown_permission_is_an_error():
    with pytest.raises(ValueError):
        policy.can(person(Role.ADMIN), "everything:do")


@pytest.mark.parametrize(
    ("role", "assignable"),
    [
        (Role.PARTICIPANT, ()),
        (Role.FOCAL_POINT, ()),
        (Role.MODERATOR, ()),
        (Role.ORGANISER, (Role.PARTICIPANT, Role.FOCAL_POINT)),
        (Role.ADMIN, (Role.PARTICIPANT, Role.FOCAL_POINT, Role.MODERATOR, Role.ORGANISER, Role.ADMIN)),
    ],
)
def test_assignable_roles(role, assignable):
    assert policy.assignable_roles(person(role)) == assignable
    assert policy.assignable_roles(AnonymousUserMixin()) == ()


@pytest.mark.parametrize("role", list(Role))
def test_organiser_invites_only_participants_and_focal_points(role):
    expected = role in (Role.PARTICIPANT, Role.FOCAL_POINT)
    assert policy.can(person(Role.ORGANISER), P.INVITATION_CREATE, role) is expected
    assert policy.can(person(Role.ADMIN), P.INVITATION_CREATE, role) is True


def test_nobody_changes_their_own_role():
    admin = person(Role.ADMIN, user_id=7)
    assert policy.can(admin, P.USER_MANAGE, admin) is False
    assert policy.can(admin, P.USER_MANAGE, person(Role.ADMIN, user_id=8)) is True
    assert policy.can(admin, P.USER_MANAGE, person(Role.PARTICIPANT, user_id=9)) is True
    assert policy.can(admin, P.USER_MANAGE) is True  # the page itself is open to admins


def test_organiser_manages_no_accounts():
    organiser = person(Role.ORGANISER, user_id=7)
    assert policy.can(organiser, P.USER_MANAGE, person(Role.PARTICIPANT, user_id=9)) is False
    assert policy.can(organiser, P.USER_MANAGE, Role.PARTICIPANT) is False


def test_require_raises_not_allowed():
    admin = person(Role.ADMIN, user_id=7)
    with pytest.raises(NotAllowed):
        policy.require(admin, P.USER_MANAGE, admin)
    with pytest.raises(NotAllowed):
        policy.require(person(Role.PARTICIPANT), P.ADMIN_AREA)
    with pytest.raises(NotAllowed):
        policy.require(AnonymousUserMixin(), P.CONSULTATION_VIEW)
    assert NotAllowed.status == 403
    assert policy.require(admin, P.AUDIT_READ) is None


def test_role_labels_cover_every_role():
    assert set(policy.ROLE_LABELS) == set(Role)
    assert str(policy.ROLE_LABELS[Role.FOCAL_POINT]) == "Focal point"


def test_organisation_roles():
    assert policy.ORGANISATION_ROLES == {Role.PARTICIPANT, Role.FOCAL_POINT}


def test_visible_consultations(session, people):
    public = make_consultation(session, title="Public")
    hidden = make_consultation(session, public=False, title="Hidden")
    session.commit()

    def seen(user) -> set[int]:
        return set(session.scalars(policy.visible_consultations(select(Consultation.id), user)))

    assert seen(AnonymousUserMixin()) == {public.id}
    assert seen(make_user(session, Role.MODERATOR, active=False)) == {public.id}
    for name in people.by_name:
        assert seen(people[name]) == {public.id, hidden.id}, name


def test_second_factors_are_required_of_the_roles_that_hold_unpublished_input(app):
    with app.app_context():
        required = {role for role in Role if policy.requires_second_factor(person(role))}
        assert required == {Role.MODERATOR, Role.ORGANISER, Role.ADMIN}
        assert not policy.may_remember_browser(person(Role.ADMIN))
        assert all(policy.may_remember_browser(person(r)) for r in Role if r is not Role.ADMIN)
        app.config["SECOND_FACTOR_ROLES"] = ("participant", "admin")
        assert {role for role in Role if policy.requires_second_factor(person(role))} == {Role.PARTICIPANT, Role.ADMIN}


def test_an_administrator_resets_others_second_factor_not_their_own():
    admin, other = person(Role.ADMIN, 1), person(Role.MODERATOR, 2)
    assert policy.can(admin, P.SECOND_FACTOR_RESET, other)
    assert not policy.can(admin, P.SECOND_FACTOR_RESET, admin)
    assert not policy.can(person(Role.ORGANISER, 3), P.SECOND_FACTOR_RESET, other)
