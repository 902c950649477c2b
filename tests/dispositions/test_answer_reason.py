"""Who reads the reason an author gave with their answer to a disposition (issue 11.21): while
the round is unpublished, the staff and the commenter's organisation; once it is published,
everyone who may see the comment. The answer itself goes wherever the disposition goes. Tested
on every surface that shows answers: the dispositions page, the briefing, the API."""

from __future__ import annotations

import pytest

from consult.api import services as api_tokens
from consult.dispositions import services as dispositions
from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.rounds.models import Phase, Preset
from tests.factories import make_comment, make_consultation, make_round
from tests.support.clients import sign_in

REASON = "OUR-REASON-FOR-THE-OBJECTION"
SURFACES = ["/rounds/{round}/dispositions", "/rounds/{round}/briefing", "/consultations/{consultation}/briefing"]


def objected_round(session, people, phase: Phase):
    round_ = make_round(session, phase, Preset.OPEN_DIALOGUE, consultation=make_consultation(session, public=True))
    comment = make_comment(session, round_, people["participant:governments"], "k1", body="Governments position")
    disposition = dispositions.record_disposition(
        session, actor=people["organiser"], comment=comment, kind=DispositionKind.NOT_ACCEPTED, observation="Too broad"
    )
    dispositions.release_dispositions(session, actor=people["organiser"], round_=round_)
    dispositions.acknowledge(
        session, actor=people["participant:governments"], disposition=disposition,
        kind=AcknowledgementKind.OBJECTION, reason=REASON,
    )  # fmt: skip
    session.commit()
    return round_


# viewer -> reads the reason while the round is closed (unpublished)
UNPUBLISHED = {
    "anonymous": False,  # the round itself is not public yet
    "participant:industry": False,  # another organisation that sees the comment
    "focal_point": True,  # the commenter's organisation
    "participant:governments": True,  # the commenter
    "moderator": True,
    "organiser": True,
}


@pytest.mark.parametrize("path", SURFACES)
@pytest.mark.parametrize("viewer", list(UNPUBLISHED))
def test_an_unpublished_rounds_answer_reason_is_for_staff_and_the_commenters_organisation(
    app, session, people, login_as, viewer, path
):
    round_ = objected_round(session, people, Phase.CLOSED)
    url = path.format(round=round_.id, consultation=round_.consultation_id)
    page = sign_in(app, login_as, session, people, viewer).get(url)
    text = page.get_data(as_text=True)
    assert (REASON in text) is UNPUBLISHED[viewer], (viewer, url)
    if viewer == "participant:industry":  # the comment and the answer are there, the reason is not
        assert page.status_code == 200 and "Governments position" in text and "Objection maintained" in text


@pytest.mark.parametrize("path", SURFACES)
@pytest.mark.parametrize("viewer", ["anonymous", "participant:industry"])
def test_a_published_rounds_answer_reason_is_for_everyone_who_sees_the_comment(
    app, session, people, login_as, viewer, path
):
    round_ = objected_round(session, people, Phase.PUBLISHED)
    url = path.format(round=round_.id, consultation=round_.consultation_id)
    page = sign_in(app, login_as, session, people, viewer).get(url)
    assert page.status_code == 200 and REASON in page.get_data(as_text=True)


@pytest.mark.parametrize(("viewer", "reads"), [("participant:industry", False), ("focal_point", True)])
def test_the_api_gives_the_reason_to_its_readers_only(app, session, people, viewer, reads):
    round_ = objected_round(session, people, Phase.CLOSED)
    token = api_tokens.create_token(session, actor=people[viewer], name="test tool", scopes=["read"], days=30)
    session.commit()
    headers = {"Authorization": f"Bearer {token.secret}"}
    response = app.test_client().get(f"/api/v1/rounds/{round_.id}/dispositions", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    (item,) = response.get_json()["items"]
    acknowledgement = item["disposition"]["acknowledgement"]
    assert acknowledgement["kind"] == "objection"
    assert (acknowledgement["reason"] == REASON) is reads
