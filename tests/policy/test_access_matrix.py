"""S1: the access matrix. Every URL rule, every viewer, the answer the policy promises.

The table is the policy written out: a new page fails `test_every_rule_is_in_the_matrix`
until it is added here, and a removed page fails `test_the_matrix_lists_no_stale_rules`.

Outcomes: an HTTP status, LOGIN (302 to the sign-in page with `next=`), or for POST rules
ALLOWED (the request reached the action: anything but LOGIN, 403, 404, 409, a refused CSRF
token or a 5xx). POSTs carry a valid CSRF token and an empty body unless a case says otherwise.
Columns: anonymous, participant (each of the five stakeholder groups), focal point,
moderator, organiser, admin.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import VIEWERS, build_url, build_world, csrf_token, is_login_redirect, sign_in

LOGIN = "LOGIN"
ALLOWED = "ALLOWED"
CSRF_REFUSED = "CSRF_REFUSED"
GROUPS = ("governments", "industry", "civil-society", "academia-technical", "igo")
COLUMNS = ("anonymous", "participant", "focal_point", "moderator", "organiser", "admin")

#                                  columns: anonymous, participant, focal point, moderator, organiser, admin
EXPECTED: dict[tuple[str, str], tuple | dict] = {
    # Public pages: consultations (the public one here; hidden ones below), sign-in, reset.
    ("consultations.index", "GET"):            (200,    200,   200,    200,    200,    200),
    ("consultations.detail", "GET"):           (200,    200,   200,    200,    200,    200),
    ("auth.login", "GET"):                     (200,    302,   302,    302,    302,    302),
    ("auth.login", "POST"):                    (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.forgot_password", "GET"):           (200,    200,   200,    200,    200,    200),
    ("auth.forgot_password", "POST"):          (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    # Token links with a token that is not valid: the same 404 for everyone.
    ("auth.accept_invitation", "GET"):         (404,    404,   404,    404,    404,    404),
    ("auth.accept_invitation", "POST"):        (404,    404,   404,    404,    404,    404),
    ("auth.reset_password", "GET"):            (404,    404,   404,    404,    404,    404),
    ("auth.reset_password", "POST"):           (404,    404,   404,    404,    404,    404),
    # One's own account: anyone signed in.
    ("auth.logout", "POST"):                   (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.account", "GET"):                   (LOGIN,  200,   200,    200,    200,    200),
    ("auth.update_profile", "POST"):           (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.change_password", "POST"):          (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    # Administration: organisers see people and manage organisations and invitations ...
    ("admin.index", "GET"):                    (LOGIN,  403,   403,    403,    200,    200),
    ("admin.users", "GET"):                    (LOGIN,  403,   403,    403,    200,    200),
    ("admin.user_detail", "GET"):              (LOGIN,  403,   403,    403,    200,    200),
    ("admin.invitations", "GET"):              (LOGIN,  403,   403,    403,    200,    200),
    ("admin.create_invitation", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    ("admin.revoke_invitation", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    ("admin.organisations", "GET"):            (LOGIN,  403,   403,    403,    200,    200),
    ("admin.create_organisation", "POST"):     (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    ("admin.edit_organisation", "GET"):        (LOGIN,  403,   403,    403,    200,    200),
    ("admin.edit_organisation", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    # ... only admins change roles and accounts, stakeholder groups, and read the audit log.
    ("admin.change_role", "POST"):             (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.set_active", "POST"):              (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.groups", "GET"):                   (LOGIN,  403,   403,    403,    403,    200),
    ("admin.groups", "POST"):                  (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.edit_group", "GET"):               (LOGIN,  403,   403,    403,    403,    200),
    ("admin.edit_group", "POST"):              (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.audit_log", "GET"):                (LOGIN,  403,   403,    403,    403,    200),
    # Email: one's own settings; unsubscribe links (an invalid token: 404 for everyone) ...
    ("digests.preferences", "GET"):            (LOGIN,  200,   200,    200,    200,    200),
    ("digests.preferences", "POST"):           (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("digests.unsubscribe_confirm", "GET"):    (404,    404,   404,    404,    404,    404),
    ("digests.unsubscribe", "POST"):           (404,    404,   404,    404,    404,    404),
    # ... and the organisers' digests (the secretariat sends them; admins and moderators do not).
    ("digests.compose", "GET"):                (LOGIN,  403,   403,    403,    200,    403),
    ("digests.compose", "POST"):               (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("digests.detail", "GET"):                 (LOGIN,  403,   403,    403,    200,    403),
    ("digests.retry", "POST"):                 (LOGIN,  403,   403,    403,    ALLOWED, 403),
}  # fmt: skip

# The object dimension: the same rule on a different object, or with a body that acts.
# (endpoint, method, case) -> (URL arguments and form body for the viewer, outcomes)
OWN = "<the viewer's own id>"
EXPECTED_OBJECTS: dict[tuple[str, str, str], tuple[dict, dict, tuple]] = {
    ("consultations.detail", "GET", "a consultation that is not public"): (
        {"consultation_id": "hidden"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("consultations.detail", "GET", "a consultation that does not exist"): (
        {"consultation_id": 987654}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("admin.user_detail", "GET", "one's own account"): (
        {"user_id": OWN}, {},
        (LOGIN, 403, 403, 403, 200, 200),
    ),
    ("admin.user_detail", "GET", "a person who does not exist"): (
        {"user_id": 987654}, {},
        (LOGIN, 403, 403, 403, 404, 404),
    ),
    ("admin.change_role", "POST", "one's own role, with a reason"): (
        {"user_id": OWN}, {"role": "moderator", "organisation": "0", "reason": "promote myself"},
        (LOGIN, 403, 403, 403, 403, 403),
    ),
    ("admin.set_active", "POST", "disabling one's own account, with a reason"): (
        {"user_id": OWN}, {"active": "0", "reason": "leave"},
        (LOGIN, 403, 403, 403, 403, 403),
    ),
    ("admin.revoke_invitation", "POST", "an invitation already withdrawn"): (
        {"invitation_id": "revoked"}, {},
        (LOGIN, 403, 403, 403, 409, 409),
    ),
    ("admin.edit_organisation", "GET", "an organisation of another stakeholder group"): (
        {"organisation_id": "other group"}, {},
        (LOGIN, 403, 403, 403, 200, 200),
    ),
}  # fmt: skip


def expand(outcomes: tuple | dict) -> dict[str, Any]:
    """A row of COLUMNS (participant standing for each group), or a dict by viewer, by viewer."""
    if isinstance(outcomes, dict):
        return outcomes
    assert len(outcomes) == len(COLUMNS), f"a row needs {len(COLUMNS)} columns: {outcomes}"
    row = dict(zip(COLUMNS, outcomes, strict=True))
    participant = row.pop("participant")
    return {**row, **{f"participant:{slug}": participant for slug in GROUPS}}


def app_rules(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every URL rule but static files."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def outcome(method: str, response) -> Any:
    if is_login_redirect(response):
        return LOGIN
    if method == "GET":
        return response.status_code
    if b"open too long" in response.data:  # the CSRF refusal: the test's token was not accepted
        return CSRF_REFUSED
    if response.status_code in (403, 404, 409) or response.status_code >= 500:
        return response.status_code
    return ALLOWED


def request(app, client, method: str, url: str, body: dict | None = None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client), **(body or {})})


def test_every_rule_is_in_the_matrix(app):
    missing = app_rules(app) - EXPECTED.keys()
    assert not missing, f"URL rules without an access-matrix entry: {sorted(missing)}"


def test_the_matrix_lists_no_stale_rules(app):
    stale = EXPECTED.keys() - app_rules(app)
    stale |= {(e, m) for e, m, _case in EXPECTED_OBJECTS} - app_rules(app)
    assert not stale, f"access-matrix entries for rules that no longer exist: {sorted(stale)}"


def test_every_row_names_every_viewer():
    for key, outcomes in [*EXPECTED.items(), *((k, v[2]) for k, v in EXPECTED_OBJECTS.items())]:
        assert set(expand(outcomes)) == set(VIEWERS), key


@pytest.mark.parametrize("viewer", VIEWERS)
def test_access_matrix(app, session, people, login_as, viewer):
    world = build_world(session, people)
    mismatches = []
    for (endpoint, method), outcomes in sorted(EXPECTED.items()):
        url = build_url(app, endpoint, method, world.url_args())
        response = request(app, sign_in(app, login_as, session, people, viewer), method, url)
        expected, got = expand(outcomes)[viewer], outcome(method, response)
        if got != expected:
            mismatches.append(f"{method} {url}: expected {expected}, got {got}")
    assert not mismatches, f"as {viewer}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_access_matrix_over_objects(app, session, people, login_as, viewer):
    world = build_world(session, people)
    named = {
        "hidden": world.hidden_consultation_id,
        "revoked": world.revoked_invitation_id,
        "other group": world.other_group_organisation_id,
        OWN: people[viewer].id if viewer != "anonymous" else world.subject.id,
    }
    mismatches = []
    for (endpoint, method, case), (overrides, body, outcomes) in EXPECTED_OBJECTS.items():
        args = {**world.url_args(), **{k: named.get(v, v) for k, v in overrides.items()}}
        url = build_url(app, endpoint, method, args)
        response = request(app, sign_in(app, login_as, session, people, viewer), method, url, body)
        expected, got = expand(outcomes)[viewer], outcome(method, response)
        if got != expected:
            mismatches.append(f"{method} {url} ({case}): expected {expected}, got {got}")
    assert not mismatches, f"as {viewer}:\n" + "\n".join(mismatches)


def test_refused_self_changes_change_nothing(app, session, people, login_as):
    """The admin's refused attempts on their own account leave role and state as they were."""
    admin = people["admin"]
    client = sign_in(app, login_as, session, people, "admin")
    url = build_url(app, "admin.change_role", "POST", {"user_id": admin.id})
    assert request(app, client, "POST", url, {"role": "participant", "reason": "x"}).status_code == 403
    url = build_url(app, "admin.set_active", "POST", {"user_id": admin.id})
    assert request(app, client, "POST", url, {"active": "0", "reason": "x"}).status_code == 403
    session.rollback()
    assert admin.role.value == "admin" and admin.is_active
