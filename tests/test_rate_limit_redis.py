"""With REDIS_URL set, the login rate limit lives in Redis: apps (workers) share the count."""

import os
import uuid

import pytest
import redis

from consult import create_app

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="no Redis on 127.0.0.1:6379")
def test_login_limit_is_shared_between_apps(app_config):
    # A prefix of its own, so that other runs sharing this Redis count nothing here.
    config = {
        **app_config,
        "REDIS_URL": REDIS_URL,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    config.pop("RATELIMIT_STORAGE_URI")
    first, second = create_app(config), create_app(config)
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    email = f"{uuid.uuid4().hex}@example.org"
    form = {"email": email, "password": "wrong password here"}
    for _ in range(6):
        assert first.test_client().post("/login", data=form).status_code == 200
    # The seventh attempt goes to another "worker" and is refused there.
    refused = second.test_client().post("/login", data=form, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.data
