"""Fixtures of the search suite: the root `app`, handing out isolated test clients."""

import pytest

from tests.support import isolate


@pytest.fixture
def app(app):
    return isolate(app)
