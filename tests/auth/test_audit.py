"""Account actions leave audit entries naming who acted, on what, and why."""

from __future__ import annotations

from sqlalchemy import select

from consult.audit import AuditEvent
from tests.auth.helpers import csrf_from, link_in, path_of, reread
from tests.factories import PASSWORD

NEW_PASSWORD = "an audited new passphrase"


def _events(session, action: str) -> list[AuditEvent]:
    reread(session)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_invitation_create_and_accept_are_audited(app, session, people, login_as, smtp):
    organiser = app.test_client()
    login_as(organiser, people["organiser"])
    org = people.organisations["industry"]
    token = csrf_from(organiser, "/admin/invitations")
    organiser.post(
        "/admin/invitations",
        data={
            "csrf_token": token,
            "email": "audit@example.net",
            "role": "participant",
            "organisation": org.id,
        },
    )
    (created,) = _events(session, "invitation.create")
    assert created.actor_id == people["organiser"].id
    assert created.subject_type == "Invitation"
    assert created.summary == "audit@example.net as participant"
    assert created.details == {"role": "participant", "organisation_id": org.id}

    newcomer = app.test_client()
    path = path_of(link_in(smtp.to("audit@example.net")[0]))
    newcomer.post(
        path,
        data={
            "csrf_token": csrf_from(newcomer, path),
            "display_name": "Audited",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "timezone": "UTC",
        },
    )
    (accepted,) = _events(session, "invitation.accept")
    assert accepted.subject_id == created.subject_id
    assert accepted.actor is not None
    assert accepted.actor.email == "audit@example.net"


def test_refused_invitation_writes_no_audit_entry(app, session, people, login_as):
    organiser = app.test_client()
    login_as(organiser, people["organiser"])
    token = csrf_from(organiser, "/admin/invitations")
    organiser.post(
        "/admin/invitations",
        data={"csrf_token": token, "email": "nobody@example.net", "role": "admin", "organisation": "0"},
    )
    assert _events(session, "invitation.create") == []


def test_password_change_is_audited(client, session, people, login_as):
    person = people["moderator"]
    login_as(client, person)
    token = csrf_from(client, "/account")
    client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    (event,) = _events(session, "user.password_change")
    assert event.actor_id == person.id
    assert (event.subject_type, event.subject_id) == ("User", person.id)


def test_password_reset_is_audited(app, client, session, people, smtp):
    person = people["focal_point"]
    client.post("/password/forgot", data={"csrf_token": csrf_from(client, "/password/forgot"), "email": person.email})
    path = path_of(link_in(smtp.to(person.email)[0]))
    client.post(path, data={"csrf_token": csrf_from(client, path), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    (event,) = _events(session, "user.password_reset")
    assert event.actor_id == person.id
    assert event.subject_id == person.id


def test_role_change_is_audited_with_actor_and_reason(app, session, people, login_as):
    admin = app.test_client()
    login_as(admin, people["admin"])
    subject = people["participant:igo"]
    other_org = people.organisations["academia-technical"]
    token = csrf_from(admin, f"/admin/users/{subject.id}")
    response = admin.post(
        f"/admin/users/{subject.id}/role",
        data={
            "csrf_token": token,
            "role": "focal_point",
            "organisation": other_org.id,
            "reason": "Nominated by the ministry",
        },
    )
    assert response.status_code == 302
    (event,) = _events(session, "user.role_change")
    assert event.actor_id == people["admin"].id
    assert event.reason == "Nominated by the ministry"
    assert (event.subject_type, event.subject_id) == ("User", subject.id)
    assert event.summary == "participant → focal_point"
    assert event.details["before_organisation_id"] == people.organisations["igo"].id
    assert event.details["organisation_id"] == other_org.id
    page = admin.get(f"/admin/users/{subject.id}").data.decode()
    assert "Nominated by the ministry" in page


def test_audit_entries_cannot_be_edited(session, people):
    import pytest

    from consult import audit

    entry = audit.record(session, actor=people["admin"], action="test.entry", subject=people["admin"], reason="r")
    session.commit()
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        session.flush()
    session.rollback()
