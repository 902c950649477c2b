"""A real gunicorn serving the app on 127.0.0.1, and a small HTTP client for load tests."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="(?:[\w-]*-)?csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like server for tests (cheap hashes, generous limits)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    env.update(
        # Development settings but for the secret: production cookies are Secure, and this is plain http.
        CONSULT_ENV="development",
        CONSULT_SECRET_KEY="load-" + secrets.token_urlsafe(40),
        CONSULT_DATABASE_URL=database_url,
        CONSULT_MAIL_CONSOLE="1",
        CONSULT_LOGIN_RATE_LIMIT="10000 per minute",
        CONSULT_ARGON2_TIME_COST="1",
        CONSULT_ARGON2_MEMORY_COST="8192",
        CONSULT_ARGON2_PARALLELISM="1",
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(
    database_url: str,
    workers: int = 4,
    log: Path | None = None,
    options: tuple[str, ...] = (),
    port: int | None = None,
    **extra: str,
):
    """Serve the app with `workers` gunicorn workers (and more gunicorn `options`) on `port` (a free
    one by default); yields the base URL."""
    port = port or free_port()
    env = server_env(database_url, **extra)
    log_file = open(log or os.devnull, "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            *options,
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=10).read()  # noqa: S310 (loopback only)
                break
            except OSError:  # refused while booting, or slow on a busy machine
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start (exit {proc.poll()})") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies, CSRF tokens from pages, and no automatic redirects: like a person's browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def cookie_header(self) -> str:
        """The cookies as a `Cookie:` header value (for another client, such as wrk)."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def csrf(self, path: str = "/login") -> str:
        status, page = self.request(path)
        found = CSRF_RE.search(page)
        assert found, f"no CSRF token on {path} ({status})"
        return found.group(1)

    def login(self, email: str, password: str, totp_secret: str | None = None) -> None:
        """Sign in through the form (and the second step with the app's code, given its secret)."""
        status, _ = self.request("/login", {"csrf_token": self.csrf(), "email": email, "password": password})
        assert status == 302, f"sign-in as {email} answered {status}"
        if totp_secret:
            import pyotp

            step = "/login/second-factor"
            status, _ = self.request(step, {"csrf_token": self.csrf(step), "code": pyotp.TOTP(totp_secret).now()})
            assert status == 302, f"the second step as {email} answered {status}"
