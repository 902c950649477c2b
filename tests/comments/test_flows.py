"""Flows an author should never be stuck in or surprised by (issue 11, items 9 to 11).

- A rejected comment can be changed and submitted again while the round is open.
- Editing an accepted comment that will go through sign-off or moderation again says so before
  saving, and says where the comment is afterwards (the message and the comment page).
- The words of the form (the button, the note under it) follow what will happen: an industry
  participant whose organisation has no focal point is not told about a focal point's sign-off.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from consult.comments.models import Comment, CommentStatus
from consult.moderation import services as moderation
from consult.rounds.models import Phase
from tests import factories
from tests.support.clients import post
from tests.support.html import form_values
from tests.support.state import fresh, release


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def _words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))))


def _status(session, comment_id: int) -> CommentStatus:
    return fresh(session).get(Comment, comment_id).status


def _edit(client, comment_id: int, body: str):
    page = client.get(f"/comments/{comment_id}/edit")
    assert page.status_code == 200
    values = form_values(page.get_data(as_text=True), f"/comments/{comment_id}/edit")
    values.update(body=body, submit="x")
    return client.post(f"/comments/{comment_id}/edit", data=values)


# --- 9: a rejected comment is not a dead end ---------------------------------------------------


def test_a_rejected_comment_can_be_edited_and_submitted_again(app, session, people, login_as):
    author = people["participant:industry"]
    round_ = factories.make_round(session, Phase.OPEN, premoderation=True)
    comment = factories.make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    moderation.moderate(session, actor=people["moderator"], comment=comment, accept=False, reason="Off topic")
    session.commit()
    comment_id = comment.id
    release(session)
    client = app.test_client()
    login_as(client, author)

    page = _text(client.get(f"/comments/{comment_id}"))
    assert "Off topic" in page
    assert f'href="/comments/{comment_id}/edit"' in page, "What you can do: edit and submit again"
    assert "Edit and submit again" in page
    edit_page = client.get(f"/comments/{comment_id}/edit")
    assert "A moderator rejected this comment: Off topic" in _words(edit_page)
    form = _text(edit_page)
    assert "Submit for moderation" in form or "Save and send to moderation" in form

    response = _edit(client, comment_id, "On topic now")
    assert response.status_code == 302
    stored = fresh(session).get(Comment, comment_id)
    assert (stored.status, stored.body, stored.rejection_reason) == (
        CommentStatus.AWAITING_MODERATION,
        "On topic now",
        "",
    )
    assert "waits for a moderator" in _text(client.get(response.headers["Location"]))


def test_a_rejected_comment_of_a_closed_round_says_nothing_can_be_done(app, session, people, login_as):
    author = people["participant:industry"]
    round_ = factories.make_round(session, Phase.CLOSED, premoderation=True)
    comment = factories.make_comment(session, round_, author, status=CommentStatus.REJECTED)
    comment.rejection_reason = "Off topic"
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, author)
    page = _text(client.get(f"/comments/{comment.id}"))
    assert f"/comments/{comment.id}/edit" not in page
    assert "Nothing: the round is closed for comments." in page
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200  # shown, not saved
    values = {"body": "x", "clause": "k1", "type": "general", "attribution": "person", "submit": "x"}
    assert post(client, f"/comments/{comment.id}/edit", values).status_code == 409
    assert _status(session, comment.id) is CommentStatus.REJECTED


# --- 10: editing an accepted comment says what it does -----------------------------------------


def test_editing_an_accepted_comment_warns_before_and_tells_after(app, session, people, login_as):
    author = people["participant:governments"]  # the governments organisation has a focal point
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    comment = factories.make_comment(session, round_, author, status=CommentStatus.ACCEPTED)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, author)

    detail = _text(client.get(f"/comments/{comment.id}"))
    assert "Saving changes takes it out of others' sight" in detail
    form = _text(client.get(f"/comments/{comment.id}/edit"))
    assert "Saving changes takes it out of others' sight until it is accepted again" in form
    assert "it goes to your focal point for sign-off again" in form
    assert "Save and send for sign-off" in form
    assert "Save as draft" not in form, "an accepted comment cannot go back to being a draft"

    response = _edit(client, comment.id, "Changed after acceptance")
    assert response.status_code == 302
    assert _status(session, comment.id) is CommentStatus.AWAITING_SIGNOFF
    after = _words(client.get(response.headers["Location"]))
    assert "back with your organisation's focal point for sign-off" in after  # the message
    assert "Status: waiting for the focal point's sign-off" in after  # the page
    assert "others do not see it until it is accepted" in after


def test_editing_an_accepted_comment_that_stays_accepted_gives_no_warning(app, session, people, login_as):
    author = people["participant:industry"]
    round_ = factories.make_round(session, Phase.OPEN)  # no sign-off, no pre-moderation
    comment = factories.make_comment(session, round_, author, status=CommentStatus.ACCEPTED)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, author)
    form = _text(client.get(f"/comments/{comment.id}/edit"))
    assert "out of others' sight" not in form
    assert "Save changes" in form
    response = _edit(client, comment.id, "Still visible")
    assert _status(session, comment.id) is CommentStatus.ACCEPTED
    assert "Your changes are saved." in _text(client.get(response.headers["Location"]))


def test_editing_a_comment_waiting_for_moderation_warns_when_it_goes_back_to_sign_off(app, session, people, login_as):
    author = people["participant:governments"]
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True, premoderation=True)
    comment = factories.make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, author)
    form = _text(client.get(f"/comments/{comment.id}/edit"))
    assert "Saving changes sends this comment back a step: it goes to your focal point for sign-off again." in form


# --- 11: the words follow what will happen ------------------------------------------------------


def _new_form(client, round_id: int) -> str:
    return _text(client.get(f"/rounds/{round_id}/comments/new"))


def _round_page_form(client, round_id: int) -> str:
    return _text(client.get(f"/rounds/{round_id}?comment_on=k1"))


@pytest.mark.parametrize("page", [_new_form, _round_page_form])
def test_without_a_focal_point_the_form_says_moderation_not_sign_off(app, session, people, login_as, page):
    author = people["participant:industry"]  # industry has no focal point
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True, premoderation=True)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, author)
    text = page(client, round_.id)
    assert "Send for sign-off" not in text
    assert "signs it off" not in text and "signs comments off before" not in text
    assert "Your organisation has no focal point to sign comments off" in text
    assert "Submit for moderation" in text
    assert "A moderator accepts it before others see it." in text

    values = form_values(
        client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True), f"/rounds/{round_.id}/comments"
    )
    values.update(body="Straight to moderation", submit="x")
    response = client.post(f"/rounds/{round_.id}/comments", data=values)
    assert response.status_code == 302
    stored = fresh(session).scalars(select(Comment)).one()
    assert stored.status is CommentStatus.AWAITING_MODERATION  # what the words said


@pytest.mark.parametrize(
    ("who", "signoff", "premoderation", "button", "status"),
    [
        ("participant:governments", True, False, "Send for sign-off", CommentStatus.AWAITING_SIGNOFF),
        ("participant:governments", True, True, "Send for sign-off", CommentStatus.AWAITING_SIGNOFF),
        ("focal_point", True, True, "Submit for moderation", CommentStatus.AWAITING_MODERATION),
        ("focal_point", True, False, "Submit comment", CommentStatus.ACCEPTED),
        ("participant:industry", True, False, "Submit comment", CommentStatus.ACCEPTED),
        ("participant:industry", False, False, "Submit comment", CommentStatus.ACCEPTED),
    ],
)
def test_the_button_names_what_happens(app, session, people, login_as, who, signoff, premoderation, button, status):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=signoff, premoderation=premoderation)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, people[who])
    html = client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True)
    assert f'value="{button}"' in html
    values = form_values(html, f"/rounds/{round_.id}/comments")
    values.update(body="What happens", submit=button)
    assert client.post(f"/rounds/{round_.id}/comments", data=values).status_code == 302
    assert fresh(session).scalars(select(Comment)).one().status is status


def test_a_draft_page_names_the_submit_step_by_what_happens(app, session, people, login_as):
    author = people["participant:industry"]
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True, premoderation=True)
    comment = factories.make_comment(session, round_, author, status=CommentStatus.DRAFT)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, author)
    page = _text(client.get(f"/comments/{comment.id}"))
    assert ">Submit for moderation</button>" in page
    response = post(client, f"/comments/{comment.id}/submit")
    assert response.status_code == 302
    assert _status(session, comment.id) is CommentStatus.AWAITING_MODERATION
    assert "visible to others once a moderator accepts it" in _text(client.get(response.headers["Location"]))


# --- the sweep: other steps whose words said something else than what happens -------------------


@pytest.mark.parametrize(
    ("premoderation", "said", "status"),
    [
        (True, "the comment now goes to a moderator", CommentStatus.AWAITING_MODERATION),
        (False, "the comment is accepted", CommentStatus.ACCEPTED),
    ],
)
def test_signing_off_says_where_the_comment_goes(app, session, people, login_as, premoderation, said, status):
    """It said "the comment now counts" even when a moderator still had to accept it."""
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True, premoderation=premoderation)
    comment = factories.make_comment(
        session, round_, people["participant:governments"], status=CommentStatus.AWAITING_SIGNOFF
    )
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, people["focal_point"])
    response = post(client, f"/comments/{comment.id}/signoff", {"accept": "1"})
    assert response.status_code == 302
    assert _status(session, comment.id) is status
    text = _words(client.get(response.headers["Location"]))
    assert said in text
    assert "now counts" not in text


@pytest.mark.parametrize(
    ("phase_after", "said"), [("open", "it is open for comments now"), ("scheduled", "it opens for comments at")]
)
def test_approving_a_round_says_whether_it_is_open_now(app, session, people, login_as, phase_after, said):
    """It said "It opens and closes at the times set" whether the round had opened at once or not."""
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL, prepared_by=people["organiser"])
    if phase_after == "open":
        from datetime import timedelta

        from consult.db import utcnow

        round_.opens_at = utcnow() - timedelta(hours=1)
    session.commit()
    release(session)
    client = app.test_client()
    login_as(client, people["moderator"])
    response = post(client, f"/rounds/{round_.id}/approve")
    assert response.status_code == 302
    assert said in _words(client.get(response.headers["Location"]))
