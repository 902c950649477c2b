"""Releasing dispositions shows how many will be released, per stakeholder group, and asks for
confirmation (issue 11.15), as the digest composer's review does before sending."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.dispositions import services
from consult.dispositions.models import Disposition, DispositionKind
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.support import fresh, post
from tests.support.clients import sign_in


def drafted_round(session, people):
    round_ = make_round(session, Phase.CLOSED)
    for name, key in (
        ("participant:governments", "k1"),
        ("participant:governments", "k2"),
        ("participant:industry", "k1"),
    ):
        comment = make_comment(session, round_, people[name], key)
        services.record_disposition(
            session, actor=people["organiser"], comment=comment, kind=DispositionKind.NOTED, observation="Noted."
        )
    session.commit()
    return round_


def released(session) -> int:
    fresh(session)
    return session.scalar(select(func.count(Disposition.id)).where(Disposition.released_at.is_not(None)))


def test_the_dispositions_page_leads_to_a_review_with_the_count_per_group(app, session, people, login_as):
    round_ = drafted_round(session, people)
    client = sign_in(app, login_as, session, people, "organiser")
    page = client.get(f"/rounds/{round_.id}/dispositions").get_data(as_text=True)
    assert f'href="/rounds/{round_.id}/dispositions/release"' in page
    assert f'action="/rounds/{round_.id}/dispositions/release"' not in page  # no one-click release
    review = client.get(f"/rounds/{round_.id}/dispositions/release")
    text = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "3 drafted dispositions will be released" in text and "2 authors told" in text
    governments = people["participant:governments"].organisation.stakeholder_group.name
    assert f'<th scope="row">{governments}</th><td>2</td><td>1</td>' in text
    assert "Release 3 dispositions" in text
    assert released(session) == 0  # reviewing changes nothing


def test_a_release_without_confirmation_releases_nothing(app, session, people, login_as, smtp):
    round_ = drafted_round(session, people)
    client = sign_in(app, login_as, session, people, "organiser")
    response = post(client, f"/rounds/{round_.id}/dispositions/release")
    assert response.status_code == 200 and "Release 3 dispositions" in response.get_data(as_text=True)
    assert released(session) == 0 and smtp.messages == []


def test_a_count_changed_since_the_review_is_reviewed_again(app, session, people, login_as):
    round_ = drafted_round(session, people)
    client = sign_in(app, login_as, session, people, "organiser")
    response = post(client, f"/rounds/{round_.id}/dispositions/release", {"expected": "2"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "check the count again" in text and "Release 3 dispositions" in text
    assert released(session) == 0


def test_the_confirmed_release_says_how_many(app, session, people, login_as):
    round_ = drafted_round(session, people)
    client = sign_in(app, login_as, session, people, "organiser")
    response = post(client, f"/rounds/{round_.id}/dispositions/release", {"expected": "3"}, follow_redirects=True)
    assert "3 dispositions released; their authors have been told." in response.get_data(as_text=True)
    assert released(session) == 3
