"""The timeline speaks of each round in the tense of its phase (issue 11: "Open from ..." was
said of rounds that had closed); so do notices and digests sent after a round moved on."""

from __future__ import annotations

import pytest

from consult.rounds.models import Phase
from tests import factories
from tests.support.clients import sign_in

SAID = {
    Phase.DRAFT: "Planned to be open from",
    Phase.PENDING_APPROVAL: "Planned to be open from",
    Phase.SCHEDULED: "Opens for comments on",
    Phase.OPEN: "Open for comments until",
    Phase.CLOSED: "Was open for comments from",
    Phase.PUBLISHED: "Was open for comments from",
    Phase.ARCHIVED: "Was open for comments from",
}


@pytest.mark.parametrize("phase", list(SAID))
def test_the_timeline_says_each_round_in_its_tense(app, session, people, login_as, phase):
    consultation = factories.make_consultation(session)
    factories.make_round(session, phase, consultation=consultation)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert SAID[phase] in page
    for other in set(SAID.values()) - {SAID[phase]}:
        assert other not in page
    assert "Open from" not in page
