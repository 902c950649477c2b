"""P8, the deadline hour: many people reload one big round while comments keep arriving.

200 participants in 40 organisations of the 5 stakeholder groups, one open-dialogue round of
20 clauses with 2,000 accepted comments (each person wrote 10), gunicorn with 2 sync workers.
While a poster thread sends 2 new comments a second through the real comment form (as a
rotating person, each with their own session and CSRF token), wrk (2 threads, 16
connections) reads the round page with a Lua script that gives each request the next
person's session cookie; it alternates with the app's hello-world endpoint read the same way,
and the median of the rounds' ratios is printed:

- `deadline_hour_page_vs_hello`: the round page's requests a second against hello-world's;
- `deadline_hour_p99_vs_hello_p99`: the 99th percentiles of their latencies (wrk --latency);
- `deadline_hour_comment_post_vs_hello`: comment POSTs (wrk, 1 thread, 16 connections, each
  request another person's cookie and token) a second while the same read load runs beside
  them, against hello-world's rate alone.

`deadline_hour_new_comments` says how many comments the poster stored (it must keep up with
its 2 a second: a figure measured while it fell behind would be measured on a quieter round).
With `CONSULT_BENCH_DATABASE_URL` (a throwaway PostgreSQL database: its schema is dropped
first) the scenario runs again there, with `_pg` after each name, and prints what the round-row
lock of each comment write cost (`rounds.services.lock_round`: time in the locking SELECT,
waiting included, per write, and as a share of the two workers' time while the POSTs ran,
read from the workers at `/_bench/locks`).

Run by `make bench` (bench/run.py), or alone: `python bench/deadline.py`.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from consult import create_app  # noqa: E402
from consult.comments.models import Comment, CommentStatus, CommentType  # noqa: E402
from tests.load.server import gunicorn  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = os.environ.get("BENCH_SECONDS", "3")
PEOPLE, ORGANISATIONS, COMMENTS, CLAUSES = 200, 40, 2000, 20
POSTS_PER_SECOND = 2.0


def emit(name: str, value: float, unit: str, goal: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "goal": goal}), flush=True)


def build(url: str, secret: str) -> dict:
    """The people, their signed-in sessions (cookie and CSRF token each), the round."""
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    from consult.auth.models import Role, StakeholderGroup, UserSession
    from consult.db import get_session, utcnow
    from consult.demo import ensure_groups
    from consult.rounds.models import Phase, Preset
    from tests import factories

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": secret,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8192,
            "ARGON2_PARALLELISM": 1,
        }
    )
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    rng = random.Random(15)
    with app.test_request_context():
        db = get_session()
        ensure_groups(db)
        slugs = list(db.scalars(select(StakeholderGroup.slug).order_by(StakeholderGroup.position)))
        organisations = [
            factories.make_organisation(db, slugs[i % len(slugs)], name=f"Delegation {i + 1}")
            for i in range(ORGANISATIONS)
        ]
        people = [
            factories.make_user(
                db,
                Role.PARTICIPANT,
                organisations[i % ORGANISATIONS],
                email=f"d{i}@deadline.example",
                name=f"Delegate {i}",
            )
            for i in range(PEOPLE)
        ]
        round_ = factories.make_round(db, Phase.OPEN, preset=Preset.OPEN_DIALOGUE, clauses=CLAUSES)
        rows = []
        for n in range(COMMENTS):
            author = people[n % PEOPLE]
            clause = rng.randrange(CLAUSES + 1)  # 0: a general comment
            rows.append(
                {
                    "round_id": round_.id,
                    "clause_key": f"k{clause}" if clause else None,
                    "clause_position": clause,
                    "type": CommentType.TECHNICAL,
                    "body": f"Comment {n}: " + "words " * 40,
                    "proposed_change": "a proposed change " * 5 if n % 3 == 0 else "",
                    "author_id": author.id,
                    "organisation_id": author.organisation_id,
                    "stakeholder_group_id": author.organisation.stakeholder_group_id,
                    "status": CommentStatus.ACCEPTED,
                    "nonce": f"deadline-{n}",
                }
            )
        db.execute(insert(Comment), rows)
        # Sessions last seen over the past minute, as in a real hour: each then records its
        # "last seen" once a minute (`auth.sessions.touch_later`), spread out, not all at once.
        now = utcnow()
        records = [
            UserSession(
                user_id=p.id,
                method="password",
                device="bench",
                network="127.0.0.0/24",
                last_seen_at=now - timedelta(seconds=rng.uniform(0, 60)),
            )
            for p in people
        ]
        db.add_all(records)
        db.commit()
        login_ids = [f"{p.id}:{p.session_version}:{r.id}" for p, r in zip(people, records, strict=True)]
        round_id = round_.id
    sessions = []
    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    for login_id in login_ids:
        with app.test_request_context():
            flask_session["_user_id"] = login_id
            flask_session["_fresh"] = True
            token = generate_csrf()
            sessions.append((f"{cookie_name}={serializer.dumps(dict(flask_session))}", token))
    app.extensions["consult.db"].engine.dispose()
    return {"round": round_id, "sessions": sessions}


READS = """
local cookies = {%(cookies)s}
local path = "%(path)s"
local made = 0
function setup(thread)
  thread:set("offset", made * 101)
  made = made + 1
