"""R1/R2 under real conditions: gunicorn with several workers, 50 clients × 20 comments.

Comments stored must equal successful responses, with no 5xx and no "database is locked";
with a moderator closing the round in the middle, every comment is either stored (before the
deadline) or refused with the "round closed" message. Run on SQLite and on PostgreSQL (when
CONSULT_TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from consult.auth.models import User
from consult.comments.models import Comment
from consult.db import utcnow
from consult.rounds import services as round_services
from consult.rounds.models import Phase, Round
from tests import factories
from tests.load.server import Browser, gunicorn

pytestmark = pytest.mark.slow

CLIENTS = 50
COMMENTS_EACH = 20


def _setup(session, clients: int):
    round_ = factories.make_round(session, Phase.OPEN, clauses=5)
    participants = []
    org_by_group = {slug: factories.make_organisation(session, slug) for slug in factories.GROUP_SLUGS}
    for n in range(clients):
        slug = factories.GROUP_SLUGS[n % len(factories.GROUP_SLUGS)]
        participants.append(factories.make_user(session, organisation=org_by_group[slug], email=f"load{n}@example.org"))
    moderator = factories.make_user(session, factories.Role.MODERATOR, email="load-moderator@example.org")
    session.commit()
    return round_, [p.email for p in participants], moderator


def _comment(browser: Browser, round_id: int, token: str, n: int) -> tuple[int, str]:
    return browser.request(
        f"/rounds/{round_id}/comments",
        {
            "csrf_token": token,
            "prefix": "",
            "nonce": secrets.token_urlsafe(16),
            "clause": f"k{1 + n % 5}",
            "type": "technical",
            "body": f"Load comment {n} <b>bold</b>",
            "proposed_change": "",
            "attribution": "person",
            "submit": "Submit comment",
        },
    )


def _close(app, round_id: int, moderator_id: int) -> None:
    """A moderator closes the round from a session of its own (a writer, as a POST would be)."""
    writer = app.extensions["consult.db"].new_session()
    try:
        round_services.close_early(
            writer, actor=writer.get(User, moderator_id), round_=writer.get(Round, round_id), reason="load test"
        )
        writer.commit()
    finally:
        writer.close()


def _client(base: str, email: str, round_id: int, results: list, stop_after_close: threading.Event | None = None):
    browser = Browser(base)
    browser.login(email, factories.PASSWORD)
    token = browser.csrf(f"/rounds/{round_id}/comments/new")
    for n in range(COMMENTS_EACH):
        status, page = _comment(browser, round_id, token, n)
        results.append((status, "database is locked" in page, "closed for comments at the deadline" in page))


@pytest.mark.parametrize("close_midway", [False, True], ids=["steady", "closing"])
def test_fifty_clients_twenty_comments_each(app, session, database_url, tmp_path, close_midway):
    round_, emails, moderator = _setup(session, CLIENTS)
    results: list[tuple[int, bool, bool]] = []
    with gunicorn(database_url, workers=4, log=tmp_path / "gunicorn.log") as base:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(_client, base, email, round_.id, results) for email in emails]
            if close_midway:
                while len(results) < CLIENTS * COMMENTS_EACH // 3:
                    time.sleep(0.05)
                _close(app, round_.id, moderator.id)
            for future in futures:
                future.result()
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    statuses = [status for status, _locked, _closed in results]
    stored = statuses.count(302)
    session.expire_all()
    in_db = session.scalar(select(func.count(Comment.id)).where(Comment.round_id == round_.id))
    assert len(results) == CLIENTS * COMMENTS_EACH
    assert not any(locked for _s, locked, _c in results) and "database is locked" not in log
    assert all(status < 500 for status in statuses), sorted(set(statuses))
    assert in_db == stored
    if not close_midway:
        assert stored == CLIENTS * COMMENTS_EACH
        return
    refused = [r for r in results if r[0] != 302]
    assert refused, "the close should have refused some comments"
    assert all(status == 409 and closed for status, _locked, closed in refused)
    closed_round = session.get(Round, round_.id)
    late = session.scalar(
        select(func.count(Comment.id)).where(
            Comment.round_id == round_.id, Comment.submitted_at >= closed_round.closes_at
        )
    )
    assert late == 0
    assert closed_round.phase(utcnow()) is Phase.CLOSED
