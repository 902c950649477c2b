"""`make scan`, second half: wapiti against the demo, signed in as a participant.

1. A demo database (SQLite, under scan-out/), migrated and loaded.
2. gunicorn on https://127.0.0.1:<free port> with a throwaway self-signed certificate and the
   production configuration (strong secret, Secure cookies), so the cookie flags and headers
   wapiti checks are the ones production sends. Rate limits are raised: the scan is not a
   brute-force test, and 429s would keep payloads from reaching the handlers.
3. A sign-in as the demo participant gov@demo.example; wapiti gets the session cookie
   (`-C`) and a same-origin Referer (CSRF over HTTPS checks it), stays away from /logout and
   from the buttons that end sessions (its own among them); the parameter sweep covers those.
4. The JSON report: any vulnerability or anomaly (wapiti files 500s as anomalies) fails the
   scan, and so does any 5xx in gunicorn's access log. ALLOWLIST holds explained false positives.

Run with the project's Python; WAPITI names the wapiti executable (its own virtualenv).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.load.server import free_port  # noqa: E402

OUT = ROOT / "scan-out"
WAPITI = os.environ.get("WAPITI", str(ROOT / ".venv-wapiti" / "bin" / "wapiti"))
MODULES = "xss,permanentxss,sql,redirect,csrf,crlf,http_headers,cookieflags"
MAX_SCAN_TIME = int(os.environ.get("SCAN_MAX_TIME", "120"))
PARTICIPANT = ("gov@demo.example", "consult-demo-2026")
# (category, path pattern, info): findings explained and accepted, each with its reason.
ALLOWLIST: list[tuple[str, str, str, str]] = [
    (
        "Cross Site Request Forgery",
        r"^/rounds/\d+/comments$",
        "Lack of anti CSRF token",
        # The round page renders one comment form per clause with prefixed field names
        # (`c-<clause>-csrf_token`); wapiti's csrf module only knows fields named exactly
        # `csrf_token` & co. The token is there and checked: tests/comments/test_prefixed_form_csrf.py
        # posts that form without a token and with a forged one and nothing is stored.
        "prefixed token field not recognised by wapiti",
    ),
]


def run(*args: str, env: dict | None = None) -> None:
    subprocess.run(list(args), cwd=ROOT, env=env, check=True)


def make_database(env: dict) -> None:
    db = OUT / "scan.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    dev = {**env, "CONSULT_ENV": "development"}
    run(sys.executable, "-m", "flask", "db", "upgrade", env=dev)
    subprocess.run([sys.executable, "-m", "flask", "demo", "load"], cwd=ROOT, env=dev, check=True, capture_output=True)


def make_certificate() -> tuple[Path, Path]:
    cert, key = OUT / "cert.pem", OUT / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def sign_in(base: str) -> str:
    """The session cookie of the demo participant, signed in through the form."""
    context = ssl._create_unverified_context()  # noqa: S323 (our throwaway certificate, loopback)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar)
    )
    opener.addheaders = [("Referer", base + "/login")]
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "email": PARTICIPANT[0], "password": PARTICIPANT[1]}
    home = opener.open(base + "/login", data=urllib.parse.urlencode(form).encode(), timeout=30).read().decode()
    assert "Sign out" in home or "/logout" in home, "the participant could not sign in"
    return "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "consult_session")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_") and k != "REDIS_URL"}
    env.update(
        FLASK_APP="consult",
        CONSULT_ENV="production",
        CONSULT_SECRET_KEY=secrets.token_urlsafe(48),
        CONSULT_DATABASE_URL=f"sqlite:///{OUT / 'scan.sqlite3'}",
        CONSULT_MAIL_CONSOLE="1",
        CONSULT_LOGIN_RATE_LIMIT="100000 per minute",
        CONSULT_RESET_RATE_LIMIT="100000 per minute",
        CONSULT_COMMENT_RATE_LIMIT="100000 per minute",
    )
    make_database(env)
    cert, key = make_certificate()
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    log = open(OUT / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--certfile", str(cert),
         "--keyfile", str(key), "--access-logfile", "-", "--access-logformat", '%(s)s "%(r)s"', "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                cookie = sign_in(base)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        report = OUT / "wapiti.json"
        report.unlink(missing_ok=True)
        started = time.monotonic()
        subprocess.run(
            [WAPITI, "-u", base + "/", "--scope", "folder", "-m", MODULES, "-C", cookie,
             "-H", f"Referer: {base}/", "-x", f"{base}/logout", "-x", f"{base}/account/sessions/*",
             "-x", f"{base}/login/cancel", "--verify-ssl", "0",
             "--max-links-per-page", "30", "--max-scan-time", str(MAX_SCAN_TIME), "--max-attack-time", "30",
             "-d", "4", "--tasks", "4", "--flush-session", "--store-session", str(OUT / "session"),
             "--no-bugreport", "-f", "json", "-o", str(report), "-v", "0"],
            check=True, timeout=MAX_SCAN_TIME * 3 + 120,
        )  # fmt: skip
        took = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    return verdict(report, OUT / "gunicorn.log", took)


def verdict(report: Path, log: Path, took: float) -> int:
    data = json.loads(report.read_text())
    problems, allowed = [], 0
    for section in ("vulnerabilities", "anomalies"):
        for category, findings in (data.get(section) or {}).items():
            for finding in findings:
                info = finding.get("info", "")
                path = finding.get("path", "")
                if any(c == category and re.match(p, path) and i == info for c, p, i, _why in ALLOWLIST):
                    allowed += 1
                    continue
                problems.append(f"{section}/{category}: {finding.get('method')} {finding.get('path')} {info}")
    lines = log.read_text(errors="replace").splitlines()
    requests = [m for m in (re.match(r'^(\d{3}) "', line) for line in lines) if m]
    errors = [line for line in lines if re.match(r'^5\d\d "', line)]
    problems += [f"5xx: {line}" for line in errors]
    crawled = (data.get("infos") or {}).get("crawled_pages_nbr", 0)
    print(
        f"wapiti: {took:.0f} s, {len(requests)} requests, {crawled} pages crawled, modules {MODULES}; "
        f"{len(problems)} problem(s), {allowed} allowlisted finding(s), {len(errors)} 5xx"
    )
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
