"""The JSON API end to end: tokens, bearer authentication (never cookies), reads filtered by
the policy, writes through the pages' services, idempotency, ETags, problem details, limits."""

from __future__ import annotations

import json

from sqlalchemy import select

from consult.api.models import ApiToken
from consult.audit import AuditEvent
from consult.auth.models import Role
from consult.comments.models import Comment
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.api.conftest import bearer
from tests.support.clients import sign_in
from tests.support.state import fresh, release


def _round(session, phase=Phase.OPEN, **kwargs):
    round_ = factories.make_round(session, phase, **kwargs)
    session.commit()
    return round_


def test_no_token_no_cookie_401_problem(app, client, people):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401 and response.json["title"]
    assert "Set-Cookie" not in response.headers


def test_a_signed_in_browser_cookie_is_not_accepted(app, session, people, login_as):
    """A cookie session carries no authority under /api/ (so CSRF cannot be abused there)."""
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert client.get("/account").status_code == 200  # the cookie works on the site ...
    round_ = _round(session)
    release(session)
    response = client.post(f"/api/v1/rounds/{round_.id}/comments", json={"body": "via a cookie"})
    assert response.status_code == 401  # ... and not on the API
    assert client.get("/api/v1/me").status_code == 401
    assert fresh(session).scalar(select(Comment.id)) is None


def test_bad_tokens_are_refused(app, client, session, people, token_for):
    secret = token_for(people["participant:industry"])
    for header in ("Bearer cst_notatoken", "Bearer " + secret + "x", "Basic " + secret, secret, "Bearer "):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_me_and_last_use(app, client, session, people, token_for):
    user = people["participant:industry"]
    secret = token_for(user, "read", "comment")
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 200, response.data
    assert response.json["id"] == user.id and response.json["scopes"] == ["comment", "read"]
    assert response.json["stakeholder_group"]["name"] == "Industry"
    assert "Set-Cookie" not in response.headers
    token = fresh(session).scalar(select(ApiToken))
    assert token.last_used_at is not None


def test_scope_is_required(app, client, session, people, token_for):
    round_ = _round(session)
    secret = token_for(people["participant:industry"], "read")
    response = client.post(f"/api/v1/rounds/{round_.id}/comments", json={"body": "x"}, headers=bearer(secret))
    assert response.status_code == 403 and "comment" in response.json["detail"]


def test_write_submit_edit_withdraw_through_the_services(app, client, session, people, token_for):
    round_ = _round(session, preset=Preset.OPEN_DIALOGUE)
    author = people["participant:industry"]
    secret = token_for(author, "read", "comment")
    h = bearer(secret)
    draft = client.post(
        f"/api/v1/rounds/{round_.id}/comments",
        json={"clause": "k2", "type": "technical", "body": "Draft <b>text</b>", "submit": False},
        headers=h,
    )
    assert draft.status_code == 201, draft.data
    cid = draft.json["id"]
    assert draft.json["status"] == "draft" and draft.json["clause"] == "k2" and draft.json["is_mine"]
    edited = client.patch(f"/api/v1/comments/{cid}", json={"proposed_change": "Say more"}, headers=h)
    assert edited.status_code == 200 and edited.json["proposed_change"] == "Say more"
    assert edited.json["body"] == "Draft <b>text</b>" and edited.json["status"] == "draft"
    submitted = client.post(f"/api/v1/comments/{cid}/submit", headers=h)
    assert submitted.status_code == 200 and submitted.json["status"] == "accepted"
    assert client.post(f"/api/v1/comments/{cid}/submit", headers=h).status_code == 409
    withdrawn = client.post(f"/api/v1/comments/{cid}/withdraw", headers=h)
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    actions = (
        fresh(session)
        .execute(
            select(AuditEvent.action, AuditEvent.details).where(
                AuditEvent.subject_id == cid, AuditEvent.subject_type == "Comment"
            )
        )
        .all()
    )
    assert [a for a, _d in actions] == ["comment.save_draft", "comment.edit", "comment.edit", "comment.withdraw"]
    assert all(d.get("via") == "api" for _a, d in actions)


