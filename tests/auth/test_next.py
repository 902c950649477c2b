"""`next=` after sign-in never leaves the host."""

from __future__ import annotations

import pytest

from consult.auth.models import Role
from consult.web import is_safe_next
from tests.auth.helpers import input_value, login
from tests.factories import PASSWORD, make_user

SAFE = [
    "/",
    "/account",
    "/consultations/3",
    "/admin/users?q=a%20b&role=admin",
    "/consultations/3#clause-2",
    "/" + "a" * 1999,
]
UNSAFE = [
    None,
    "",
    "https://evil.com",
    "https://evil.com/account",
    "http://evil.com",
    "HTTPS://evil.com",
    "//evil.com",
    "//evil.com/account",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\\/evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "account",
    " //evil.com",
    "/\t/evil.com",
    "/account\r\nSet-Cookie: stolen=1",
    "/account\nLocation: https://evil.com",
    "/account\r",
    "/" + "a" * 2000,
    "/" + "a" * 10_000,
]


@pytest.mark.parametrize("target", SAFE)
def test_is_safe_next_accepts_local_paths(target):
    assert is_safe_next(target) is True


@pytest.mark.parametrize("target", UNSAFE)
def test_is_safe_next_refuses_everything_else(target):
    assert is_safe_next(target) is False


@pytest.fixture
def alice(session):
    user = make_user(session, Role.PARTICIPANT, email="alice@example.org")
    session.commit()
    return user


@pytest.mark.parametrize("target", ["/account", "/consultations/3", "/admin/users?q=a%20b&role=admin"])
def test_login_follows_a_safe_next(client, alice, target):
    response = login(client, "alice@example.org", PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.com",
        "//evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "/account\r\nSet-Cookie: stolen=1",
        "/" + "a" * 2001,
    ],
)
def test_login_with_an_unsafe_next_goes_home(client, alice, target):
    response = login(client, "alice@example.org", PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "stolen" not in str(response.headers)


def test_next_from_the_query_string_is_carried_by_the_form(client, alice):
    page = client.get("/login?next=/consultations/3")
    assert input_value(page.data, "next") == "/consultations/3"


def test_a_protected_page_sends_anonymous_visitors_to_login_and_back(client, alice):
    response = client.get("/account")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    page = client.get(location)
    assert input_value(page.data, "next") == "/account"
    response = login(client, "alice@example.org", PASSWORD, next=input_value(page.data, "next"))
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/account", "/account"), ("//evil.com", "/"), ("https://evil.com", "/"), ("/\\evil.com", "/")],
)
def test_signed_in_visit_to_login_follows_only_safe_next(client, alice, login_as, target, expected):
    login_as(client, alice)
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
