"""The round page's comment form names its fields with a prefix (`c-<clause>-csrf_token`), so
scanners that look for a field called exactly `csrf_token` report it as lacking a token
(wapiti's csrf module does: see scan/wapiti_scan.py's allowlist). The token is there and is
checked: the same form posted without it, or with a forged one, stores nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.comments.models import Comment
from consult.rounds.models import Phase
from tests import factories
from tests.rounds.helpers import hidden_inputs
from tests.support.state import fresh


def test_the_prefixed_comment_form_refuses_a_missing_or_forged_token(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:civil-society"])
    fields = hidden_inputs(client.get(f"/rounds/{round_.id}?comment_on=k1").get_data(as_text=True))
    prefix = fields["prefix"]
    assert prefix and f"{prefix}csrf_token" in fields, "the round page should carry a prefixed comment form"
    form = {
        "prefix": prefix,
        f"{prefix}nonce": fields[f"{prefix}nonce"],
        f"{prefix}clause": fields.get(f"{prefix}clause", "k1"),
        f"{prefix}type": "technical",
        f"{prefix}body": "Posted from another site",
        f"{prefix}proposed_change": "",
        f"{prefix}attribution": "person",
        f"{prefix}submit": "Submit comment",
    }
    session.rollback()
    for token in (None, "forged", ""):
        data = dict(form) if token is None else {**form, f"{prefix}csrf_token": token}
        response = client.post(f"/rounds/{round_.id}/comments", data=data)
        assert response.status_code in (400, 409), response.status_code
    assert fresh(session).scalar(select(func.count(Comment.id))) == 0
    # And the real token works: the form is otherwise right.
    response = client.post(
        f"/rounds/{round_.id}/comments", data={**form, f"{prefix}csrf_token": fields[f"{prefix}csrf_token"]}
    )
    assert response.status_code == 302
    assert fresh(session).scalar(select(func.count(Comment.id))) == 1
