"""Every form with a date or time, opened and saved unchanged by people in UTC-10, UTC, UTC+5:30
and UTC+9, changes nothing (issue 11: the settings form filled fields labelled "your timezone"
with UTC values and moved a round by the organiser's offset). A change that puts a deadline in
the past asks for confirmation first."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.rounds.models import Phase, Round
from tests import factories
from tests.support.clients import sign_in
from tests.support.html import form_values
from tests.support.state import fresh

ZONES = ["Pacific/Honolulu", "UTC", "Asia/Kolkata", "Asia/Seoul"]


def _person(session, people, who: str, zone: str):
    user = people[who]
    user.timezone = zone
    session.commit()
    return user


def _round_state(session, round_id: int) -> tuple:
    r = fresh(session).get(Round, round_id)
    return (r.title, r.description, r.opens_at, r.closes_at, r.preset, r.requires_signoff, r.results_public, r.status)


@pytest.mark.parametrize("zone", ZONES)
def test_round_settings_saved_unchanged_change_nothing(app, session, people, login_as, zone):
    _person(session, people, "organiser", zone)
    round_ = factories.make_round(session, Phase.DRAFT)
    # Times with seconds, as a round made elsewhere may have: the form shows minutes.
    round_.opens_at = datetime(2031, 3, 4, 23, 30, 17, tzinfo=round_.opens_at.tzinfo)
    round_.closes_at = datetime(2031, 3, 20, 2, 17, 45, tzinfo=round_.closes_at.tzinfo)
    session.commit()
    before = _round_state(session, round_.id)
    client = sign_in(app, login_as, session, people, "organiser")
    url = f"/rounds/{round_.id}/settings"
    values = form_values(client.get(url).get_data(as_text=True))
    response = client.post(url, data=values)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _round_state(session, round_.id) == before


@pytest.mark.parametrize("zone", ZONES)
def test_the_settings_form_shows_times_in_the_viewers_zone(app, session, people, login_as, zone):
    from zoneinfo import ZoneInfo

    _person(session, people, "organiser", zone)
    round_ = factories.make_round(session, Phase.DRAFT)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    values = form_values(client.get(f"/rounds/{round_.id}/settings").get_data(as_text=True))
    shown = datetime.strptime(values["closes_at"], "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo(zone))
    assert abs(shown - round_.closes_at) < timedelta(minutes=1)


@pytest.mark.parametrize("zone", ZONES)
def test_a_new_round_saved_as_offered_keeps_the_times_shown(app, session, people, login_as, zone):
    from zoneinfo import ZoneInfo

    _person(session, people, "organiser", zone)
    consultation = factories.make_consultation(session)
    factories.make_version(session, consultation, 2)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    url = f"/consultations/{consultation.id}/rounds/new"
    values = form_values(client.get(url).get_data(as_text=True))
    values["title"] = "Saved as offered"
    assert client.post(url, data=values).status_code == 302
    created = fresh(session).scalar(select(Round).where(Round.title == "Saved as offered"))
    for field in ("opens_at", "closes_at"):
        shown = datetime.strptime(values[field], "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo(zone))
        assert getattr(created, field) == shown


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("phase", "action"), [(Phase.OPEN, "extend"), (Phase.CLOSED, "reopen")])
def test_deadline_forms_saved_unchanged_change_nothing(app, session, people, login_as, zone, phase, action):
    _person(session, people, "moderator", zone)
    round_ = factories.make_round(session, phase)
    session.commit()
    before = _round_state(session, round_.id)
    audits = session.scalar(select(func.count()).select_from(AuditEvent))
    client = sign_in(app, login_as, session, people, "moderator")
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    values = form_values(page, f"/rounds/{round_.id}/{action}")
    assert values["closes_at"], "the deadline form shows the current deadline"
    values["reason"] = "saved unchanged"
    response = client.post(f"/rounds/{round_.id}/{action}", data=values)
    assert response.status_code in (302, 400, 409)
    assert _round_state(session, round_.id) == before
    assert fresh(session).scalar(select(func.count()).select_from(AuditEvent)) == audits


@pytest.mark.parametrize("zone", ZONES)
def test_consultation_saved_unchanged_keeps_its_conference_date(app, session, people, login_as, zone):
    _person(session, people, "organiser", zone)
    consultation = factories.make_consultation(session)
    consultation.conference_date = date(2031, 1, 1)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    url = f"/consultations/{consultation.id}/edit"
    values = form_values(client.get(url).get_data(as_text=True))
    assert client.post(url, data=values).status_code == 302
    assert fresh(session).get(Consultation, consultation.id).conference_date == date(2031, 1, 1)


def test_a_deadline_moved_into_the_past_asks_for_confirmation(app, session, people, login_as):
    _person(session, people, "organiser", "Asia/Seoul")
    round_ = factories.make_round(session, Phase.DRAFT)
    session.commit()
    before = _round_state(session, round_.id)
    client = sign_in(app, login_as, session, people, "organiser")
    url = f"/rounds/{round_.id}/settings"
    values = form_values(client.get(url).get_data(as_text=True))
    past = utcnow() - timedelta(days=1)
    values["opens_at"] = (past - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    values["closes_at"] = past.strftime("%Y-%m-%dT%H:%M")
    asked = client.post(url, data=values)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 400 and "already past" in page and 'name="confirm_dates"' in page
    assert _round_state(session, round_.id) == before
    values["confirm_dates"] = "y"
    assert client.post(url, data=values).status_code == 302
    assert _round_state(session, round_.id) != before
