"""P11: the briefing PDF of a 2,000-comment round, made as a job; time and peak memory.

Run with `make bench-briefing` (a throwaway SQLite database under a temporary directory, or
CONSULT_BENCH_DATABASE_URL for PostgreSQL). The round is closed, 2,000 accepted comments on 20
clauses from the five stakeholder groups, a third of them answered (released dispositions);
the organiser asks for the PDF (the largest: they see everything). The job runs in a child
process, as an RQ worker would run it, and reports its own time and resident high-water mark
(`resource.getrusage`, which covers the interpreter, the app and WeasyPrint). The HTML page of
the same briefing is timed through the app for the ratio, which is information.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N = int(os.environ.get("BENCH_BRIEFING_COMMENTS", "2000"))
GOALS = {"seconds": 60.0, "peak_mb": 500.0}


def emit(name: str, value: float, unit: str, goal: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "goal": goal}), flush=True)


def build(app) -> tuple[int, int, str]:
    """The round, a queued job of the organiser for its PDF, and the organiser's login id."""
    from sqlalchemy import insert, select

    from consult.comments.models import Comment, CommentStatus, CommentType
    from consult.db import get_session, utcnow
    from consult.demo import ensure_groups
    from consult.dispositions.models import Disposition, DispositionKind
    from consult.exports import jobs
    from consult.rounds.models import Phase
    from tests import factories

    with app.test_request_context():
        session = get_session()
        ensure_groups(session)
        people = factories.make_people(session)
        round_ = factories.make_round(session, Phase.CLOSED, clauses=20)
        authors = [people[f"participant:{slug}"] for slug in factories.GROUP_SLUGS]
        rows = []
        for n in range(N):
            author = authors[n % len(authors)]
            clause = 1 + n % 20
            rows.append(
                {
                    "round_id": round_.id,
                    "clause_key": f"k{clause}",
                    "clause_position": clause,
                    "type": list(CommentType)[n % 3],
                    "body": f"Comment {n}: " + "the clause should say more about coordination between vendors. " * 5,
                    "proposed_change": "Replace the second sentence with a clearer one." if n % 2 else "",
                    "author_id": author.id,
                    "organisation_id": author.organisation_id,
                    "stakeholder_group_id": author.organisation.stakeholder_group_id,
                    "status": CommentStatus.ACCEPTED,
                    "nonce": f"bench-{n}",
                    "number": f"{n + 1:04d}",
                    "number_seq": n + 1,
                }
            )
        session.execute(insert(Comment), rows)
        ids = session.scalars(select(Comment.id).where(Comment.round_id == round_.id).order_by(Comment.id)).all()
        now = utcnow()
        organiser = people["organiser"]
        session.execute(
            insert(Disposition),
            [
                {
                    "comment_id": comment_id,
                    "round_id": round_.id,
                    "kind": DispositionKind.PARTIALLY_ACCEPTED,
                    "observation": "Partially accepted: the second sentence is reworded in the next version.",
                    "recorded_by_id": organiser.id,
                    "recorded_at": now,
                    "updated_at": now,
                    "released_at": now,
                    "released_by_id": organiser.id,
                }
                for comment_id in ids[::3]
            ],
        )
        job, _created = jobs.start_briefing(session, actor=organiser, round_=round_)
        # A finished sign-in of the organiser: the login id names a live session record
        # (`User.get_id` names none outside a request that signed in).
        from consult.auth.models import UserSession

        record = UserSession(user_id=organiser.id, method="totp")
        session.add(record)
        session.commit()
        return round_.id, job.id, f"{organiser.id}:{organiser.session_version}:{record.id}"


def html_seconds(app, round_id: int, login_id: str) -> float:
    """The median of three renderings of the briefing page (the PDF's HTML, as a page)."""
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = login_id
        flask_session["_fresh"] = True
    times = []
    for _ in range(3):
        start = time.perf_counter()
        response = client.get(f"/rounds/{round_id}/briefing")
        assert response.status_code == 200, response.status_code
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_job(url: str, job_id: int) -> None:
    """In the child process: run the job as a worker would; print its time and peak RSS."""
    import resource

    from consult import create_app
    from consult.exports import jobs
    from consult.exports.models import BriefingJob

    app = create_app({"DATABASE_URL": url})
    start = time.perf_counter()
    outcome = jobs.run(app, job_id)
    seconds = time.perf_counter() - start
    with app.app_context():
        session = app.extensions["consult.db"].new_session()
        job = session.get(BriefingJob, job_id)
        size, pages = job.size, _pages(job.pdf or b"")
        session.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024  # kB on Linux
    cpu = usage.ru_utime + usage.ru_stime  # the whole child: app start, the job, reading the result
    report = {"outcome": outcome, "seconds": seconds, "cpu": cpu, "peak_mb": peak, "size": size, "pages": pages}
    print(json.dumps(report))


def _pages(data: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages) if data else 0


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--run-job":
        run_job(sys.argv[2], int(sys.argv[3]))
        return
    from consult import create_app

    with tempfile.TemporaryDirectory(prefix="consult-bench-briefing-") as tmp:
        url = os.environ.get("CONSULT_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False})
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        round_id, job_id, login_id = build(app)
        html = html_seconds(app, round_id, login_id)
        load = os.getloadavg()[0]
        app.extensions["consult.db"].engine.dispose()
        child = subprocess.run(
            [sys.executable, __file__, "--run-job", url, str(job_id)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            timeout=1800,
        )
        report = json.loads(child.stdout.strip().splitlines()[-1])
        assert report["outcome"] == "done", child.stdout + child.stderr
        print(
            f"# briefing of {N} comments: {report['pages']} pages, {report['size'] / 1e6:.1f} MB; "
            f"HTML page {html:.2f} s; load average {load:.1f} at the start (2 cores shared: the CPU "
            f"time is the figure to compare across runs)",
            file=sys.stderr,
        )
        emit(f"briefing_pdf_{N}_seconds", report["seconds"], "s", f"<= {GOALS['seconds']:g}")
        emit(f"briefing_pdf_{N}_cpu_seconds", report["cpu"], "s", "(information)")
        emit(f"briefing_pdf_{N}_peak_mb", report["peak_mb"], "MB", f"<= {GOALS['peak_mb']:g}")
        emit("briefing_pdf_vs_html", report["seconds"] / html, "ratio", "(information)")


if __name__ == "__main__":
    main()