def test_premoderation_and_signoff_apply(app, client, session, people, token_for):
    round_ = _round(session, requires_signoff=True, premoderation=True)
    author = people["participant:governments"]  # the governments organisation has a focal point
    response = client.post(
        f"/api/v1/rounds/{round_.id}/comments",
        json={"body": "Needs sign-off"},
        headers=bearer(token_for(author, "comment")),
    )
    assert response.status_code == 201 and response.json["status"] == "awaiting_signoff"
    cid = response.json["id"]
    focal = people["focal_point"]
    queue = client.get("/api/v1/me/signoff-queue", headers=bearer(token_for(focal, "read")))
    assert [c["id"] for c in queue.json["items"]] == [cid]
    no_scope = client.post(
        f"/api/v1/comments/{cid}/signoff", json={"accept": True}, headers=bearer(token_for(focal, "read"))
    )
    assert no_scope.status_code == 403
    signed = client.post(
        f"/api/v1/comments/{cid}/signoff", json={"accept": True}, headers=bearer(token_for(focal, "sign-off"))
    )
    assert signed.status_code == 200 and signed.json["status"] == "awaiting_moderation"


def test_deadline_refuses_with_409(app, client, session, people, token_for):
    round_ = _round(session, Phase.CLOSED)
    secret = token_for(people["participant:industry"], "comment")
    response = client.post(f"/api/v1/rounds/{round_.id}/comments", json={"body": "Too late"}, headers=bearer(secret))
    assert response.status_code == 409 and "deadline" in response.json["detail"]


def test_idempotency_key_is_the_nonce(app, client, session, people, token_for):
    round_ = _round(session)
    h = {**bearer(token_for(people["participant:industry"], "comment")), "Idempotency-Key": "5f0c-1"}
    first = client.post(f"/api/v1/rounds/{round_.id}/comments", json={"body": "Once"}, headers=h)
    again = client.post(f"/api/v1/rounds/{round_.id}/comments", json={"body": "Once"}, headers=h)
    assert first.status_code == 201 and again.status_code == 200 and again.json["id"] == first.json["id"]
    other = client.post(f"/api/v1/rounds/{round_.id}/comments", json={"body": "Something else"}, headers=h)
    assert other.status_code == 422
    assert fresh(session).scalar(select(Comment.nonce)) == "api:5f0c-1"
    bad = client.post(
        f"/api/v1/rounds/{round_.id}/comments", json={"body": "x"}, headers={**h, "Idempotency-Key": "a b"}
    )
    assert bad.status_code == 400


