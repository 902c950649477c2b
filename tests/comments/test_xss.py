"""S4 for rounds and comments: payloads in a comment's body and proposed change, a report
reason, a rejection or return reason, and a round's title and description come back escaped
on every page that shows them."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from consult.comments import services
from consult.comments.models import Attribution, CommentStatus, CommentType
from consult.moderation import services as moderation
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.rounds.helpers import hidden_inputs
from tests.support.html import parse

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</textarea><svg onload=alert(1)>",
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "data"}


def check(html: str, payload: str, where: str) -> None:
    """`payload` is shown, and only escaped; nothing in the page runs script."""
    escaped = str(escape(payload))
    if escaped != payload:
        assert payload not in html, f"{where}: the payload came back unescaped"
    assert escaped in html, f"{where}: the escaped payload is missing (was the field shown?)"
    for tag, name, value in parse(html).attributes:
        assert not (name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:")), (
            f"{where}: <{tag} {name}={value!r}>"
        )
        assert not name.startswith("on"), f"{where}: an event handler attribute <{tag} {name}>"
    assert not re.search(r"<(script|svg|iframe|img)\b", html, re.IGNORECASE), f"{where}: an injected element"


def text(payload: str) -> services.CommentInput:
    return services.CommentInput("k1", CommentType.TECHNICAL, payload, payload, Attribution.PERSON)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_round_and_comment_texts_come_back_escaped(app, session, people, login_as, payload):
    author, moderator = people["participant:governments"], people["moderator"]
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE, premoderation=True)
    round_.title, round_.description = payload, payload
    pending_round = factories.make_round(session, Phase.PENDING_APPROVAL)
    pending_round.title = payload
    closed_round = factories.make_round(session, Phase.CLOSED)
    session.commit()

    def save(nonce):
        comment, _created = services.save_comment(
            session, actor=author, round_=round_, data=text(payload), nonce=nonce, submit=True
        )
        return comment

    accepted, waiting, rejected = save("a"), save("b"), save("c")
    moderation.moderate(session, actor=moderator, comment=accepted, accept=True)
    moderation.moderate(session, actor=moderator, comment=rejected, accept=False, reason=payload)
    session.commit()
    services.report(session, actor=people["participant:industry"], comment=accepted, reason=payload)
    to_sign = factories.make_comment(
        session, round_, people["participant:governments"], status=CommentStatus.AWAITING_SIGNOFF, body=payload
    )
    returned = factories.make_comment(session, round_, author, status=CommentStatus.AWAITING_SIGNOFF, body=payload)
    session.commit()
    moderation.sign_off(session, actor=people["focal_point"], comment=returned, accept=False, reason=payload)
    session.commit()

    pages = {
        ("participant:governments", f"/rounds/{round_.id}"): "round page (author)",
        ("participant:industry", f"/rounds/{round_.id}"): "round page (other group)",
        ("moderator", f"/rounds/{round_.id}"): "round page (moderator)",
        ("participant:industry", f"/rounds/{round_.id}/matrix"): "matrix",
        ("moderator", f"/rounds/{round_.id}/matrix"): "matrix (moderator)",
        ("participant:industry", f"/comments/{accepted.id}"): "comment page",
        ("participant:governments", f"/comments/{rejected.id}"): "rejected comment page (author)",
        ("moderator", f"/comments/{rejected.id}"): "rejected comment page (moderator)",
        ("participant:governments", f"/comments/{returned.id}"): "returned comment page (author)",
        ("participant:governments", "/my/comments"): "my comments",
        ("moderator", "/moderation"): "moderation queue",
        ("focal_point", "/signoff"): "sign-off queue",
        ("organiser", f"/rounds/{round_.id}/settings"): "settings page",
        ("organiser", f"/rounds/{pending_round.id}/settings"): "settings page (pending round)",
        ("participant:governments", f"/comments/{accepted.id}/edit"): "edit form",
    }
    clients = {}
    for (viewer, url), where in pages.items():
        if viewer not in clients:
            clients[viewer] = app.test_client()
            login_as(clients[viewer], people[viewer])
        response = clients[viewer].get(url)
        assert response.status_code == 200, f"{where}: {response.status_code}"
        check(response.get_data(as_text=True), payload, where)

    # What the pages are expected to show, beyond the payload at all: each field in its place.
    my_comments = clients["participant:governments"].get("/my/comments").get_data(as_text=True)
    assert my_comments.count(str(escape(payload))) >= 3  # bodies, the rejection and the return reasons
    queue = clients["moderator"].get("/moderation").get_data(as_text=True)
    assert queue.count(str(escape(payload))) >= 3  # pending round title, waiting comment, report reason
    assert to_sign.id and waiting.id

    # The form page after a refusal gives the text back, escaped.
    client = clients["participant:governments"]
    fields = hidden_inputs(client.get(f"/rounds/{closed_round.id}/comments/new").get_data(as_text=True))
    response = client.post(
        f"/rounds/{closed_round.id}/comments",
        data={
            "csrf_token": fields["csrf_token"],
            "nonce": fields["nonce"],
            "prefix": "",
            "clause": "k1",
            "type": "general",
            "body": payload,
            "proposed_change": payload,
            "attribution": "person",
            "submit": "Submit comment",
        },
    )
    assert response.status_code == 409
    check(response.get_data(as_text=True), payload, "form page after a refusal")
