"""The API's access matrix: every operation, every viewer with a token of every scope their
role may have, on the access matrix's world (tests/support.py: build_world). A new operation
fails `test_every_operation_is_in_the_matrix` until it is added here.

Outcomes are HTTP statuses. Bodies are checked before the objects they name, so an empty or
invalid body is a 422 for whoever holds the scope; the cases with valid bodies follow.
"""

from __future__ import annotations

from typing import Any

import pytest

from consult.api import services
from tests.policy.test_access_matrix import GROUPS, cs, expand
from tests.support.state import fresh
from tests.support.world import VIEWERS, build_url, build_world

#                                   anonymous, participant, focal point, moderator, organiser, admin
EXPECTED: dict[tuple[str, str], tuple | dict] = {
    ("api.me", "GET"):                  (401, 200, 200, 200, 200, 200),
    ("api.consultations", "GET"):       (401, 200, 200, 200, 200, 200),
    ("api.consultation", "GET"):        (401, 200, 200, 200, 200, 200),
    ("api.round_detail", "GET"):        (401, 200, 200, 200, 200, 200),
    ("api.version", "GET"):             (401, 200, 200, 200, 200, 200),
    ("api.round_comments", "GET"):      (401, 200, 200, 200, 200, 200),
    # The subject's (civil society) comment in the open group-dialogue round.
    ("api.comment", "GET"):             cs((401, 404, 404, 200, 200, 404), 200),
    ("api.round_dispositions", "GET"):  (401, 200, 200, 200, 200, 200),
    ("api.my_comments", "GET"):         (401, 200, 200, 403, 403, 403),
    ("api.signoff_queue", "GET"):       (401, 403, 200, 403, 403, 403),
    ("api.search", "GET"):              (401, 422, 422, 422, 422, 422),  # without q
    ("api.create_comment", "POST"):     (401, 422, 422, 403, 403, 403),
    ("api.edit_comment", "PATCH"):      cs((401, 404, 404, 403, 403, 403), 403),
    ("api.submit_comment", "POST"):     cs((401, 404, 404, 403, 403, 403), 403),
    ("api.withdraw_comment", "POST"):   cs((401, 404, 404, 403, 403, 403), 403),
    ("api.signoff", "POST"):            (401, 403, 422, 403, 403, 403),
    ("api.acknowledge", "POST"):        (401, 422, 422, 403, 403, 403),
}  # fmt: skip

OWN = "<the viewer's own accepted comment in the open round>"
OWN_DRAFT = "<the viewer's own draft in the open round>"
CASES: dict[tuple[str, str, str], tuple[dict, Any, tuple | dict]] = {
    ("api.search", "GET", "a word"): ({}, {"q": "comment"}, (401, 200, 200, 200, 200, 200)),
    ("api.round_detail", "GET", "a round being prepared"): (
        {"round_id": "draft round"}, None, (401, 404, 404, 200, 200, 404),
    ),
    ("api.round_detail", "GET", "a round that does not exist"): (
        {"round_id": 987654}, None, (401, 404, 404, 404, 404, 404),
    ),
    ("api.consultation", "GET", "a consultation that is not public"): (
        {"consultation_id": "hidden"}, None, (401, 200, 200, 200, 200, 200),
    ),
    ("api.comment", "GET", "a hidden comment"): (
        {"comment_id": "subject's hidden comment"}, None, (401, 404, 404, 200, 200, 404),
    ),
    ("api.comment", "GET", "someone's draft"): (
        {"comment_id": "subject's draft"}, None, (401, 404, 404, 404, 404, 404),
    ),
    ("api.comment", "GET", "one's own draft"): ({"comment_id": OWN_DRAFT}, None, (401, 200, 200, 404, 404, 404)),
    ("api.create_comment", "POST", "a complete comment, open round"): (
        {}, {"body": "From a tool", "clause": "k1"}, (401, 201, 201, 403, 403, 403),
    ),
    ("api.create_comment", "POST", "a complete comment, closed round"): (
        {"round_id": "closed round"}, {"body": "Too late"}, (401, 409, 409, 403, 403, 403),
    ),
    ("api.create_comment", "POST", "a complete comment, round being prepared"): (
        {"round_id": "draft round"}, {"body": "Too early"}, (401, 404, 404, 403, 403, 403),
    ),
    ("api.edit_comment", "PATCH", "one's own comment"): (
        {"comment_id": OWN}, {"body": "Edited by a tool"}, (401, 200, 200, 403, 403, 403),
    ),
    ("api.submit_comment", "POST", "one's own draft"): (
        {"comment_id": OWN_DRAFT}, None, (401, 200, 200, 403, 403, 403),
    ),
    ("api.withdraw_comment", "POST", "one's own comment"): ({"comment_id": OWN}, None, (401, 200, 200, 403, 403, 403)),
    ("api.signoff", "POST", "a colleague's comment awaiting sign-off"): (
        {"comment_id": "a colleague's comment awaiting sign-off"}, {"accept": True}, (401, 403, 200, 403, 403, 403),
    ),
    ("api.signoff", "POST", "another organisation's comment"): (
        {"comment_id": "accepted comment of a published public round"}, {"accept": True},
        (401, 403, 403, 403, 403, 403),
    ),
    ("api.acknowledge", "POST", "the governments participant's disposition, satisfied"): (
        {}, {"kind": "satisfied"},
        {"anonymous": 401, **{f"participant:{g}": 200 if g == "governments" else 404 for g in GROUPS},
         "focal_point": 200, "moderator": 403, "organiser": 403, "admin": 403},
    ),
}  # fmt: skip


def _rules(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in ("api.openapi", "api.docs")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_operation_is_in_the_matrix(app):
    assert _rules(app) == set(EXPECTED)
    assert {(e, m) for e, m, _c in CASES} <= set(EXPECTED)


def _call(client, method: str, url: str, body: Any, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, query_string=body or {}, headers=headers)
    return client.open(url, method=method, json=body if body is not None else {}, headers=headers)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_access_matrix(app, session, people, viewer):
    world = build_world(session, people)
    token = None
    if viewer != "anonymous":
        user = people[viewer]
        scopes = [s.value for s in services.offered_scopes(user)]
        token = services.create_token(session, actor=user, name="matrix", scopes=scopes, days=1).secret
        session.commit()
    writer = viewer if f"own comment:{viewer}" in world.objects else "participant:governments"
    named = {
        "hidden": world.hidden_consultation_id,
        OWN: world.objects[f"own comment:{writer}"],
        OWN_DRAFT: world.objects[f"own draft:{writer}"],
        **world.objects,
    }
    client = app.test_client()
    mismatches = []
    for (endpoint, method), outcomes in sorted(EXPECTED.items()):
        fresh(session)
        url = build_url(app, endpoint, method, world.url_args())
        got = _call(client, method, url, None, token).status_code
        if got != expand(outcomes)[viewer]:
            mismatches.append(f"{method} {url}: expected {expand(outcomes)[viewer]}, got {got}")
    for (endpoint, method, case), (overrides, body, outcomes) in CASES.items():
        fresh(session)
        args = {**world.url_args(), **{k: named.get(v, v) for k, v in overrides.items()}}
        url = build_url(app, endpoint, method, args)
        response = _call(client, method, url, body, token)
        if response.status_code != expand(outcomes)[viewer]:
            mismatches.append(
                f"{method} {url} ({case}): expected {expand(outcomes)[viewer]}, got {response.status_code}"
            )
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (endpoint, response.status_code)
    assert not mismatches, f"as {viewer}:\n" + "\n".join(mismatches)
