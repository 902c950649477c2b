"""The production configuration, for real: gunicorn with several workers on PostgreSQL and
Redis, behind a (simulated) TLS-terminating reverse proxy.

- CONSULT_ENV=production with a strong secret, CONSULT_PROXY_FIX=1: the proxy's
  `X-Forwarded-Proto: https` makes the app see HTTPS, so its cookies are Secure and still come
  back; `X-Forwarded-For` is the client address the rate limit counts.
- The login rate limit (6 a minute) lives in Redis (db 13 here, a key prefix of its own): the
  attempts spread over the workers (their pids, from gunicorn's access log), and whichever
  worker answers, the seventh attempt is refused with 429.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.load.server import Browser, _NoRedirect, gunicorn

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("CONSULT_OPS_REDIS_URL", "redis://127.0.0.1:6379/13")
WORKERS = 3
LIMIT = 6  # LOGIN_RATE_LIMIT's default, "6 per minute"
ACCESS_FORMAT = "%(p)s %(s)s %(m)s %(U)s?%(q)s"
ACCESS_RE = re.compile(r"^<(\d+)> (\d{3}) POST /login\?attempt=(\d+)$", re.M)


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class _BehindTLSProxy(http.cookiejar.DefaultCookiePolicy):
    """The client side of the proxy hop: the proxy speaks https to the person, so Secure cookies return."""

    def return_ok_secure(self, cookie, request):
        return True


class ProxiedBrowser(Browser):
    """A Browser whose requests come through a TLS-terminating reverse proxy."""

    def __init__(self, base: str, client_ip: str) -> None:
        super().__init__(base)
        self.jar = http.cookiejar.CookieJar(policy=_BehindTLSProxy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        https_origin = base.replace("http://", "https://")
        self.opener.addheaders = [
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-For", client_ip),
            ("Referer", https_origin + "/login"),  # CSRF over HTTPS checks the referrer (WTF_CSRF_SSL_STRICT)
        ]


@pytest.fixture
def production_stack(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the production configuration runs on PostgreSQL (CONSULT_TEST_DATABASE_URL)")
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"consult-ops-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "gunicorn.log"
    with gunicorn(
        database_url,
        workers=WORKERS,
        log=log,
        options=("--access-logfile", "-", "--access-logformat", ACCESS_FORMAT),
        CONSULT_ENV="production",
        CONSULT_PROXY_FIX="1",
        REDIS_URL=REDIS_URL,
        CONSULT_RATELIMIT_KEY_PREFIX=prefix,
        CONSULT_LOGIN_RATE_LIMIT="6 per minute",
    ) as base:
        yield base, log, prefix
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match=f"*{prefix}*", count=1000):  # only this run's keys
        store.delete(key)


def _attempt(browser: ProxiedBrowser, token: str, n: int) -> int:
    status, _page = browser.request(
        f"/login?attempt={n}", {"csrf_token": token, "email": "nobody@example.org", "password": "wrong-password-1"}
    )
    return status


def _served(log, attempts: int, wait: float = 10.0) -> dict[int, tuple[int, int]]:
    """Attempt number -> (worker pid, status), from the access log (workers write it as they go)."""
    deadline = time.monotonic() + wait
    while True:
        served = {int(n): (int(pid), int(status)) for pid, status, n in ACCESS_RE.findall(log.read_text())}
        if len(served) >= attempts or time.monotonic() > deadline:
            return served
        time.sleep(0.1)


def test_login_limit_counts_across_workers_on_redis(production_stack):
    base, log, prefix = production_stack
    browser = ProxiedBrowser(base, client_ip="203.0.113.77")
    with browser.opener.open(base + "/login", timeout=30) as response:
        cookies = response.headers.get_all("Set-Cookie")
        page = response.read().decode()
    session_cookie = next(c for c in cookies if c.startswith("consult_session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    # Six attempts at once, over separate connections: the workers share them out, all counted.
    with ThreadPoolExecutor(max_workers=LIMIT) as pool:
        first = list(pool.map(lambda n: _attempt(browser, token, n), range(1, LIMIT + 1)))
    assert first == [200] * LIMIT, first  # a wrong password: the form again, with a generic error
    # Then more, again at once: every one is refused, by whichever worker takes it.
    later = list(range(LIMIT + 1, LIMIT + 1 + 2 * WORKERS))
    with ThreadPoolExecutor(max_workers=len(later)) as pool:
        refused = list(pool.map(lambda n: _attempt(browser, token, n), later))
    assert refused == [429] * len(later), refused

    served = _served(log, later[-1])
    assert sorted(served) == list(range(1, later[-1] + 1)), log.read_text()[-2000:]
    pids_ok = {pid for n, (pid, _s) in served.items() if n <= LIMIT}
    pids_refused = {pid for n, (pid, _s) in served.items() if n > LIMIT}
    assert len(pids_ok | pids_refused) >= 2, f"one worker served every attempt: {served}"
    assert len(pids_refused) >= 2, f"the refusals came from one worker only: {served}"
    # The counts are in Redis, under this run's prefix.
    assert any(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{prefix}*"))