def test_validation_errors_are_problems(app, client, session, people, token_for):
    round_ = _round(session)
    h = bearer(token_for(people["participant:industry"], "read", "comment"))
    url = f"/api/v1/rounds/{round_.id}/comments"
    not_json = client.post(url, data="body=x", headers=h, content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 400 and not_json.mimetype == "application/problem+json"
    broken = client.post(url, data=b"{nope", headers=h, content_type="application/json")
    assert broken.status_code == 400
    unknown = client.post(url, json={"body": "x", "author_id": 1}, headers=h)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "author_id"
    nul = client.post(url, json={"body": "a\x00b"}, headers=h)
    assert nul.status_code == 400 and nul.mimetype == "application/problem+json"
    bad_clause = client.post(url, json={"body": "x", "clause": "k99"}, headers=h)
    assert bad_clause.status_code == 422 and bad_clause.json["errors"][0]["field"] == "clause"
    assert client.get(f"{url}?limit=1000", headers=h).status_code == 422
    assert client.get(f"{url}?cursor=garbage", headers=h).status_code == 400


def test_comments_list_filters_pages_and_etag(app, client, session, people, token_for):
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    for i in range(5):
        factories.make_comment(session, round_, people["participant:industry"], clause_key="k1", body=f"one {i}")
    factories.make_comment(session, round_, people["participant:igo"], clause_key=None, body="general")
    session.commit()
    h = bearer(token_for(people["participant:governments"]))
    url = f"/api/v1/rounds/{round_.id}/comments"
    first = client.get(f"{url}?limit=4", headers=h)
    assert first.status_code == 200 and len(first.json["items"]) == 4
    assert first.json["items"][0]["body"] == "general"  # document order: general comments first
    second = client.get(f"{url}?limit=4&cursor={first.json['next_cursor']}", headers=h)
    assert len(second.json["items"]) == 2 and second.json["next_cursor"] is None
    only = client.get(f"{url}?clause=general", headers=h)
    assert [c["body"] for c in only.json["items"]] == ["general"]
    etag = first.headers["ETag"]
    cached = client.get(f"{url}?limit=4", headers={**h, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""


def test_revoked_expired_and_changed_access_end_tokens(app, client, session, people, token_for, login_as):
    user = people["participant:industry"]
    secret = token_for(user)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    # A role change made by any writer (here a plain ORM update) revokes the token in the database.
    fresh(session)
    user.role = Role.FOCAL_POINT
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    token = fresh(session).scalar(select(ApiToken))
    assert token.revoked_at is not None and token.revoked_reason == "access_changed"
    # Disabling the account does too.
    other = people["participant:igo"]
    second = token_for(other)
    fresh(session)
    other.is_active_flag = False
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 401


def test_tokens_on_the_account_page(app, session, people, login_as):
    client = sign_in(app, login_as, session, people, "participant:governments")
    page = client.get("/account").get_data(as_text=True)
    assert 'id="api-tokens"' in page and 'value="sign-off"' not in page  # a participant signs nothing off
    from tests.support.clients import csrf_token

    token = csrf_token(client)
    created = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "My <tool>", "scopes": ["read", "comment"], "days": "90"}
    )
    assert created.status_code == 200, created.get_data(as_text=True)[-3000:]
    html = created.get_data(as_text=True)
    assert "My &lt;tool&gt;" in html
    secret = html.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith("cst_")
    stored = fresh(session).scalar(select(ApiToken))
    assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash != secret
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    assert secret not in client.get("/account").get_data(as_text=True)  # shown once
    refused = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "x", "scopes": ["sign-off"], "days": "90"}
    )
    assert refused.status_code == 400
    too_long = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "x", "scopes": ["read"], "days": "999"}
    )
    assert too_long.status_code == 400
    no_csrf = client.post("/account/tokens", data={"name": "x", "scopes": ["read"], "days": "90"})
    assert no_csrf.status_code == 400
    revoked = client.post(f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.post(f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token}).status_code == 409


def test_rate_limit_per_token_with_headers(app, client, session, people, token_for):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    h = bearer(token_for(people["participant:industry"]))
    answers = [client.get("/api/v1/me", headers=h) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers.get("RateLimit-Policy") and answers[0].headers.get("RateLimit")
    assert answers[3].mimetype == "application/problem+json" and int(answers[3].headers["Retry-After"]) > 0
    # Another token has its own allowance.
    assert client.get("/api/v1/me", headers=bearer(token_for(people["participant:igo"]))).status_code == 200


def test_openapi_document_and_docs_page(app, client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = json.loads(document.data)
    assert spec["openapi"] == "3.1.0"
    assert {"get", "patch"} <= set(spec["paths"]["/api/v1/comments/{comment_id}"])
    assert "Problem" in spec["components"]["schemas"]
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script>" not in html and "swagger-ui-bundle.js" in html
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200


def test_no_cors(app, client, session, people, token_for):
    h = {**bearer(token_for(people["participant:industry"])), "Origin": "https://elsewhere.example"}
    response = client.get("/api/v1/me", headers=h)
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/api/v1/me", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
