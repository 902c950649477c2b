"""Messages say what happened in the words of the action (issue 11.8): a failed sign-in is "Not
signed in", not "Not saved yet"; a form that sends, imports or reports says so; opening a
comment's edit page after the round closed says how things stand, not "Not saved", before the
person did anything."""

from __future__ import annotations

import io

import pytest

from consult.auth.models import Role
from consult.comments.models import CommentStatus
from consult.rounds.models import Phase, Preset
from tests.auth.helpers import login
from tests.factories import make_comment, make_round, make_user
from tests.support import post
from tests.support.clients import sign_in


def alert(html: str) -> str:
    start = html.find('class="form-alert"')
    return html[start : html.find("</p>", start)] if start >= 0 else ""


def test_a_failed_sign_in_says_not_signed_in(client, session):
    make_user(session, Role.PARTICIPANT, email="alice@example.org")
    session.commit()
    page = login(client, "alice@example.org", "not the password at all").get_data(as_text=True)
    assert "Not signed in:" in alert(page) and "Not saved" not in page


def test_a_forgotten_password_form_sent_empty_says_no_link_was_sent(client):
    page = post(client, "/password/forgot", {"email": ""})
    text = page.get_data(as_text=True)
    assert "No link sent:" in alert(text) and "Not saved" not in text


def test_opening_a_closed_rounds_comment_says_how_it_stands_not_not_saved(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    comment = make_comment(session, round_, people["participant:industry"], status=CommentStatus.ACCEPTED)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:industry")
    page = client.get(f"/comments/{comment.id}/edit")
    text = page.get_data(as_text=True)
    if page.status_code == 200:  # the page may also refuse outright; then it says no "Not saved" either
        assert "This round is closed" in text
    assert "Not saved" not in text


@pytest.mark.parametrize(
    ("viewer", "url", "data", "words"),
    [
        ("participant:industry", "/rounds/{round}/import", {}, "Nothing imported:"),
        ("participant:industry", "/comments/{comment}/report", {"reason": ""}, "Not reported:"),
    ],
)
def test_forms_that_do_not_save_say_what_did_not_happen(app, session, people, login_as, viewer, url, data, words):
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    comment = make_comment(session, round_, people["participant:governments"])
    session.commit()
    client = sign_in(app, login_as, session, people, viewer)
    url = url.format(round=round_.id, comment=comment.id)
    response = post(client, url, {**data, "sheet": (io.BytesIO(b""), "")} if "import" in url else data)
    text = response.get_data(as_text=True)
    assert words in alert(text), text[:3000]
    assert "Not saved" not in text
