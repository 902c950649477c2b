"""A notice or digest line about a round's phase is not sent once it is no longer true."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from consult.db import utcnow
from consult.digests.content import build_digest
from consult.digests.cursors import Period, Window
from consult.digests.notices import notify_round_opened
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.sender import deliver
from consult.policy import as_viewer
from consult.rounds.models import Phase
from tests import factories


def test_a_round_opened_notice_is_not_sent_once_the_round_closed(app, session, people, smtp):
    round_ = factories.make_round(session, Phase.OPEN)
    notify_round_opened(session, round_)
    round_.closes_at = utcnow() - timedelta(minutes=1)  # it closed before the notice went out
    session.commit()  # the rows are handed to the sender after the commit
    deliver(app)
    statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SKIPPED}
    assert smtp.messages == []


def test_rounds_now_open_lists_only_rounds_still_open(app, session, people):
    still_open = factories.make_round(session, Phase.OPEN)
    closed = factories.make_round(session, Phase.CLOSED)
    now = utcnow()
    for round_ in (still_open, closed):
        round_.opens_at = now - timedelta(days=2)
    session.commit()
    content = build_digest(
        session, as_viewer(people["participant:governments"]), Window(0, 0), Period(now - timedelta(days=3), now)
    )
    assert still_open in content.opened and closed not in content.opened
