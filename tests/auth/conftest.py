"""Fixtures for the account-flow tests.

The shared `session` fixture keeps a request context pushed for the whole test. Flask then
reuses that context's app context for every test-client request, so `g` is shared between
requests: Flask-Login's cached `g._login_user` and the request's database session leak from
one request (and one client) to the next, and teardown never closes the request session. A
copied cookie would then look valid because the previous request's user is still cached.
`IsolatedClient` gives each request its own app context, as a real server does (unless the
shared `app` fixture already installs an isolating client class).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    """A test client whose every request (and redirect) runs in a fresh app context."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def _isolated_requests(app):
    if app.test_client_class in (None, FlaskClient):  # the shared app fixture does not isolate
        app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def client(app, _isolated_requests):
    return app.test_client()
