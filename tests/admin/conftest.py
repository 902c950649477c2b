"""Fixtures of this suite: the root `app`, handing out isolated test clients."""

import pytest

from tests.support import isolate


@pytest.fixture
def app(app):
    """The root app; its clients run each request in its own app context (see tests/support.py)."""
    return isolate(app)
