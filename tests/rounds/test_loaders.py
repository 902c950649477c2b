"""The loaders (`rounds.queries.visible_round`, `comments.queries.visible_comment`) raise domain
errors, not HTTP ones: the page a person gets for a round or comment they may not see is the
very page of one that does not exist, and a malformed page cursor is the usual bad request."""

from __future__ import annotations

import re

import pytest

from consult.comments.models import CommentStatus
from consult.comments.queries import visible_comment
from consult.errors import Invalid, NotFound
from consult.rounds.models import Phase
from consult.rounds.queries import parse_after, visible_round
from tests import factories
from tests.support.state import release

MISSING = 987654321
# The sign-out form's CSRF token is signed with a timestamp: equal pages may differ in it.
TOKEN = re.compile(rb'(name="csrf_token"[^>]*\svalue=")[^"]+"')


# The language switcher returns the person to the address they asked for, whatever it held.
NEXT = re.compile(rb'(name="next" value=")[^"]*"')


def _page(response) -> bytes:
    return NEXT.sub(rb'\1here"', TOKEN.sub(rb'\1token"', response.get_data()))


def test_a_hidden_round_or_comment_answers_as_a_missing_one(app, session, people, login_as):
    draft_round = factories.make_round(session, Phase.DRAFT)
    open_round = factories.make_round(session, Phase.OPEN)
    draft = factories.make_comment(session, open_round, people["participant:industry"], status=CommentStatus.DRAFT)
    session.commit()
    ids = (draft_round.id, draft.id)
    release(session)
    client = app.test_client()
    login_as(client, people["participant:governments"])
    for hidden, missing in (
        (f"/rounds/{ids[0]}", f"/rounds/{MISSING}"),
        (f"/rounds/{ids[0]}/matrix", f"/rounds/{MISSING}/matrix"),
        (f"/rounds/{ids[0]}/comments.csv", f"/rounds/{MISSING}/comments.csv"),
        (f"/rounds/{ids[0]}/dispositions", f"/rounds/{MISSING}/dispositions"),
        (f"/comments/{ids[1]}", f"/comments/{MISSING}"),
        (f"/rounds/{2**62}", f"/rounds/{MISSING}"),
    ):
        seen, absent = client.get(hidden), client.get(missing)
        assert seen.status_code == absent.status_code == 404, hidden
        assert _page(seen) == _page(absent), hidden
        assert "The page does not exist, or you do not have access to it." in seen.get_data(as_text=True)


def test_a_malformed_cursor_is_the_usual_bad_request(app, session, people):
    round_ = factories.make_round(session, Phase.PUBLISHED)  # public: anonymous visitors read it
    session.commit()
    release(session)
    client = app.test_client()
    for after in ("1.x", "².1", "1." + "9" * 19, "-1.2"):
        response = client.get(f"/rounds/{round_.id}", query_string={"after": after})
        assert response.status_code == 400, after
        assert "Check the address or the form and try again." in response.get_data(as_text=True)
    # The same page as any other malformed request (here a NUL character, refused before the view).
    nul = client.get(f"/rounds/{round_.id}", query_string={"after": "1.x\x00"})
    assert nul.status_code == 400
    assert _page(nul) == _page(client.get(f"/rounds/{round_.id}", query_string={"after": "1.x"}))
    assert client.get(f"/rounds/{round_.id}", query_string={"after": "1.2"}).status_code == 200


def test_the_loaders_raise_domain_errors(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    comment = factories.make_comment(session, round_, people["participant:industry"])
    session.flush()
    viewer = people["participant:industry"]
    assert visible_round(session, viewer, round_.id) is round_
    assert visible_comment(session, viewer, comment.id) is comment
    for ident in (0, -1, MISSING, 2**62):
        with pytest.raises(NotFound):
            visible_round(session, viewer, ident)
        with pytest.raises(NotFound):
            visible_comment(session, viewer, ident)
    assert parse_after(None) is None and parse_after("") is None
    assert parse_after("3.14") == (3, 14)
    with pytest.raises(Invalid):
        parse_after("3,14")
