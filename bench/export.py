"""P5: export 10,000 comments as CSV and XLSX; print time and peak memory as JSON lines.

Run with `make bench-export` (a throwaway SQLite database under a temporary directory, or
CONSULT_BENCH_DATABASE_URL for PostgreSQL). The exports run through the real views with the
organiser's visibility (the largest export) and are read to the end as a client would.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from consult import create_app  # noqa: E402
from consult.comments.models import Comment, CommentStatus, CommentType  # noqa: E402

N = 10_000
GOALS = {"csv": 5.0, "xlsx": 15.0, "peak_mb": 150.0}


def emit(name: str, value: float, unit: str, goal: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "goal": goal}), flush=True)


def build(app) -> tuple[int, str]:
    from consult.db import get_session
    from consult.rounds.models import Phase
    from tests import factories

    with app.test_request_context():
        session = get_session()
        from consult.demo import ensure_groups

        ensure_groups(session)
        people = factories.make_people(session)
        round_ = factories.make_round(session, Phase.CLOSED, clauses=40)
        authors = [people[f"participant:{slug}"] for slug in factories.GROUP_SLUGS]
        rows = []
        for n in range(N):
            author = authors[n % len(authors)]
            clause = 1 + n % 40
            rows.append(
                {
                    "round_id": round_.id,
                    "clause_key": f"k{clause}",
                    "clause_position": clause,
                    "type": list(CommentType)[n % 3],
                    "body": f"Comment {n}: " + "the clause should say more about coordination. " * 6,
                    "proposed_change": "=SUM(A1)" if n % 97 == 0 else "Replace the second sentence.",
                    "author_id": author.id,
                    "organisation_id": author.organisation_id,
                    "stakeholder_group_id": author.organisation.stakeholder_group_id,
                    "status": CommentStatus.ACCEPTED,
                    "nonce": f"bench-{n}",
                }
            )
        session.execute(insert(Comment), rows)
        # A finished sign-in of the organiser: the login id names a live session record.
        from consult.auth.models import UserSession

        organiser = people["organiser"]
        record = UserSession(user_id=organiser.id, method="totp")
        session.add(record)
        session.commit()
        return round_.id, f"{organiser.id}:{organiser.session_version}:{record.id}"


def run_export(client, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - start, size


COLUMNS = 12  # as many as the export's CSV (the ISO form's eight and four more)


def bare_rows(app, round_id: int) -> list[tuple]:
    """The export's rows read with one plain statement (the comments with their authors'
    organisation and group names, in document order): what a bare dump starts from. Reading is
    outside the bare timing, as the bare libraries are what P9 compares with."""
    from sqlalchemy import select

    from consult.auth.models import Organisation, StakeholderGroup, User

    engine = app.extensions["consult.db"].engine
    stmt = (
        select(
            Comment.number,
            Organisation.name,
            Comment.clause_key,
            Comment.paragraph,
            Comment.type,
            Comment.body,
            Comment.proposed_change,
            Comment.line_number,
            StakeholderGroup.name,
            User.display_name,
            Comment.status,
            Comment.submitted_at,
        )
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .join(StakeholderGroup, StakeholderGroup.id == Comment.stakeholder_group_id)
        .join(User, User.id == Comment.author_id)
        .where(Comment.round_id == round_id)
        .order_by(Comment.clause_position, Comment.id)
    )
    with engine.connect() as conn:
        return [tuple("" if v is None else str(v) for v in row) for row in conn.execute(stmt)]


def bare_csv(rows: list[tuple]) -> None:
    """csv.writer writing the rows to a temporary file."""
    import csv

    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow([f"column {i}" for i in range(COLUMNS)])
        writer.writerows(rows)


def bare_xlsx(rows: list[tuple]) -> None:
    """openpyxl's write-only workbook writing the rows to a temporary file."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Comments")
    sheet.append([f"column {i}" for i in range(COLUMNS)])
    for row in rows:
        sheet.append(list(row))
    with tempfile.TemporaryFile() as out:
        book.save(out)


def main() -> None:
    url = os.environ.get("CONSULT_BENCH_DATABASE_URL")
    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite:///{tmp.name}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False, "SERVER_NAME": "bench.test"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    round_id, organiser = build(app)
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = organiser
        flask_session["_fresh"] = True
    tracemalloc.start()
    seconds = {}
    for fmt in ("csv", "xlsx"):
        seconds[fmt], size = run_export(client, f"/rounds/{round_id}/comments.{fmt}")
        print(f"# {fmt}: {size / 1e6:.1f} MB", file=sys.stderr)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    emit("export_10k_csv_seconds", seconds["csv"], "s", f"< {GOALS['csv']}")
    emit("export_10k_xlsx_seconds", seconds["xlsx"], "s", f"< {GOALS['xlsx']}")
    # P9: against the bare libraries in the same process, without tracemalloc (which slows
    # allocation-heavy code): each export timed again, then the same rows written bare.
    for fmt, bare in (("csv", bare_csv), ("xlsx", bare_xlsx)):
        ours, _size = run_export(client, f"/rounds/{round_id}/comments.{fmt}")
        with app.app_context():
            rows = bare_rows(app, round_id)
        started = time.perf_counter()
        bare(rows)
        bare_seconds = time.perf_counter() - started
        print(f"# {fmt}: ours {ours:.2f} s, bare {bare_seconds:.2f} s", file=sys.stderr)
        name = "export_10k_xlsx_vs_bare_openpyxl" if fmt == "xlsx" else "export_10k_csv_vs_bare_csv"
        emit(name, bare_seconds / ours, "ratio", ">= 0.5")
    # Python allocations at their peak during both exports (tracemalloc), and the process's
    # resident high-water mark (includes the interpreter, SQLAlchemy and openpyxl themselves).
    emit("export_10k_peak_mb", traced_peak / 2**20, "MB", f"< {GOALS['peak_mb']}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# process max RSS {rss:.0f} MB (whole process, including building the data)", file=sys.stderr)
    app.extensions["consult.db"].engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
