"""Digests go out at any hour in these tests (DIGEST_HOUR 0), and people want them daily."""

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DIGEST_HOUR": 0, "MAIL_RETRY_SECONDS": 60}
