"""R2 at the deadline, R2/R3 when a comment races a close, and double submits.

The race tests run real threads, each with its own app context and database session, against
the suite's database: a SQLite file (WAL, BEGIN IMMEDIATE) or PostgreSQL when
CONSULT_TEST_DATABASE_URL is set. Each is bounded to a few seconds.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.auth.models import User
from consult.comments import services
from consult.comments.models import Attribution, Comment, CommentType
from consult.db import get_session, utcnow
from consult.rounds import services as round_services
from consult.rounds.models import Phase, Preset, Round
from tests import factories
from tests.rounds.helpers import audit_entries, detached, hidden_inputs, in_thread, textarea
from tests.support.state import fresh

US = timedelta(microseconds=1)


def data(body: str = "Add a duty to publish a disclosure policy.") -> services.CommentInput:
    return services.CommentInput("k2", CommentType.TECHNICAL, body, "Add: 'and publishes it'.", Attribution.PERSON)


# --- The deadline (R2) -----------------------------------------------------------------------


def test_a_comment_a_microsecond_before_the_deadline_is_stored(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    just_before = round_.closes_at - US
    comment, created = services.save_comment(
        session, actor=people["participant:igo"], round_=round_, data=data(), nonce="edge", submit=True, now=just_before
    )
    session.commit()
    assert created
    stored = fresh(session).get(Comment, comment.id)
    assert stored.submitted_at == just_before < round_.closes_at


@pytest.mark.parametrize("late", [timedelta(0), US, timedelta(days=3)], ids=["at", "1us-after", "days-after"])
def test_a_comment_at_or_after_the_deadline_is_refused(session, people, late):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    for submit in (True, False):
        with pytest.raises(services.RoundClosed) as info:
            services.save_comment(
                session,
                actor=people["participant:igo"],
                round_=round_,
                data=data(),
                nonce=f"late-{submit}",
                submit=submit,
                now=round_.closes_at + late,
            )
        message = str(info.value)
        assert "closed" in message and "not saved" in message and "Your text is below" in message
        session.commit()
    assert fresh(session).scalars(select(Comment)).all() == []
    assert audit_entries(session, "comment.submit") == []


def test_the_web_gives_the_text_back_after_the_deadline(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:civil-society"])
    page = client.get(f"/rounds/{round_.id}/comments/new?clause=k2")
    assert page.status_code == 200
    fields = hidden_inputs(page.get_data(as_text=True))
    assert fields["csrf_token"] and fields["nonce"]

    # The author types while the deadline passes.
    round_.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    body = 'Clause 2 must cover\nsupply-chain <vendors> & "integrators".'
    proposal = "Insert 'and their suppliers'."
    response = client.post(
        f"/rounds/{round_.id}/comments",
        data={
            "csrf_token": fields["csrf_token"],
            "nonce": fields["nonce"],
            "prefix": "",
            "clause": "k2",
            "type": "technical",
            "body": body,
            "proposed_change": proposal,
            "attribution": "organisation",
            "submit": "Submit comment",
        },
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "closed for comments at the deadline" in html and "Your text is below" in html
    assert textarea(html, "body") == body.replace("\n", "\r\n") or textarea(html, "body") == body
    assert textarea(html, "proposed_change") == proposal
    assert (
        "&lt;vendors&gt; &amp; &#34;integrators&#34;" in html or "&lt;vendors&gt; &amp; &quot;integrators&quot;" in html
    )
    assert fresh(session).scalars(select(Comment)).all() == []


# --- A comment racing a close (R2, R3) --------------------------------------------------------


def test_comments_racing_a_close_are_stored_or_refused_never_lost(app, session, people):
    for attempt in range(3):  # the interleavings differ from run to run: try a few
        _race_once(app, session, people, attempt)


def _race_once(app, session, people, attempt: int) -> None:
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    session.commit()
    round_id = round_.id
    ids = [people[n].id for n in ("participant:governments", "participant:industry", "participant:igo", "moderator")]
    fresh(session)  # the test's own session holds no transaction (and no SQLite lock) meanwhile
    *authors, moderator = [detached(app, User, ident) for ident in ids]
    target = detached(app, Round, round_id)
    fresh(session)

    outcomes: list[tuple[int, str, str, object]] = []  # (author id, nonce, outcome, detail)
    lock = threading.Lock()
    stored_enough = threading.Event()
    give_up = time.monotonic() + 5

    def submit_loop(author: User) -> None:
        refused = 0
        i = 0
        while refused < 3 and time.monotonic() < give_up:
            i += 1
            nonce = f"race-{attempt}-{author.id}-{i}"
            with app.test_request_context(method="POST"):
                db = get_session()
                try:
                    comment, created = services.save_comment(
                        db, actor=author, round_=target, data=data(f"Comment {nonce}"), nonce=nonce, submit=True
                    )
                    db.commit()
                    outcome = ("stored", comment.id) if created else ("duplicate", comment.id)
                except services.RoundClosed as exc:
                    db.rollback()
                    refused += 1
                    outcome = ("refused", str(exc))
                except Exception as exc:  # noqa: BLE001 ("database is locked", or anything else)
                    db.rollback()
                    outcome = ("error", repr(exc))
            with lock:
                outcomes.append((author.id, nonce, *outcome))
                if sum(1 for o in outcomes if o[2] == "stored") >= 12:
                    stored_enough.set()
            if outcome[0] == "error":
                return

    closer_results: list = []

    def close() -> None:
        stored_enough.wait(timeout=3)
        with app.test_request_context(method="POST"):
            db = get_session()
            try:
                round_services.close_early(db, actor=moderator, round_=target, reason="Closed at the chair's request")
                db.commit()
                closer_results.append("closed")
            except Exception as exc:  # noqa: BLE001
                db.rollback()
                closer_results.append(repr(exc))

    threads = [threading.Thread(target=submit_loop, args=(a,), daemon=True) for a in authors]
    threads.append(threading.Thread(target=close, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive(), "a racing thread hung"

    assert closer_results == ["closed"]
    errors = [o for o in outcomes if o[2] in ("error", "duplicate")]
    assert errors == [], errors
    fresh(session)
    closes_at = session.get(Round, round_id).closes_at
    rows = {c.nonce: c for c in session.scalars(select(Comment).where(Comment.round_id == round_id))}
    stored = {o[1] for o in outcomes if o[2] == "stored"}
    refused = {o[1] for o in outcomes if o[2] == "refused"}
    assert stored and refused, "the race did not cover both sides of the close"
    assert set(rows) == stored, "a comment reported stored is missing, or a refused one was stored"
    assert not refused & set(rows)
    late = {n: (c.submitted_at, closes_at) for n, c in rows.items() if not c.submitted_at < closes_at}
    assert late == {}, "stored after the deadline"
    for o in outcomes:
        if o[2] == "refused":
            assert "closed" in o[3] and "Your text is below" in o[3]
    assert len(audit_entries(session, "round.close_early", round_id)) == 1
    submitted = {e.subject_id for e in audit_entries(session, "comment.submit")}
    assert {c.id for c in rows.values()} <= submitted


# --- Double submit --------------------------------------------------------------------------------


def test_the_same_form_twice_stores_one_comment(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:industry"])
    fields = hidden_inputs(client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True))
    form = {
        "csrf_token": fields["csrf_token"],
        "nonce": fields["nonce"],
        "prefix": "",
        "clause": "k1",
        "type": "general",
        "body": "Once only, please.",
        "proposed_change": "",
        "attribution": "person",
        "submit": "Submit comment",
    }
    first = client.post(f"/rounds/{round_.id}/comments", data=form)
    second = client.post(f"/rounds/{round_.id}/comments", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    rows = fresh(session).scalars(select(Comment)).all()
    assert [(c.body, c.nonce) for c in rows] == [("Once only, please.", fields["nonce"])]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already saved" in page
    assert len(audit_entries(session, "comment.submit")) == 1


def test_the_same_form_from_two_threads_at_once_stores_one_comment(app, session, people):
    round_ = factories.make_round(session, Phase.OPEN, premoderation=True)
    session.commit()
    author_id, round_id = people["participant:academia-technical"].id, round_.id
    for attempt in range(3):
        fresh(session)  # the test's own session holds no transaction (and no SQLite lock) meanwhile
        author = detached(app, User, author_id)
        target = detached(app, Round, round_id)
        nonce = f"double-{attempt}"
        barrier = threading.Barrier(2)
        results: list = []

        def work(db, author=author, target=target, nonce=nonce):
            comment, created = services.save_comment(
                db, actor=author, round_=target, data=data("Twice?"), nonce=nonce, submit=True
            )
            return comment.id, created

        threads = [in_thread(app, work, results, barrier) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=15)
        assert sorted((kind, value[1]) for kind, value in results) == [("ok", False), ("ok", True)], results
        assert results[0][1][0] == results[1][1][0], "both answers name the same comment"
        rows = fresh(session).scalars(select(Comment).where(Comment.nonce == nonce)).all()
        assert len(rows) == 1
        entries = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "comment.submit", AuditEvent.subject_id == rows[0].id)
        ).all()
        assert len(entries) == 1
