"""Fixtures of this suite: isolated test clients."""

import pytest

from tests.support import isolate


@pytest.fixture
def app(app):
    return isolate(app)
