"""Fixtures of the comment suite."""

import pytest

from consult.auth.models import Role
from tests import factories


@pytest.fixture
def colleague(session, people):
    """A second participant of the governments organisation (the focal point's organisation)."""
    user = factories.make_user(
        session, Role.PARTICIPANT, people.organisations["governments"], email="colleague@example.org"
    )
    session.commit()
    return user


@pytest.fixture
def other_focal_point(session, people):
    """The focal point of another organisation (industry)."""
    user = factories.make_user(session, Role.FOCAL_POINT, people.organisations["industry"], email="focal2@example.org")
    session.commit()
    return user
