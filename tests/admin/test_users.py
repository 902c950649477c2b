"""People in the admin area: roles, disabling, and the searchable list."""

from __future__ import annotations

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.auth.models import Role
from tests.factories import make_user
from tests.support.clients import is_login_redirect, post, sign_in
from tests.support.html import parse
from tests.support.state import fresh


def role_url(user) -> str:
    return f"/admin/users/{user.id}/role"


def audit_entries(session, action: str) -> list[AuditEvent]:
    fresh(session)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_role_change_needs_a_reason(app, session, people, login_as):
    subject = people["participant:industry"]
    admin = sign_in(app, login_as, session, people, "admin")
    response = post(admin, role_url(subject), {"role": "moderator", "organisation": "0", "reason": "  "})
    assert response.status_code == 400
    assert "Say why the role changes" in response.get_data(as_text=True)
    fresh(session)
    assert subject.role == Role.PARTICIPANT
    assert audit_entries(session, "user.role_change") == []


def test_role_change_ends_sessions_and_is_audited(app, session, people, login_as):
    subject = people["participant:industry"]
    subject_client = sign_in(app, login_as, session, people, "participant:industry")
    assert subject_client.get("/account").status_code == 200

    admin = sign_in(app, login_as, session, people, "admin")
    response = post(admin, role_url(subject), {"role": "moderator", "organisation": "0", "reason": "chairs now"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{subject.id}")

    fresh(session)
    assert subject.role == Role.MODERATOR
    assert subject.organisation_id is None  # moderators speak for no organisation
    assert is_login_redirect(subject_client.get("/account"))  # their old session has ended
    (entry,) = audit_entries(session, "user.role_change")
    assert entry.reason == "chairs now"
    assert entry.actor_id == people["admin"].id
    assert (entry.subject_type, entry.subject_id) == ("User", subject.id)
    assert entry.details["before_role"] == "participant" and entry.details["role"] == "moderator"


def test_participant_without_organisation_is_refused(app, session, people, login_as):
    subject = people["moderator"]
    admin = sign_in(app, login_as, session, people, "admin")
    response = post(admin, role_url(subject), {"role": "participant", "organisation": "0", "reason": "joins"})
    assert response.status_code == 400
    assert "A participant or focal point must belong to an organisation." in response.get_data(as_text=True)
    fresh(session)
    assert subject.role == Role.MODERATOR and subject.organisation_id is None
    assert audit_entries(session, "user.role_change") == []


def test_participant_gets_an_organisation(app, session, people, login_as):
    subject = people["moderator"]
    org = people.organisations["igo"]
    admin = sign_in(app, login_as, session, people, "admin")
    response = post(admin, role_url(subject), {"role": "participant", "organisation": org.id, "reason": "joins"})
    assert response.status_code == 302
    fresh(session)
    assert subject.role == Role.PARTICIPANT and subject.organisation_id == org.id


def test_disable_and_enable(app, session, people, login_as):
    subject = people["participant:igo"]
    subject_client = sign_in(app, login_as, session, people, "participant:igo")
    admin = sign_in(app, login_as, session, people, "admin")
    url = f"/admin/users/{subject.id}/active"

    response = post(admin, url, {"active": "0", "reason": ""})
    assert response.status_code == 400
    fresh(session)
    assert subject.is_active

    response = post(admin, url, {"active": "0", "reason": "left the organisation"})
    assert response.status_code == 302
    fresh(session)
    assert not subject.is_active
    assert is_login_redirect(subject_client.get("/account"))
    assert "disabled" in admin.get(f"/admin/users/{subject.id}").get_data(as_text=True)

    response = post(admin, url, {"active": "1", "reason": "back again"})
    assert response.status_code == 302
    fresh(session)
    assert subject.is_active
    assert [e.reason for e in audit_entries(session, "user.disable")] == ["left the organisation"]
    assert [e.reason for e in audit_entries(session, "user.enable")] == ["back again"]


def test_organiser_sees_a_person_but_no_forms_to_change_them(app, session, people, login_as):
    organiser = sign_in(app, login_as, session, people, "organiser")
    page = organiser.get(f"/admin/users/{people['participant:igo'].id}")
    assert page.status_code == 200
    assert "igo@example.org" in page.get_data(as_text=True)
    assert "/role" not in page.get_data(as_text=True) and "/active" not in page.get_data(as_text=True)


def test_admin_role_form_offers_every_role(app, session, people, login_as):
    admin = sign_in(app, login_as, session, people, "admin")
    page = parse(admin.get(f"/admin/users/{people['participant:igo'].id}").get_data(as_text=True))
    assert page.options["role"] == ["participant", "focal_point", "moderator", "organiser", "admin"]


def test_user_list_search_filter_and_pages(app, session, people, login_as):
    for n in range(60):
        make_user(session, Role.MODERATOR if n % 10 == 0 else Role.PARTICIPANT, email=f"crowd{n:02d}@example.org")
    make_user(session, Role.PARTICIPANT, email="needle@example.org", name="Unusual Haystack Name")
    session.commit()
    admin = sign_in(app, login_as, session, people, "admin")

    found = admin.get("/admin/users?q=HAYSTACK").get_data(as_text=True)
    assert "needle@example.org" in found and "crowd01@example.org" not in found

    moderators = admin.get("/admin/users?role=moderator").get_data(as_text=True)
    assert "crowd00@example.org" in moderators and "moderator@example.org" in moderators
    assert "crowd01@example.org" not in moderators

    first = admin.get("/admin/users").get_data(as_text=True)
    assert 'rel="next"' in first
    second = admin.get("/admin/users?page=2")
    assert second.status_code == 200
    text = second.get_data(as_text=True)
    assert 'rel="prev"' in text and "crowd" in text
    assert set(parse(first).links) & {link for link in parse(text).links if "/admin/users/" in link} == set()

    beyond = admin.get("/admin/users?page=99999")
    assert beyond.status_code == 200 and "Nobody matches these filters." in beyond.get_data(as_text=True)
    not_a_number = admin.get("/admin/users?page=abc")
    assert not_a_number.status_code == 200 and "admin@example.org" in not_a_number.get_data(as_text=True)
