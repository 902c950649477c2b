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
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from rq import Queue

from consult.rounds.models import Phase
from tests import factories
from tests.digests.helpers import text_of
from tests.load.server import ROOT, Browser, _NoRedirect, gunicorn, server_env

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


def _require_stack(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the production configuration runs on PostgreSQL (CONSULT_TEST_DATABASE_URL)")
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")


@contextmanager
def production(database_url: str, log, workers: int = WORKERS, **extra: str):
    """gunicorn in the production configuration on PostgreSQL and Redis; yields (base URL, env, key prefix)."""
    prefix = f"consult-ops-{uuid.uuid4().hex[:12]}"
    env = dict(
        CONSULT_ENV="production",
        CONSULT_PROXY_FIX="1",
        REDIS_URL=REDIS_URL,
        CONSULT_RATELIMIT_KEY_PREFIX=prefix,
        CONSULT_LOGIN_RATE_LIMIT="6 per minute",
        **extra,
    )
    try:
        with gunicorn(
            database_url,
            workers=workers,
            log=log,
            options=("--access-logfile", "-", "--access-logformat", ACCESS_FORMAT),
            **env,
        ) as base:
            yield base, server_env(database_url, **env), prefix
    finally:
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"*{prefix}*", count=1000):  # only this run's keys
            store.delete(key)


@pytest.fixture
def production_stack(database_url, tmp_path):
    _require_stack(database_url)
    log = tmp_path / "gunicorn.log"
    with production(database_url, log) as (base, _env, prefix):
        yield base, log, prefix


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


def totp_code(secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).now()


def test_a_digest_is_sent_by_an_rq_worker_process(database_url, session, people, smtp, smtp_server, tmp_path):
    """The organiser presses "send" on a gunicorn worker; the request only queues the job (Redis
    db 13, a queue of this run's own); a real `flask mail worker --burst` process sends the digest to the
    SMTP relay (an aiosmtpd sink on 127.0.0.1)."""
    _require_stack(database_url)
    consultation = factories.make_consultation(session)
    round_ = factories.make_round(session, Phase.PUBLISHED, consultation=consultation)
    factories.make_comment(session, round_, people["participant:governments"], body="A published position")
    totp = factories.make_totp(session, people["organiser"])  # organisers sign in with a second factor
    session.commit()
    consultation_id, organiser = consultation.id, people["organiser"].email
    recipients = {u.email.lower() for u in people.by_name.values()}
    session.rollback()

    queue_name = f"ops-mail-{uuid.uuid4().hex[:12]}"
    mail = dict(
        CONSULT_MAIL_CONSOLE="0",
        CONSULT_MAIL_SERVER="127.0.0.1",
        CONSULT_MAIL_PORT=str(smtp_server[1]),
        CONSULT_MAIL_QUEUE=queue_name,
    )
    store = redis.Redis.from_url(REDIS_URL)
    queue = Queue(queue_name, connection=store)
    try:
        with production(database_url, tmp_path / "gunicorn.log", workers=2, **mail) as (base, env, _prefix):
            browser = ProxiedBrowser(base, client_ip="203.0.113.78")
            status, _ = browser.request(
                "/login", {"csrf_token": browser.csrf(), "email": organiser, "password": factories.PASSWORD}
            )
            assert status == 302
            step = "/login/second-factor"
            status, _ = browser.request(step, {"csrf_token": browser.csrf(step), "code": totp_code(totp.secret)})
            assert status == 302
            compose = f"/consultations/{consultation_id}/digests/new"
            status, _ = browser.request(
                compose, {"csrf_token": browser.csrf(compose), "intro": "Sent by a worker", "step": "send"}
            )
            assert status == 302
            assert smtp.messages == [] and queue.count == 1  # the request only queued the job

            started = time.monotonic()
            worker = subprocess.run(
                [str(Path(sys.executable).parent / "flask"), "mail", "worker", "--burst"],
                cwd=ROOT,
                env={**env, "FLASK_APP": "consult"},
                capture_output=True,
                text=True,
                timeout=120,
            )
            took = time.monotonic() - started
        assert worker.returncode == 0, worker.stderr[-2000:]
        received = {m["X-Envelope-To"].lower() for m in smtp.messages}
        assert received == recipients, (received ^ recipients, worker.stderr[-2000:])
        assert all("Sent by a worker" in text_of(m) for m in smtp.messages)
        assert queue.count == 0 and took < 60
    finally:
        _forget_queue(store, queue)


def _forget_queue(store, queue) -> None:
    """Delete this run's queue, its jobs and their results (worker keys expire by themselves)."""
    registries = (queue.finished_job_registry, queue.failed_job_registry)
    for job_id in [j for r in registries for j in r.get_job_ids()]:
        store.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    queue.delete(delete_jobs=True)
    for key in store.scan_iter(match=f"*{queue.name}*", count=1000):
        store.delete(key)
