"""The account page: every signed-in role may use it; profile and password changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.auth import services
from tests.auth.helpers import csrf_from, field_error, flashes, input_value, reread
from tests.factories import PASSWORD

ROLES = [
    "participant:governments",
    "participant:industry",
    "participant:civil-society",
    "participant:academia-technical",
    "participant:igo",
    "focal_point",
    "moderator",
    "organiser",
    "admin",
]
NEW_PASSWORD = "a fresh and longer passphrase"


@pytest.mark.parametrize("who", ROLES)
def test_every_signed_in_role_sees_the_account_page(client, people, login_as, who):
    person = people[who]
    login_as(client, person)
    response = client.get("/account")
    assert response.status_code == 200
    page = response.data.decode()
    assert person.email in page
    assert input_value(response.data, "display_name") == person.display_name
    if person.organisation is not None:
        assert person.organisation.name in page


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount"
    assert "Please sign in to see this page." in flashes(client.get(response.headers["Location"]).data)


@pytest.mark.parametrize("path", ["/account/profile", "/account/password"])
def test_anonymous_posts_change_nothing(client, path):
    token = csrf_from(client, "/login")
    response = client.post(path, data={"csrf_token": token, "display_name": "X", "timezone": "UTC"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.fixture
def alice(people, client, login_as):
    person = people["participant:governments"]
    login_as(client, person)
    return person


def _profile(client, **fields):
    token = csrf_from(client, "/account")
    return client.post("/account/profile", data={"csrf_token": token, **fields})


def _password(client, current, new, confirm=None):
    token = csrf_from(client, "/account")
    return client.post(
        "/account/password",
        data={"csrf_token": token, "current": current, "password": new, "confirm": confirm or new},
    )


def test_profile_update_saves_name_and_timezone(client, session, alice):
    response = _profile(client, display_name="  Alice Governments  ", timezone="Asia/Seoul")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    page = client.get("/account")
    assert "Your profile is saved." in flashes(page.data)
    assert "Times are shown in Asia/Seoul." in page.data.decode()
    reread(session)
    assert alice.display_name == "Alice Governments"
    assert alice.timezone == "Asia/Seoul"


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "", "utc ", "Europe/../../etc/passwd", "x" * 300])
def test_invalid_timezone_is_rejected(client, session, alice, timezone):
    response = _profile(client, display_name="Renamed", timezone=timezone)
    assert response.status_code == 400
    assert field_error(response.data, "timezone") == "Not a valid choice."
    reread(session)
    assert alice.timezone == "UTC"
    assert alice.display_name != "Renamed"


@pytest.mark.parametrize(("name", "message"), [("", "This field is required."), ("N" * 121, "120")])
def test_invalid_name_is_rejected(client, session, alice, name, message):
    before = alice.display_name
    response = _profile(client, display_name=name, timezone="UTC")
    assert response.status_code == 400
    assert message in field_error(response.data, "display_name")
    reread(session)
    assert alice.display_name == before


def test_profile_update_cannot_change_role_or_email(client, session, alice):
    token = csrf_from(client, "/account")
    client.post(
        "/account/profile",
        data={
            "csrf_token": token,
            "display_name": "Alice",
            "timezone": "UTC",
            "role": "admin",
            "email": "admin@example.org",
            "organisation_id": "999",
        },
    )
    reread(session)
    assert alice.role.value == "participant"
    assert alice.email == "governments@example.org"


def test_password_change_with_the_right_current_password(client, session, alice):
    response = _password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Your password is changed. Other devices have been signed out." in flashes(client.get("/account").data)
    reread(session)
    assert services.authenticate(session, email=alice.email, password=NEW_PASSWORD) is not None
    assert services.authenticate(session, email=alice.email, password=PASSWORD) is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_change"))
    assert event is not None
    assert event.actor_id == alice.id
    assert event.subject_id == alice.id


def test_wrong_current_password_is_reported_on_that_field_and_nothing_changes(client, session, alice):
    before_hash, before_version = alice.password_hash, alice.session_version
    response = _password(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    assert field_error(response.data, "current") == "Your current password is not correct."
    assert field_error(response.data, "password") == ""
    reread(session)
    assert alice.password_hash == before_hash
    assert alice.session_version == before_version
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_change")) is None


@pytest.mark.parametrize(
    ("new", "confirm", "field", "message"),
    [
        ("short", None, "password", "Use between 12 and 256 characters."),
        (NEW_PASSWORD, "a different passphrase", "confirm", "The passwords differ."),
        ("governments@example.org", None, "password", "Your password cannot be your email address."),
    ],
)
def test_bad_new_password_is_refused(client, session, alice, new, confirm, field, message):
    before_hash = alice.password_hash
    response = _password(client, PASSWORD, new, confirm)
    assert response.status_code == 400
    assert message in field_error(response.data, field)
    reread(session)
    assert alice.password_hash == before_hash


def test_the_account_page_never_echoes_passwords(client, alice):
    response = _password(client, PASSWORD, "short")
    assert PASSWORD not in response.data.decode()
