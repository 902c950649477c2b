"""The exports give a round's phase as its pages do (issue 11.7): a round closed early is
"closed", not its stored step "approved"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.db import utcnow
from consult.rounds import services as rounds
from consult.rounds.models import Phase, RoundStatus
from tests.factories import make_round
from tests.support.clients import sign_in


@pytest.mark.parametrize("phase", [Phase.OPEN, Phase.CLOSED, Phase.PUBLISHED])
def test_the_json_export_gives_the_phase_the_pages_show(app, session, people, login_as, phase):
    round_ = make_round(session, phase)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    head = client.get(f"/rounds/{round_.id}/comments.json").get_json()["round"]
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert head["phase"] == phase.value and head["phase_label"] in page
    assert "status" not in head  # the stored step ("approved") is not what a person calls it


def test_a_round_closed_early_is_exported_as_closed(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    rounds.close_early(session, actor=people["moderator"], round_=round_, reason="Enough said")
    session.commit()
    assert round_.status is RoundStatus.APPROVED and round_.closes_at <= utcnow() + timedelta(seconds=1)
    client = sign_in(app, login_as, session, people, "organiser")
    head = client.get(f"/rounds/{round_.id}/comments.json").get_json()["round"]
    assert (head["phase"], head["phase_label"]) == ("closed", "closed")
