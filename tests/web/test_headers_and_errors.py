"""S8: security headers on every response, error pages in the site layout, and malformed
parameters that give 400/404 (or a harmless 200), never a 500."""

from __future__ import annotations

import pytest

from consult import create_app
from tests.factories import make_invitation
from tests.support.clients import assert_security_headers, post, sign_in

LAYOUT_MARKS = ('class="skip-link" href="#main"', '<main id="main"')


@pytest.fixture
def failing_app(app_config):
    """An app of its own with a route that raises, registered before its first request."""
    app = create_app({**app_config, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("a bug in a view")

    yield app
    app.extensions["consult.db"].engine.dispose()


def responses(app, session, people, login_as, app_config) -> dict[int, object]:
    """One response of each status the site gives, by status."""
    invitation = make_invitation(session, "gone@example.org", revoked=True)
    session.commit()
    anonymous = app.test_client()
    participant = sign_in(app, login_as, session, people, "participant:igo")
    organiser = sign_in(app, login_as, session, people, "organiser")
    got = {
        200: anonymous.get("/"),
        302: anonymous.get("/account"),
        400: participant.post("/logout", data={"csrf_token": "forged"}),
        403: participant.get("/admin/"),
        404: anonymous.get("/no/such/page"),
        405: anonymous.get("/logout"),
        409: post(organiser, f"/admin/invitations/{invitation.id}/revoke"),
    }
    # Too many sign-in attempts: the seventh in a minute (LOGIN_RATE_LIMIT) is refused.
    for _attempt in range(10):
        response = post(anonymous, "/login", {"email": "x@example.org", "password": "wrong"})
        if response.status_code == 429:
            break
    got[429] = response
    return got


def test_every_status_carries_the_security_headers(app, session, people, login_as, app_config, failing_app):
    got = responses(app, session, people, login_as, app_config)
    got[500] = failing_app.test_client().get("/boom")
    got["static"] = app.test_client().get("/static/css/consult.css")
    for status, response in got.items():
        if isinstance(status, int):
            assert response.status_code == status
        else:
            assert response.status_code == 200
        assert_security_headers(response, f"{status}")


def test_error_pages_render_in_the_site_layout(app, session, people, login_as, app_config, failing_app):
    got = responses(app, session, people, login_as, app_config)
    got[500] = failing_app.test_client().get("/boom")
    for status in (400, 403, 404, 405, 409, 429, 500):
        response = got[status]
        assert response.status_code == status
        html = response.get_data(as_text=True)
        for mark in LAYOUT_MARKS:
            assert mark in html, f"the {status} page lacks {mark}"
        assert f"Error code: {status}" in html
        assert "Traceback" not in html and "RuntimeError" not in html


def test_a_500_says_what_to_do(failing_app):
    html = failing_app.test_client().get("/boom").get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "Please try again in a moment." in html


MALFORMED_AS_ADMIN = [
    "/admin/users/99999999999999999999",
    "/admin/users/-1",
    "/admin/users/abc",
    "/admin/users/0",
    "/admin/users/1.5",
    "/admin/organisations/99999999999999999999",
    "/admin/groups/99999999999999999999",
    "/admin/users?page=-5",
    "/admin/users?page=0",
    f"/admin/users?page={10**30}",
    "/admin/users?page=abc",
    "/admin/users?page=1e9",
    "/admin/users?role=<script>alert(1)</script>",
    "/admin/users?q=" + "x" * 5000,
    "/admin/users?q=%25%5F%5C",
    "/admin/users?q=%00",
    "/admin/audit?action=%25&actor=" + "y" * 3000,
    f"/admin/audit?page={10**30}",
    "/admin/organisations?page=-5",
    "/admin/invitations?page=abc",
    "/consultations/0",
    "/consultations/-1",
    "/consultations/99999999999999999999",
    f"/?page={10**30}",
    "/?page=-5",
    "/invitation/" + "t" * 5000,
    "/invitation/%00",
    "/password/reset/" + "r" * 5000,
    "/password/reset/not.a.token",
    "/login?next=" + "n" * 5000,
    "/login?next=//evil.example/",
]


@pytest.mark.parametrize("viewer", ["anonymous", "admin"])
def test_malformed_parameters_never_give_500(app, session, people, login_as, viewer):
    client = sign_in(app, login_as, session, people, viewer)
    failures = []
    for url in MALFORMED_AS_ADMIN:
        response = client.get(url)
        if response.status_code not in (200, 302, 400, 404):
            failures.append(f"{url[:80]} -> {response.status_code}")
        assert_security_headers(response, url[:80])
    assert not failures, "\n".join(failures)


def test_huge_and_negative_ids_are_404(app, session, people, login_as):
    admin = sign_in(app, login_as, session, people, "admin")
    for url in (
        "/admin/users/99999999999999999999",
        "/admin/users/-1",
        "/admin/users/abc",
        "/consultations/0",
        "/consultations/99999999999999999999",
    ):
        assert admin.get(url).status_code == 404, url
    assert admin.get(f"/admin/users?page={10**30}").status_code == 200
    assert admin.get("/admin/users?page=-5").status_code == 200


def test_malformed_form_values_are_refused(app, session, people, login_as):
    admin = sign_in(app, login_as, session, people, "admin")
    subject = people["participant:igo"]
    for data in (
        {"role": "emperor", "organisation": "0", "reason": "x"},
        {"role": "participant", "organisation": "abc", "reason": "x"},
        {"role": "participant", "organisation": str(10**30), "reason": "x"},
        {"role": "participant", "organisation": "-1", "reason": "x"},
    ):
        response = post(admin, f"/admin/users/{subject.id}/role", data)
        assert response.status_code == 400, data
    for data in (
        {"name": "A", "group": "abc"},
        {"name": "A", "group": str(10**30)},
        {"name": "x" * 500, "group": "1"},
    ):
        assert post(admin, "/admin/organisations", data).status_code == 400, data


def test_hsts_over_https_only(app):
    """Over HTTPS (or behind a proxy saying so, with CONSULT_PROXY_FIX) browsers are told to keep to it."""
    client = app.test_client()
    secure = client.get("/login", base_url="https://consult.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/login").headers
