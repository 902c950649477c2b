"""A participant's table sent again (issue 11.12): into another round it is imported there; into
the same round it replaces the sender's earlier import, once they confirm the list of changes."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from consult.comments.models import Comment, CommentStatus
from consult.exports.models import PendingImport
from consult.rounds.models import Phase
from tests.exports.test_import import sheet, upload
from tests.factories import make_round
from tests.support.clients import sign_in
from tests.support.html import form_values
from tests.support.state import fresh


def _words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _comments(session, round_id: int) -> list[Comment]:
    return list(fresh(session).scalars(select(Comment).where(Comment.round_id == round_id).order_by(Comment.id)))


def test_the_same_sheet_into_a_second_round_is_imported_there(app, session, people, login_as):
    first, second = make_round(session, Phase.OPEN), make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    data = sheet([[org, None, "1", None, "te", "Only comment", "Change it"]])
    client = sign_in(app, login_as, session, people, "participant:governments")
    response = upload(client, first.id, data)
    assert response.status_code == 302
    assert "1 comment imported." in _words(client.get(response.headers["Location"]))
    response = upload(client, second.id, data)
    assert response.status_code == 302
    assert "1 comment imported." in _words(client.get(response.headers["Location"]))
    assert [c.body for c in _comments(session, first.id)] == ["Only comment"]
    assert [c.body for c in _comments(session, second.id)] == ["Only comment"]


def test_a_corrected_sheet_replaces_the_earlier_import_once_confirmed(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    client = sign_in(app, login_as, session, people, "participant:governments")
    original = sheet([
        [org, "1", "1", None, "te", "Keep me", "As is"],
        [org, "2", "2", None, "ed", "Fix me", "Typo"],
        [org, "3", "3", None, "ge", "Drop me", ""],
    ])  # fmt: skip
    assert upload(client, round_.id, original).status_code == 302
    before = {c.source_number: c.id for c in _comments(session, round_.id)}
    assert len(before) == 3

    corrected = sheet([
        [org, "1", "1", None, "te", "Keep me", "As is"],
        [org, "2", "2", None, "ed", "Fixed now", "Typo corrected"],
        [org, "4", "general", None, "ge", "New one", ""],
    ])  # fmt: skip
    response = upload(client, round_.id, corrected)
    assert response.status_code == 302
    review_url = response.headers["Location"]
    assert "/import/" in review_url
    assert len(_comments(session, round_.id)) == 3, "nothing changes before the person confirms"
    review = client.get(review_url)
    words = _words(review)
    assert "1 comment added" in words
    assert "1 comment changed" in words
    assert "1 comment withdrawn" in words
    assert "1 comment unchanged" in words
    assert "Fixed now" in words and "Fix me" in words and "Drop me" in words and "New one" in words

    values = form_values(review.get_data(as_text=True), review_url)
    response = client.post(review_url, data=values)
    assert response.status_code == 302
    assert "1 added, 1 changed, 1 withdrawn" in _words(client.get(response.headers["Location"]))
    after = {c.source_number: c for c in _comments(session, round_.id)}
    assert set(after) == {"1", "2", "3", "4"}, "no duplicates: one comment per row, the dropped one withdrawn"
    assert after["1"].id == before["1"] and after["1"].status is CommentStatus.ACCEPTED
    assert after["2"].id == before["2"] and (after["2"].body, after["2"].proposed_change) == (
        "Fixed now",
        "Typo corrected",
    )
    assert after["3"].id == before["3"] and after["3"].status is CommentStatus.WITHDRAWN
    assert after["4"].body == "New one" and after["4"].status is CommentStatus.ACCEPTED
    assert fresh(session).scalars(select(PendingImport)).all() == []

    # The same confirmation sent again does nothing twice; the same table again changes nothing.
    assert client.post(review_url, data=values).status_code == 302
    response = upload(client, round_.id, corrected)
    assert response.status_code == 302
    assert "nothing was changed" in _words(client.get(response.headers["Location"]))
    assert len(_comments(session, round_.id)) == 4


def test_a_confirmation_of_a_list_that_no_longer_holds_changes_nothing(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert upload(client, round_.id, sheet([[org, "1", "1", None, "te", "One", ""]])).status_code == 302
    review_url = upload(client, round_.id, sheet([[org, "1", "1", None, "te", "One, corrected", ""]])).headers[
        "Location"
    ]
    values = form_values(client.get(review_url).get_data(as_text=True), review_url)
    # Meanwhile the comment is withdrawn on its page: the list shown no longer holds.
    (comment,) = _comments(session, round_.id)
    withdraw = form_values(
        client.get(f"/comments/{comment.id}").get_data(as_text=True), f"/comments/{comment.id}/withdraw"
    )
    assert client.post(f"/comments/{comment.id}/withdraw", data=withdraw).status_code == 302
    response = client.post(review_url, data=values)
    assert response.status_code == 400
    assert "Your comments changed since this list was made" in _words(response)
    assert "1 comment added" in _words(response)  # the new list
    assert [c.body for c in _comments(session, round_.id)] == ["One"]


def test_no_replacement_once_the_round_has_closed(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert upload(client, round_.id, sheet([[org, "1", "1", None, "te", "One", ""]])).status_code == 302
    review_url = upload(client, round_.id, sheet([[org, "1", "1", None, "te", "Two", ""]])).headers["Location"]
    values = form_values(client.get(review_url).get_data(as_text=True), review_url)
    from consult.db import utcnow

    fresh(session)
    session.get(type(round_), round_.id).closes_at = utcnow()
    session.commit()
    response = client.post(review_url, data=values)
    assert response.status_code == 400
    assert "This round is not open for comments." in _words(response)
    assert [c.body for c in _comments(session, round_.id)] == ["One"]


def test_another_persons_pending_import_is_not_found(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert upload(client, round_.id, sheet([[org, "1", "1", None, "te", "One", ""]])).status_code == 302
    review_url = upload(client, round_.id, sheet([[org, "1", "1", None, "te", "Two", ""]])).headers["Location"]
    colleague = sign_in(app, login_as, session, people, "focal_point")
    assert colleague.get(review_url).status_code == 404


def test_a_table_without_numbers_is_matched_row_by_row(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert (
        upload(
            client, round_.id, sheet([[org, None, "1", None, "te", "A", ""], [org, None, "2", None, "te", "B", ""]])
        ).status_code
        == 302
    )
    ids = [c.id for c in _comments(session, round_.id)]
    review_url = upload(
        client, round_.id, sheet([[org, None, "1", None, "te", "A", ""], [org, None, "2", None, "te", "B2", ""]])
    ).headers["Location"]
    review = client.get(review_url)
    assert "1 comment changed" in _words(review) and "0 comments added" in _words(review)
    assert client.post(review_url, data=form_values(review.get_data(as_text=True), review_url)).status_code == 302
    assert [(c.id, c.body) for c in _comments(session, round_.id)] == [(ids[0], "A"), (ids[1], "B2")]
