"""Fixtures of the round suite."""

import pytest

from consult.auth.models import Role
from tests import factories


@pytest.fixture
def moderator2(session, people):
    """A second moderator (four eyes, and two moderators acting at once)."""
    user = factories.make_user(session, Role.MODERATOR, email="moderator2@example.org")
    session.commit()
    return user
