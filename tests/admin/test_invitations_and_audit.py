"""Invitations (the form offers what policy allows) and the append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import audit
from consult.audit import AuditEvent
from consult.auth.models import Invitation
from tests.factories import make_invitation
from tests.support.clients import post, sign_in
from tests.support.html import parse
from tests.support.state import fresh


def test_organiser_is_offered_participant_and_focal_point_only(app, session, people, login_as):
    organiser = sign_in(app, login_as, session, people, "organiser")
    page = parse(organiser.get("/admin/invitations").get_data(as_text=True))
    assert page.options["role"] == ["participant", "focal_point"]


def test_admin_is_offered_every_role(app, session, people, login_as):
    admin = sign_in(app, login_as, session, people, "admin")
    page = parse(admin.get("/admin/invitations").get_data(as_text=True))
    assert page.options["role"] == ["participant", "focal_point", "moderator", "organiser", "admin"]


def test_organiser_cannot_invite_an_admin_by_editing_the_form(app, session, people, login_as, smtp):
    organiser = sign_in(app, login_as, session, people, "organiser")
    response = post(organiser, "/admin/invitations", {"email": "boss@example.org", "role": "admin", "organisation": 0})
    assert response.status_code == 400
    assert fresh(session).scalar(select(func.count(Invitation.id))) == 0
    assert smtp.to("boss@example.org") == []


def test_organiser_invites_a_participant(app, session, people, login_as, smtp):
    organiser = sign_in(app, login_as, session, people, "organiser")
    org = people.organisations["academia-technical"]
    data = {"email": "new@example.org", "role": "participant", "organisation": org.id}
    assert post(organiser, "/admin/invitations", data).status_code == 302
    invitation = fresh(session).scalar(select(Invitation))
    assert (invitation.email, invitation.organisation_id) == ("new@example.org", org.id)
    (message,) = smtp.to("new@example.org")
    assert "/invitation/" in message.as_string()
    assert "new@example.org" in organiser.get("/admin/invitations").get_data(as_text=True)


def test_revoke_an_invitation(app, session, people, login_as):
    invitation = make_invitation(session, "withdrawn@example.org")
    session.commit()
    organiser = sign_in(app, login_as, session, people, "organiser")
    assert "<td>withdrawn@example.org</td>" in organiser.get("/admin/invitations").get_data(as_text=True)

    response = post(organiser, f"/admin/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    fresh(session)
    assert invitation.revoked_at is not None
    entry = session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.revoke"))
    assert entry.subject_id == invitation.id and entry.actor_id == people["organiser"].id
    assert "<td>withdrawn@example.org</td>" not in organiser.get("/admin/invitations").get_data(as_text=True)

    again = post(organiser, f"/admin/invitations/{invitation.id}/revoke")
    assert again.status_code == 409
    assert "no longer pending" in again.get_data(as_text=True)


def _entries(session, people) -> None:
    org = people.organisations["igo"]
    audit.record(session, actor=people["admin"], action="user.role_change", subject=people["moderator"], reason="r1")
    audit.record(session, actor=people["admin"], action="organisation.update", subject=org, summary="renamed")
    audit.record(session, actor=people["organiser"], action="invitation.create", subject=org, summary="invited")
    audit.record(session, actor=people["organiser"], action="user_x.other", subject=org, summary="underscore")
    session.commit()


def test_audit_log_lists_and_filters(app, session, people, login_as):
    _entries(session, people)
    admin = sign_in(app, login_as, session, people, "admin")

    everything = admin.get("/admin/audit").get_data(as_text=True)
    for action in ("user.role_change", "organisation.update", "invitation.create"):
        assert f"<code>{action}</code>" in everything
    assert everything.index("invitation.create") < everything.index("user.role_change")  # newest first

    users = admin.get("/admin/audit?action=user.").get_data(as_text=True)
    assert "<code>user.role_change</code>" in users
    assert "organisation.update" not in users and "invitation.create" not in users
    assert "user_x.other" not in users  # the prefix is literal, not a LIKE pattern

    by_organiser = admin.get("/admin/audit?actor=ORGANISER@example.org").get_data(as_text=True)
    assert "<code>invitation.create</code>" in by_organiser
    assert "user.role_change" not in by_organiser and "organisation.update" not in by_organiser

    nobody = admin.get("/admin/audit?actor=nobody@example.org").get_data(as_text=True)
    assert "No entries." in nobody


def test_audit_entries_cannot_be_updated(session, people):
    entry = audit.record(session, actor=people["admin"], action="user.disable", subject=people["moderator"])
    session.commit()
    entry.reason = "rewritten history"
    with pytest.raises(PermissionError):
        session.flush()
    session.rollback()
    assert fresh(session).get(AuditEvent, entry.id).reason == ""


def test_audit_entries_cannot_be_deleted(session, people):
    entry = audit.record(session, actor=people["admin"], action="user.disable", subject=people["moderator"])
    session.commit()
    session.delete(entry)
    with pytest.raises(PermissionError):
        session.flush()
    session.rollback()
    assert fresh(session).get(AuditEvent, entry.id) is not None
