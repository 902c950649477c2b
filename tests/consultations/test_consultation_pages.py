"""Consultations through their pages: organisers create and edit them; the timeline shows
drafts, the rounds the viewer may see, and the conference last, in the viewer's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.consultations.models import Consultation
from consult.drafts import services as drafts
from consult.drafts.importer import ClauseText
from consult.rounds.models import Round, RoundStatus
from tests.drafts.pages import consultation, form_values, plain, text
from tests.support.clients import is_login_redirect, sign_in
from tests.support.state import fresh, row_counts
from tests.support.world import SIGNED_IN

FORM = {
    "title": "Norms of responsible State behaviour",
    "summary": "Comments ahead of the conference.",
    "conference_name": "Global Conference on Cyberspace",
    "conference_place": "Geneva",
    "conference_date": "2031-05-20",
    "is_public": "y",
}


def actions(session) -> list[str]:
    return list(fresh(session).scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_organiser_creates_and_edits_a_consultation(app, session, people, login_as):
    client = sign_in(app, login_as, session, people, "organiser")
    assert 'href="/consultations/new"' in text(client.get("/"))
    values = form_values(client, "/consultations/new")
    assert 'type="date"' in text(client.get("/consultations/new"))
    response = client.post("/consultations/new", data={**values, **FORM})
    assert response.status_code == 302
    created = fresh(session).scalar(select(Consultation).where(Consultation.title == FORM["title"]))
    assert (created.conference_place, created.conference_date, created.is_public) == ("Geneva", date(2031, 5, 20), True)
    assert created.created_by_id == people["organiser"].id
    assert response.headers["Location"].endswith(f"/consultations/{created.id}")

    values = form_values(client, f"/consultations/{created.id}/edit")
    assert values["title"] == FORM["title"] and values["conference_date"] == "2031-05-20"
    values.pop("is_public")  # unticked: no longer public
    values["conference_place"] = "Vienna"
    response = client.post(f"/consultations/{created.id}/edit", data=values)
    assert response.status_code == 302
    fresh(session).refresh(created)
    assert (created.conference_place, created.is_public) == ("Vienna", False)
    assert actions(session) == ["consultation.create", "consultation.update"]
    update = session.scalar(select(AuditEvent).where(AuditEvent.action == "consultation.update"))
    assert sorted(update.details["changed"]) == ["conference_place", "is_public"]

    assert client.post(f"/consultations/{created.id}/edit", data=values).status_code == 302
    assert actions(session) == ["consultation.create", "consultation.update"]  # nothing changed


def test_invalid_input_is_shown_again_and_nothing_is_saved(app, session, people, login_as):
    client = sign_in(app, login_as, session, people, "organiser")
    before = row_counts(session)
    values = form_values(client, "/consultations/new")
    for bad in ({"title": "  "}, {"conference_name": ""}, {"conference_date": "20-20-2020"}, {"title": "x" * 201}):
        response = client.post("/consultations/new", data={**values, **FORM, **bad})
        assert response.status_code == 400, bad
        assert "Comments ahead of the conference." in text(response)
    response = client.post("/consultations/new", data={**FORM, "csrf_token": "stale"})
    assert response.status_code == 400 and "open too long" in text(response)
    assert row_counts(session) == before


@pytest.mark.parametrize("viewer", ["anonymous", *SIGNED_IN])
def test_only_organisers_manage_consultations(app, session, people, login_as, viewer):
    c = consultation(session)
    before = row_counts(session)
    client = sign_in(app, login_as, session, people, viewer)
    for url in ("/consultations/new", f"/consultations/{c.id}/edit"):
        for method in ("GET", "POST"):
            response = client.open(url, method=method, data=FORM)
            if viewer == "anonymous":
                assert is_login_redirect(response), (method, url)
            elif viewer == "organiser":
                assert response.status_code in (200, 400), (method, url)
            else:
                assert response.status_code == 403, (viewer, method, url)
    page = text(client.get(f"/consultations/{c.id}"))
    assert ("New draft" in page) == (viewer == "organiser")
    assert (f'href="/consultations/{c.id}/edit"' in page) == (viewer == "organiser")
    assert row_counts(session) == before


def make_round(session, c, version, title, status, opens_in_days, **extra) -> Round:
    now = datetime.now(UTC)
    found = Round(
        consultation_id=c.id,
        version_id=version.id,
        title=title,
        opens_at=now + timedelta(days=opens_in_days),
        closes_at=now + timedelta(days=opens_in_days + 30),
        status=status,
        **extra,
    )
    session.add(found)
    return found


@pytest.fixture
def timeline_world(session, people):
    organiser = people["organiser"]
    c = consultation(session, public=True)
    draft = drafts.create_draft(session, actor=organiser, consultation=c, title="Disclosure norms")
    v1 = drafts.create_version(session, actor=organiser, draft=draft, clauses=[ClauseText("1", "Scope", "x")])
    v2 = drafts.create_version(session, actor=organiser, draft=draft, clauses=[ClauseText("1", "Scope", "y")])
    make_round(session, c, v1, "First reading", RoundStatus.PUBLISHED, -60, results_public=True)
    make_round(session, c, v2, "Second reading", RoundStatus.APPROVED, -1)
    make_round(session, c, v2, "Third reading (being prepared)", RoundStatus.DRAFT, 40)
    session.commit()
    return c, draft, v1, v2


@pytest.mark.parametrize(
    ("viewer", "rounds"),
    [
        ("anonymous", ["First reading"]),
        ("participant:industry", ["First reading", "Second reading"]),
        ("organiser", ["First reading", "Second reading", "Third reading (being prepared)"]),
    ],
)
def test_timeline_shows_visible_rounds_by_date_and_the_conference_last(
    app, session, people, login_as, timeline_world, viewer, rounds
):
    c, draft, v1, v2 = timeline_world
    client = sign_in(app, login_as, session, people, viewer)
    response = client.get(f"/consultations/{c.id}")
    assert response.status_code == 200
    page = plain(text(response))
    timeline = page.split("Timeline", 1)[1]
    shown = [title for title in ("First reading", "Second reading", "Third reading (being prepared)") if title in page]
    assert shown == rounds
    expected = [*rounds[:1], "Disclosure norms", *rounds[1:], "Seoul Conference on Cyberspace"]
    order = [timeline.index(t) for t in expected]
    assert order == sorted(order)
    assert "results published" in page
    if len(rounds) > 1:
        assert "open for comments" in page
    html = text(response)
    assert f'href="/versions/{v1.id}"' in html and f'href="/versions/{v2.id}"' in html
    assert "October 17, 2030" in page


def test_timeline_is_in_the_viewers_timezone(app, session, people, login_as, timeline_world):
    c, *_rest = timeline_world
    person = people["participant:industry"]
    person.timezone = "Pacific/Auckland"
    session.commit()
    the_round = fresh(session).scalar(select(Round).where(Round.title == "Second reading"))
    client = sign_in(app, login_as, session, people, "participant:industry")
    page = plain(text(client.get(f"/consultations/{c.id}")))
    local = the_round.opens_at.astimezone(ZoneInfo("Pacific/Auckland"))
    utc = the_round.opens_at.astimezone(UTC)
    assert "Times are shown in Pacific/Auckland" in page
    assert f"{local:%H:%M}" in page or f"{local:%-I:%M}" in page  # 24- or 12-hour clock
    assert f"{utc:%H:%M}" not in page and f"{utc:%-I:%M} " not in page


def test_hidden_consultation_is_404_for_anonymous(app, session, people, login_as):
    c = consultation(session, public=False)
    assert sign_in(app, login_as, session, people, "anonymous").get(f"/consultations/{c.id}").status_code == 404
    assert sign_in(app, login_as, session, people, "participant:igo").get(f"/consultations/{c.id}").status_code == 200
    assert sign_in(app, login_as, session, people, "organiser").get("/consultations/99999/edit").status_code == 404