end
local n = 0
function init(args)
  n = offset or 0
end
request = function()
  n = n + 1
  return wrk.format("GET", path, {["Cookie"] = cookies[(n %% #cookies) + 1]})
end
"""

POSTS = """
local cookies = {%(cookies)s}
local tokens = {%(tokens)s}
local path = "%(path)s"
local n = 0
request = function()
  n = n + 1
  local i = (n %% #cookies) + 1
  local nonce = tostring(math.random(1, 2^30)) .. "-" .. tostring(math.random(1, 2^30))
  local clause = math.random(0, %(clauses)d)
  local body = "csrf_token=" .. tokens[i] .. "&prefix=&nonce=" .. nonce ..
    "&clause=" .. (clause == 0 and "general" or ("k" .. clause)) ..
    "&type=technical&attribution=person&submit=Submit&body=A%%20comment%%20under%%20load&proposed_change="
  return wrk.format("POST", path, {["Cookie"] = cookies[i],
    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


def lua_list(values) -> str:
    return ",".join(json.dumps(v) for v in values)


def wrk(url: str, script: Path, threads: int = 2, connections: int = 16) -> tuple[float, float]:
    """Requests a second and the 99th percentile latency (ms) of a wrk run; every answer must
    be a success or a redirect."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--latency", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} responses were errors\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class Poster(threading.Thread):
    """Two new comments a second through the comment form, each as the next person."""

    def __init__(self, base: str, round_id: int, sessions: list) -> None:
        super().__init__(daemon=True)
        self.url = f"{base}/rounds/{round_id}/comments"
        self.sessions = sessions
        self.stop = threading.Event()
        self.stored = self.failed = 0
        self.rng = random.Random(2)

    def post(self, n: int) -> bool:
        cookie, token = self.sessions[(n * 7) % len(self.sessions)]
        clause = self.rng.randrange(CLAUSES + 1)
        data = {
            "csrf_token": token,
            "prefix": "",
            "nonce": secrets.token_hex(8),
            "clause": f"k{clause}" if clause else "general",
            "type": "technical",
            "attribution": "person",
            "submit": "Submit",
            "body": f"A comment in the last hour ({n})",
            "proposed_change": "",
        }
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.url, body, {"Cookie": cookie})  # noqa: S310 (loopback only)
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(request, timeout=30) as response:  # noqa: S310 (loopback only)
                return response.status in (302, 303)
        except urllib.error.HTTPError as exc:
            return exc.code in (302, 303)

    def run(self) -> None:
        start, n = time.monotonic(), 0
        while not self.stop.is_set():
            if self.post(n):
                self.stored += 1
            else:
                self.failed += 1
            n += 1
            self.stop.wait(max(0.0, start + n / POSTS_PER_SECOND - time.monotonic()))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def scenario(url: str, tmp: Path, suffix: str = "") -> None:
    secret = secrets.token_urlsafe(48)
    data = build(url, secret)
    cookies = [cookie for cookie, _token in data["sessions"]]
    tokens = [token for _cookie, token in data["sessions"]]
    page = f"/rounds/{data['round']}"
    scripts = {}
    for name, path in (("hello", "/_bench/hello"), ("page", page)):
        scripts[name] = tmp / f"reads-{name}{suffix}.lua"
        scripts[name].write_text(READS % {"cookies": lua_list(cookies), "path": path})
    scripts["post"] = tmp / f"posts{suffix}.lua"
    scripts["post"].write_text(
        POSTS
        % {"cookies": lua_list(cookies), "tokens": lua_list(tokens), "path": f"{page}/comments", "clauses": CLAUSES}
    )
    env = {
        "CONSULT_SECRET_KEY": secret,
        "CONSULT_BENCH": "1",
        "CONSULT_COMMENT_RATE_LIMIT": "1000000 per minute",
        "CONSULT_SEARCH_RATE_LIMIT": "1000000 per minute",
    }
    with gunicorn(url, workers=2, log=tmp / f"gunicorn-deadline{suffix}.log", **env) as base:
        warm = subprocess.run(
            ["wrk", "-t2", "-c16", "-d1s", "-s", str(scripts["page"]), base + page], capture_output=True
        )
        assert warm.returncode == 0, warm.stderr
        poster = Poster(base, data["round"], data["sessions"])
        poster.start()
        started = time.monotonic()
        rates, tails, best = [], [], [0.0, 0.0]
        for _ in range(ROUNDS):
            hello, hello_p99 = wrk(base + "/_bench/hello", scripts["hello"])
            rate, p99 = wrk(base + page, scripts["page"])
            rates.append(rate / hello)
            tails.append(p99 / hello_p99)
            best = [max(best[0], rate), max(best[1], hello)]
            print(
                f"  deadline{suffix}: page {rate:.0f} / hello {hello:.0f} requests a second, "
                f"p99 {p99:.1f} / {hello_p99:.1f} ms",
                file=sys.stderr,
                flush=True,
            )
        poster.stop.set()
        poster.join()
        elapsed = time.monotonic() - started
        emit(f"deadline_hour_page_vs_hello{suffix}", statistics.median(rates), "ratio", ">= 0.25")
        emit(f"deadline_hour_p99_vs_hello_p99{suffix}", statistics.median(tails), "ratio", "<= 3")
        # Others' jobs on the machine only ever slow a run down: the best rates of each side
        # are a second reading of the same ratio, less moved by a neighbour's burst.
        emit(f"deadline_hour_page_vs_hello_best{suffix}", best[0] / best[1], "ratio", "(information)")
        print(f"  deadline{suffix}: best {best[0]:.0f} / {best[1]:.0f} requests a second", file=sys.stderr)
        emit(
            f"deadline_hour_new_comments{suffix}",
            poster.stored / elapsed,
            "comments a second",
            f"{POSTS_PER_SECOND:g} (the poster's pace; {poster.failed} failed)",
        )
        locks_before = _locks(base)
        posts = []
        for _ in range(ROUNDS):
            hello, _p99 = wrk(base + "/_bench/hello", scripts["hello"])
            readers = threading.Thread(target=wrk, args=(base + page, scripts["page"]))
            readers.start()
            rate, _p99 = wrk(base + page + "/comments", scripts["post"], threads=1)
            readers.join()
            posts.append(rate / hello)
            print(f"  deadline{suffix}: {rate:.1f} comment POSTs a second under the read load", file=sys.stderr)
        emit(f"deadline_hour_comment_post_vs_hello{suffix}", statistics.median(posts), "ratio", ">= 0.05")
        locks = _locks(base)
        if suffix == "_pg" and locks and locks_before:
            writes = locks["writes"] - locks_before["writes"]
            waited = locks["seconds"] - locks_before["seconds"]
            if writes:
                emit("round_lock_ms_per_comment_write_pg", 1000 * waited / writes, "ms", "(information)")
                # The share of the two workers' time spent in the locking statement while the
                # POSTs ran: what the lock takes from everyone's throughput.
                window = 2 * ROUNDS * float(SECONDS)
                emit("round_lock_share_of_worker_time_pg", waited / window, "ratio", "(information)")


def _locks(base: str) -> dict | None:
    """The round-row lock statistics of both workers (each answers for itself: ask until both did)."""
    seen: dict[int, dict] = {}
    for _ in range(40):
        try:
            with urllib.request.urlopen(base + "/_bench/locks", timeout=10) as response:  # noqa: S310 (loopback)
                answer = json.loads(response.read())
        except (OSError, ValueError):
            return None
        seen[answer["pid"]] = answer
        if len(seen) >= 2:
            break
    return {
        "writes": sum(a["writes"] for a in seen.values()),
        "seconds": sum(a["seconds"] for a in seen.values()),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="consult-deadline-") as tmp:
        scenario(f"sqlite:///{tmp}/deadline.sqlite3", Path(tmp))
        pg = os.environ.get("CONSULT_BENCH_DATABASE_URL")
        if pg:
            from tests.conftest import _reset_schema

            _reset_schema(pg)  # a throwaway database, as for bench/digest.py
            scenario(pg, Path(tmp), "_pg")


if __name__ == "__main__":
    main()
