"""A comment that some signed-in group may never see is never public (issue 11): a government
delegate must not read, by signing out, what the round's rule keeps from governments. The
public reads only what every group may read, on every surface."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from consult.rounds.models import Phase, Preset, RoundVisibility, Stage
from tests import factories
from tests.support.clients import sign_in

SECRET = "CIVIL-SOCIETY-ONLY-NOT-FOR-GOVERNMENTS"
SHARED = "INDUSTRY-POSITION-FOR-EVERYONE"
SURFACES = [
    "/rounds/{round}",
    "/rounds/{round}?clause=k1",
    "/rounds/{round}/matrix",
    "/comments/{secret}",
    "/rounds/{round}/comments.csv",
    "/rounds/{round}/comments.json",
    "/rounds/{round}/briefing",
    "/consultations/{consultation}/briefing",
]


@pytest.fixture
def never_round(session, people):
    consultation = factories.make_consultation(session, public=True)
    round_ = factories.make_round(
        session, Phase.PUBLISHED, Preset.OPEN_DIALOGUE, consultation=consultation, results_public=True
    )
    governments = people["participant:governments"].organisation.stakeholder_group_id
    civil = people["participant:civil-society"].organisation.stakeholder_group_id
    session.execute(
        update(RoundVisibility)
        .where(
            RoundVisibility.round_id == round_.id,
            RoundVisibility.viewer_group_id == governments,
            RoundVisibility.author_group_id == civil,
        )
        .values(stage=Stage.NEVER)
    )
    secret = factories.make_comment(session, round_, people["participant:civil-society"], body=SECRET)
    factories.make_comment(session, round_, people["participant:industry"], body=SHARED)
    session.commit()
    return consultation, round_, secret


@pytest.mark.parametrize("path", SURFACES)
def test_the_public_never_reads_what_a_group_may_never_read(app, session, people, login_as, never_round, path):
    consultation, round_, secret = never_round
    url = path.format(round=round_.id, consultation=consultation.id, secret=secret.id)
    public = sign_in(app, login_as, session, people, "anonymous").get(url)
    text = public.get_data(as_text=True)
    assert SECRET not in text
    if "/comments/" not in url:
        assert public.status_code == 200 and SHARED in text
        if url.endswith(".json"):
            assert secret.id not in [c["id"] for c in public.get_json()["comments"]]
        else:
            assert f'id="comment-{secret.id}"' not in text
    # Governments, signed in, do not read it either; industry (whose cell is open) does.
    governments = sign_in(app, login_as, session, people, "participant:governments").get(url)
    assert SECRET not in governments.get_data(as_text=True)
    industry = sign_in(app, login_as, session, people, "participant:industry").get(url)
    if "/comments/" in url or "clause" in url or url.endswith(("csv", "json")) or "briefing" in url:
        assert SECRET in industry.get_data(as_text=True)


def test_the_settings_page_says_which_groups_stay_unpublished(app, session, people, login_as, never_round):
    _consultation, round_, _secret = never_round
    page = sign_in(app, login_as, session, people, "organiser").get(f"/rounds/{round_.id}/settings")
    text = page.get_data(as_text=True)
    assert "never public" in text and people["participant:civil-society"].organisation.stakeholder_group.name in text
