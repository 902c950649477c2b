"""The app starts, serves its home page, and speaks to the real SMTP server."""

from consult.auth.models import Role
from tests.factories import make_user


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Skip to main content" in response.data


def test_people_fixture(people, client, login_as):
    login_as(client, people["admin"])
    response = client.get("/admin/users")
    assert response.status_code == 200
    assert b"governments@example.org" in response.data


def test_make_user(session):
    user = make_user(session, Role.MODERATOR)
    assert user.organisation is None
