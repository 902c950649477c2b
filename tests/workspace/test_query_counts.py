"""P3 for the workspace and the notification centre: the statements a page runs do not grow with
what waits for the person (rounds, comments, dispositions, reports, notifications), and stay few."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.comments.models import CommentReport, CommentStatus
from consult.db import utcnow
from consult.digests import notices
from consult.dispositions.models import Disposition, DispositionKind
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.rounds.test_query_counts import statements_for

MAX_STATEMENTS = 20


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PAGE_CACHE_ENTRIES": 0}


def add_world(session, people, n: int) -> None:
    """`n` of everything a workspace lists, for every role."""
    organiser, author = people["organiser"], people["participant:governments"]
    for i in range(n):
        open_round = make_round(session, Phase.OPEN, prepared_by=organiser, requires_signoff=True)
        closed = make_round(session, Phase.CLOSED, prepared_by=organiser)
        closed.publication_requested_at = utcnow() - timedelta(hours=i + 1)
        pending = make_round(session, Phase.PENDING_APPROVAL, prepared_by=organiser)
        draft = make_round(session, Phase.DRAFT, prepared_by=organiser)
        draft.sent_back_reason = "Change the dates"
        for status in (
            CommentStatus.DRAFT,
            CommentStatus.AWAITING_SIGNOFF,
            CommentStatus.AWAITING_MODERATION,
            CommentStatus.REJECTED,
            CommentStatus.ACCEPTED,
        ):
            make_comment(session, open_round, author, status=status)
        reported = make_comment(session, open_round, people["participant:industry"])
        session.add(CommentReport(comment_id=reported.id, reporter_id=author.id, reason="x"))
        answered = make_comment(session, closed, author)
        session.add(
            Disposition(
                comment_id=answered.id,
                round_id=closed.id,
                kind=DispositionKind.NOTED,
                observation="Noted.",
                recorded_by_id=organiser.id,
                released_at=utcnow() if i % 2 else None,
            )
        )
        make_comment(session, closed, author)
        notices.notify_round_opened(session, open_round)
        assert pending.id
    session.commit()


@pytest.mark.parametrize("viewer", ["participant:governments", "focal_point", "moderator", "organiser", "admin"])
@pytest.mark.parametrize("path", ["/", "/notifications"])
def test_workspace_and_notifications_run_a_constant_small_number_of_statements(
    app, session, people, login_as, viewer, path
):
    client = app.test_client()
    login_as(client, people[viewer])
    counts = {}
    added = 0
    for size in (1, 4, 12):
        add_world(session, people, size - added)
        added = size
        statements = statements_for(app, client, path)
        counts[size] = len(statements)
        assert len(statements) <= MAX_STATEMENTS, "\n\n".join(statements)
    assert len(set(counts.values())) == 1, f"statements per amount of work: {counts}"


@pytest.mark.parametrize("viewer", ["moderator", "organiser", "focal_point"])
def test_queues_run_a_constant_small_number_of_statements(app, session, people, login_as, viewer):
    path = "/signoff" if viewer == "focal_point" else "/moderation"
    client = app.test_client()
    login_as(client, people[viewer])
    counts = {}
    added = 0
    for size in (1, 4, 12):
        add_world(session, people, size - added)
        added = size
        counts[size] = len(statements_for(app, client, path))
    assert len(set(counts.values())) == 1, f"statements per amount of work: {counts}"
    assert counts[12] <= MAX_STATEMENTS
