"""Invitations: sent by email over SMTP, accepted once, refused when expired, revoked or forged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.auth.models import Invitation, Role, User
from consult.db import utcnow
from tests.auth.helpers import (
    csrf_from,
    csrf_token,
    field_error,
    flashes,
    is_signed_in,
    link_in,
    path_of,
    reread,
    select_options,
    text_part,
)

USED = "This invitation link has expired or has already been used."
NEW_PASSWORD = "a long and private passphrase"


@pytest.fixture
def organiser(app, people, login_as):
    client = app.test_client()
    login_as(client, people["organiser"])
    return client


def _invite(client, email: str, role: str = "participant", organisation: int | str = 0, token: str | None = None):
    token = token or csrf_from(client, "/admin/invitations")
    return client.post(
        "/admin/invitations",
        data={"csrf_token": token, "email": email, "role": role, "organisation": str(organisation)},
    )


def _invitations(session, email: str) -> list[Invitation]:
    reread(session)
    return list(
        session.scalars(select(Invitation).where(func.lower(Invitation.email) == email.lower()).order_by(Invitation.id))
    )


def _accept(client, link: str, **fields):
    path = path_of(link)
    token = csrf_from(client, path)
    data = {
        "csrf_token": token,
        "display_name": "Nadia Newcomer",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "timezone": "Europe/Budapest",
        **fields,
    }
    return client.post(path, data=data)


def _user(session, email: str) -> User | None:
    reread(session)
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def test_organiser_invites_and_the_email_arrives_with_a_working_link(app, session, people, organiser, smtp):
    org = people.organisations["industry"]
    response = _invite(organiser, "nadia@example.net", "participant", org.id)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/invitations"
    assert "Invitation sent to nadia@example.net." in flashes(organiser.get("/admin/invitations").data)

    (message,) = smtp.to("nadia@example.net")
    assert message["To"] == "nadia@example.net"
    assert "consult" in message["Subject"].lower()
    body = text_part(message)
    assert people["organiser"].display_name in body
    assert org.name in body
    link = link_in(message)
    assert link.startswith("http://consult.test/invitation/")

    (invitation,) = _invitations(session, "nadia@example.net")
    assert invitation.role is Role.PARTICIPANT
    assert invitation.organisation_id == org.id
    assert invitation.invited_by_id == people["organiser"].id
    assert path_of(link).rsplit("/", 1)[1] not in invitation.token_hash  # only the hash is stored
    assert invitation.expires_at - invitation.created_at == app.config["INVITATION_TTL"]

    page = app.test_client().get(path_of(link))
    assert page.status_code == 200
    assert "nadia@example.net" in page.data.decode()
    assert org.name in page.data.decode()


def test_accepting_creates_the_account_signs_in_and_the_link_then_fails(app, session, people, organiser, smtp):
    org = people.organisations["civil-society"]
    _invite(organiser, "Nadia@Example.net", "focal_point", org.id)
    link = link_in(smtp.to("nadia@example.net")[0])

    newcomer = app.test_client()
    response = _accept(newcomer, link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = newcomer.get("/").data.decode()
    assert "Welcome, Nadia Newcomer. Your account is ready." in home
    assert is_signed_in(newcomer)

    user = _user(session, "nadia@example.net")
    assert user is not None
    assert user.role is Role.FOCAL_POINT
    assert user.organisation_id == org.id
    assert user.display_name == "Nadia Newcomer"
    assert user.timezone == "Europe/Budapest"
    assert user.password_hash.startswith("$argon2id$")
    (invitation,) = _invitations(session, "nadia@example.net")
    assert invitation.accepted_at is not None
    assert invitation.user_id == user.id

    for client in (app.test_client(), newcomer):
        reuse = client.get(path_of(link))
        assert reuse.status_code == 404
        assert USED in reuse.data.decode()
    replay = app.test_client().post(path_of(link), data={"display_name": "Again"})
    assert replay.status_code == 404
    assert session.scalar(select(func.count(User.id)).where(func.lower(User.email) == "nadia@example.net")) == 1


def test_new_account_can_sign_in_with_its_password(app, session, people, organiser, smtp):
    from consult.auth.services import authenticate

    _invite(organiser, "nadia@example.net", "participant", people.organisations["igo"].id)
    _accept(app.test_client(), link_in(smtp.to("nadia@example.net")[0]))
    reread(session)
    assert authenticate(session, email="nadia@example.net", password=NEW_PASSWORD) is not None
    assert authenticate(session, email="nadia@example.net", password="wrong " + NEW_PASSWORD) is None


def test_expired_invitation_is_refused(app, session, people, organiser, smtp):
    _invite(organiser, "late@example.net", "participant", people.organisations["industry"].id)
    link = link_in(smtp.to("late@example.net")[0])
    (invitation,) = _invitations(session, "late@example.net")
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()

    response = app.test_client().get(path_of(link))
    assert response.status_code == 404
    assert USED in response.data.decode()
    assert _accept_status(app, link) == 404
    assert _user(session, "late@example.net") is None


def _accept_status(app, link: str) -> int:
    client = app.test_client()
    token = csrf_from(client, "/login")
    data = {
        "csrf_token": token,
        "display_name": "X",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "timezone": "UTC",
    }
    return client.post(path_of(link), data=data).status_code


def test_revoked_invitation_is_refused(app, session, people, organiser, smtp):
    _invite(organiser, "gone@example.net", "participant", people.organisations["industry"].id)
    link = link_in(smtp.to("gone@example.net")[0])
    (invitation,) = _invitations(session, "gone@example.net")

    page = organiser.get("/admin/invitations")
    assert "gone@example.net" in page.data.decode()
    response = organiser.post(f"/admin/invitations/{invitation.id}/revoke", data={"csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    assert "gone@example.net" not in organiser.get("/admin/invitations").data.decode().split("<tbody>")[1]

    refused = app.test_client().get(path_of(link))
    assert refused.status_code == 404
    assert USED in refused.data.decode()
    assert _accept_status(app, link) == 404
    assert _user(session, "gone@example.net") is None
    assert _invitations(session, "gone@example.net")[0].revoked_at is not None


def test_revoke_needs_a_csrf_token(session, people, organiser, smtp):
    _invite(organiser, "keep@example.net", "participant", people.organisations["industry"].id)
    (invitation,) = _invitations(session, "keep@example.net")
    response = organiser.post(f"/admin/invitations/{invitation.id}/revoke")
    assert response.status_code == 400
    assert _invitations(session, "keep@example.net")[0].revoked_at is None


def test_a_second_invitation_revokes_the_first(app, session, people, organiser, smtp):
    org = people.organisations["industry"]
    _invite(organiser, "twice@example.net", "participant", org.id)
    _invite(organiser, "TWICE@example.net", "focal_point", org.id)
    first, second = (link_in(m) for m in smtp.to("twice@example.net"))
    assert first != second

    assert app.test_client().get(path_of(first)).status_code == 404
    assert app.test_client().get(path_of(second)).status_code == 200
    old, new = _invitations(session, "twice@example.net")
    assert old.revoked_at is not None
    assert new.revoked_at is None

    assert _accept(app.test_client(), second).status_code == 302
    assert _user(session, "twice@example.net").role is Role.FOCAL_POINT


def test_invitation_to_an_existing_account_is_refused_and_writes_nothing(session, people, organiser, smtp):
    existing = people["participant:industry"].email
    response = _invite(organiser, existing.upper(), "participant", people.organisations["industry"].id)
    assert response.status_code == 400
    assert field_error(response.data, "email") == "An account with this email address already exists."
    assert _invitations(session, existing) == []
    assert smtp.to(existing) == []


@pytest.mark.parametrize("role", ["moderator", "organiser", "admin"])
def test_organiser_cannot_invite_staff_roles(session, people, organiser, smtp, role):
    page = organiser.get("/admin/invitations")
    assert select_options(page.data, "role") == ["participant", "focal_point"]

    response = _invite(organiser, "climber@example.net", role, 0, token=csrf_token(page.data))
    assert response.status_code in (400, 403)
    assert _invitations(session, "climber@example.net") == []
    assert smtp.to("climber@example.net") == []


def test_admin_may_invite_every_role(app, session, people, login_as, smtp):
    admin = app.test_client()
    login_as(admin, people["admin"])
    page = admin.get("/admin/invitations")
    assert select_options(page.data, "role") == [r.value for r in Role]
    response = _invite(admin, "mod@example.net", "moderator", 0, token=csrf_token(page.data))
    assert response.status_code == 302
    _accept(app.test_client(), link_in(smtp.to("mod@example.net")[0]))
    user = _user(session, "mod@example.net")
    assert user.role is Role.MODERATOR
    assert user.organisation_id is None


def test_participant_invitation_needs_an_organisation(session, organiser, smtp):
    response = _invite(organiser, "orgless@example.net", "participant", 0)
    assert response.status_code == 400
    assert "Choose the organisation this person will speak for." in response.data.decode()
    assert _invitations(session, "orgless@example.net") == []
    assert smtp.to("orgless@example.net") == []


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b@example.net", "x" * 250 + "@example.net"])
def test_invalid_email_is_refused(session, organiser, smtp, email):
    response = _invite(organiser, email, "participant", 0)
    assert response.status_code == 400
    assert field_error(response.data, "email") != ""
    reread(session)
    assert session.scalar(select(func.count(Invitation.id))) == 0
    assert smtp.messages == []


@pytest.mark.parametrize("who", ["participant:governments", "focal_point", "moderator"])
def test_others_cannot_reach_the_invitation_pages(app, session, people, login_as, smtp, who):
    client = app.test_client()
    login_as(client, people[who])
    assert client.get("/admin/invitations").status_code == 403
    token = csrf_from(client, "/account")
    response = client.post(
        "/admin/invitations",
        data={"csrf_token": token, "email": "sneaky@example.net", "role": "participant", "organisation": "0"},
    )
    assert response.status_code == 403
    assert "You do not have access to this page" in response.data.decode()
    assert _invitations(session, "sneaky@example.net") == []
    assert smtp.messages == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/invitations")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.fixture
def invitation_link(people, organiser, smtp):
    _invite(organiser, "form@example.net", "participant", people.organisations["industry"].id)
    return link_in(smtp.to("form@example.net")[0])


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password": "short", "confirm": "short"}, "password", "Use between 12 and 256 characters."),
        ({"confirm": "something else entirely"}, "confirm", "The passwords differ."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice."),
        ({"display_name": "N" * 121}, "display_name", "120"),
        ({"display_name": ""}, "display_name", "This field is required."),
        (
            {"password": "form@example.net", "confirm": "form@example.net"},
            "password",
            "Your password cannot be your email address.",
        ),
        ({"password": "p" * 257, "confirm": "p" * 257}, "password", "Use between 12 and 256 characters."),
    ],
)
def test_accept_form_errors_create_nothing(app, session, invitation_link, fields, field, message):
    client = app.test_client()
    response = _accept(client, invitation_link, **fields)
    assert response.status_code in (200, 400)
    assert message in field_error(response.data, field)
    assert "please correct the fields marked below" in response.data.decode()
    assert _user(session, "form@example.net") is None
    assert not is_signed_in(client)
    # The link still works for a corrected attempt.
    assert _accept(client, invitation_link).status_code == 302
    assert _user(session, "form@example.net") is not None


def test_accept_without_csrf_token_keeps_the_input(app, session, invitation_link):
    response = app.test_client().post(
        path_of(invitation_link),
        data={"display_name": "Nadia", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "timezone": "UTC"},
    )
    assert response.status_code == 200
    assert "this form had been open too long" in response.data.decode()
    assert 'value="Nadia"' in response.data.decode()
    assert _user(session, "form@example.net") is None


def test_signed_in_person_cannot_accept(app, people, login_as, invitation_link):
    client = app.test_client()
    login_as(client, people["moderator"])
    response = client.get(path_of(invitation_link))
    assert response.status_code == 409
    assert "Sign out first" in response.data.decode()


@pytest.mark.parametrize(
    "token",
    ["nonsense", "A" * 43, "x" * 513, "x" * 5000, "..%2F..%2Fetc%2Fpasswd", "' OR 1=1 --"],
)
def test_garbage_invitation_tokens_give_404(client, token):
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 404
    assert "This link does not work" in response.data.decode() or "Page not found" in response.data.decode()


def test_a_nul_in_a_token_is_malformed_input(client):
    assert client.get("/invitation/%00").status_code == 400  # refused before any query (PostgreSQL cannot hold it)


def test_account_created_elsewhere_meanwhile_gives_a_clear_conflict(app, session, people, organiser, smtp):
    from tests.factories import make_user

    _invite(organiser, "race@example.net", "participant", people.organisations["industry"].id)
    link = link_in(smtp.to("race@example.net")[0])
    make_user(session, email="race@example.net")
    session.commit()
    response = _accept(app.test_client(), link)
    assert response.status_code == 409
    assert "An account with this email address already exists. Sign in instead." in response.data.decode()


def test_the_invitation_speaks_the_language_the_inviter_chose(app, session, people, organiser, smtp):
    """The inviter picks the invitee's language: the email is written in it, the invitation page
    opens in it (unless the browser chose a language), and the new account keeps it."""
    org = people.organisations["igo"]
    form = organiser.get("/admin/invitations").data.decode()
    assert 'name="language"' in form and 'lang="ar"' in form
    token = csrf_from(organiser, "/admin/invitations")
    response = organiser.post(
        "/admin/invitations",
        data={
            "csrf_token": token,
            "email": "amina@example.net",
            "role": "participant",
            "organisation": str(org.id),
            "language": "fr",
        },
    )
    assert response.status_code == 302
    (message,) = smtp.to("amina@example.net")
    body = text_part(message)
    assert "Bonjour," in body and "vous invite à rejoindre consult" in body  # written in French
    assert "invites you" not in body
    (invitation,) = _invitations(session, "amina@example.net")
    assert invitation.locale == "fr"
    assert 'lang="fr"' in organiser.get("/admin/invitations").data.decode()  # listed with its language

    link = link_in(message)
    newcomer = app.test_client()
    page = newcomer.get(path_of(link), headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="fr"' in page
    chose = app.test_client()
    chose.set_cookie(app.config["LANGUAGE_COOKIE"], "es", domain=app.config.get("SERVER_NAME") or "localhost")
    assert '<html lang="es"' in chose.get(path_of(link)).data.decode()  # the browser's own choice wins

    _accept(newcomer, link)
    assert _user(session, "amina@example.net").locale == "fr"


def test_an_unknown_invitation_language_is_refused(session, people, organiser, smtp):
    token = csrf_from(organiser, "/admin/invitations")
    response = organiser.post(
        "/admin/invitations",
        data={
            "csrf_token": token,
            "email": "x@example.net",
            "role": "participant",
            "organisation": str(people.organisations["igo"].id),
            "language": "de",
        },
    )
    assert response.status_code == 400
    assert "Choose a language from the list." in response.data.decode()
    assert _invitations(session, "x@example.net") == []
    assert smtp.to("x@example.net") == []
