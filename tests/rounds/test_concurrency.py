"""R3: two moderators acting on one round at once make one transition and one audit entry.

Each thread has its own app context and database session (a SQLite file with BEGIN IMMEDIATE,
or PostgreSQL when CONSULT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading

import pytest

from consult.auth.models import User
from consult.errors import Conflict
from consult.rounds import services
from consult.rounds.models import Phase, Round, RoundStatus
from tests import factories
from tests.rounds.helpers import audit_entries, detached, in_thread, row
from tests.support.clients import post
from tests.support.state import fresh


def _approve(actor, target):
    return lambda db: services.approve_round(db, actor=actor, round_=target, reason=f"approved by {actor.email}").id


def _close(actor, target):
    return lambda db: services.close_early(db, actor=actor, round_=target, reason=f"closed by {actor.email}").id


@pytest.mark.parametrize(
    ("phase", "step", "action"),
    [(Phase.PENDING_APPROVAL, _approve, "round.approve"), (Phase.OPEN, _close, "round.close_early")],
    ids=["approve", "close-early"],
)
def test_two_moderators_at_once_make_one_transition(app, session, people, moderator2, phase, step, action):
    moderator_ids = (people["moderator"].id, moderator2.id)
    for _attempt in range(3):
        round_ = factories.make_round(session, phase, prepared_by=people["organiser"])
        session.commit()
        round_id = round_.id
        fresh(session)  # the test's session holds no transaction (nor SQLite's write lock) meanwhile
        target = detached(app, Round, round_id)
        actors = [detached(app, User, ident) for ident in moderator_ids]
        barrier = threading.Barrier(2)
        results: list = []
        threads = [in_thread(app, step(actor, target), results, barrier) for actor in actors]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=15)
            assert not t.is_alive()
        kinds = sorted(kind for kind, _value in results)
        assert kinds == ["error", "ok"], results
        error = next(value for kind, value in results if kind == "error")
        assert isinstance(error, Conflict), repr(error)
        assert "Nothing was changed" in str(error)
        entries = audit_entries(session, action, round_id)
        assert len(entries) == 1
        stored = row(session, Round, round_id)
        if action == "round.approve":
            assert stored["status"] is RoundStatus.APPROVED
            assert stored["approved_by_id"] == entries[0].actor_id
        else:
            assert stored["closes_at"] <= entries[0].at
        assert entries[0].reason.endswith(session.get(User, entries[0].actor_id).email)


def test_a_second_approval_through_the_web_gets_the_clear_409_page(app, session, people, login_as, moderator2):
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL, prepared_by=people["organiser"])
    session.commit()
    first, second = app.test_client(), app.test_client()
    login_as(first, people["moderator"])
    login_as(second, moderator2)
    ok = post(first, f"/rounds/{round_.id}/approve", {"back": f"/rounds/{round_.id}"})
    assert ok.status_code == 302
    late = post(second, f"/rounds/{round_.id}/approve", {"back": f"/rounds/{round_.id}"})
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "Someone else changed this first" in html
    assert "Nothing was changed: this round is now scheduled" in html
    assert "Reload the page" in html
    entries = audit_entries(session, "round.approve", round_.id)
    assert [e.actor_id for e in entries] == [people["moderator"].id]
