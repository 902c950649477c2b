"""The queues with their context, filters and bulk actions: each comment of a bulk action goes
through the same service (checked and audited one by one); one changed meanwhile is left out
and named. Organisers read the moderation queue without acting."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.comments.models import Comment, CommentStatus, CommentType
from consult.db import utcnow
from consult.rounds.models import Phase
from tests.digests.helpers import text_of
from tests.factories import make_comment, make_round
from tests.support import fresh, post
from tests.workspace.helpers import as_text

SELECTED = re.compile(r'name="comment_ids" value="([^"]+)"')


def client_of(app, login_as, user):
    client = app.test_client()
    login_as(client, user)
    return client


def flashes(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'<div class="flashes" role="status">(.*?)</div>', html, re.DOTALL)
    return as_text(found.group(1)) if found else ""


def audit_count(session, action: str) -> int:
    fresh(session)
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_the_moderation_queue_shows_each_comment_in_its_context(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    round_.title = "Round with context"
    comment = make_comment(
        session,
        round_,
        people["participant:industry"],
        status=CommentStatus.AWAITING_MODERATION,
        clause_key="k2",
        type=CommentType.TECHNICAL,
        body="Industry wants more time",
    )
    comment.updated_at = utcnow() - timedelta(days=3)
    other = make_round(session, Phase.OPEN, premoderation=True)
    make_comment(session, other, people["participant:igo"], status=CommentStatus.AWAITING_MODERATION, body="ELSEWHERE")
    session.commit()
    client = client_of(app, login_as, people["moderator"])
    html = client.get("/moderation").get_data(as_text=True)
    card = html[html.index(f'id="queued-{comment.id}"') :]
    card = as_text(card[: card.index("</article>")])
    assert "Round with context › clause 2, Heading 2" in card
    assert "Text of clause 2 Text of clause 2." in card  # folded under <details>
    assert "Technical · industry participant, industry org (Industry) · waiting for 3 days" in card
    assert "<details><summary>Text of clause 2</summary>" in html
    # Filters: by round, then by clause.
    filtered = as_text(client.get(f"/moderation?round={round_.id}").get_data(as_text=True))
    assert "Industry wants more time" in filtered and "ELSEWHERE" not in filtered
    by_clause = as_text(client.get(f"/moderation?round={round_.id}&clause=k1").get_data(as_text=True))
    assert "Industry wants more time" not in by_clause and "0 comments waiting for moderation" in by_clause
    unknown = as_text(client.get("/moderation?round=987654&clause=k1").get_data(as_text=True))
    assert "ELSEWHERE" in unknown and "Industry wants more time" in unknown  # an unknown round filters nothing


def test_bulk_rejection_one_reason_each_checked_and_audited_a_changed_one_left_out(
    app, session, people, login_as, smtp
):
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    authors = [people["participant:industry"], people["participant:igo"], people["participant:civil-society"]]
    comments = [make_comment(session, round_, a, status=CommentStatus.AWAITING_MODERATION) for a in authors]
    session.commit()
    client = client_of(app, login_as, people["moderator"])
    selected = SELECTED.findall(client.get("/moderation").get_data(as_text=True))
    assert len(selected) == 3
    # Meanwhile the third author edits their comment (still awaiting moderation, new text).
    fresh(session)
    changed = session.get(Comment, comments[2].id)
    changed.body, changed.updated_at = "A different text now", utcnow()
    session.commit()

    response = post(client, "/moderation/bulk", {"comment_ids": selected, "refuse": "1", "reason": "Off topic"})
    assert response.status_code == 302
    message = flashes(client, "/moderation")
    assert "2 comments rejected; their authors see your reason." in message
    assert (
        f"1 comment was left out, because it changed meanwhile or was handled already: Comment {comments[2].number}:"
        in message
    )
    fresh(session)
    statuses = [session.get(Comment, c.id).status for c in comments]
    assert statuses == [CommentStatus.REJECTED, CommentStatus.REJECTED, CommentStatus.AWAITING_MODERATION]
    assert audit_count(session, "comment.reject") == 2  # one entry per comment, by the service
    for author in authors[:2]:
        (mail,) = smtp.to(author.email)
        assert "rejected" in mail["Subject"] and "Off topic" in text_of(mail)
    assert smtp.to(authors[2].email) == []


def test_bulk_acceptance_leaves_out_what_another_moderator_handled(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    first, second = (
        make_comment(session, round_, people[name], status=CommentStatus.AWAITING_MODERATION)
        for name in ("participant:industry", "participant:igo")
    )
    session.commit()
    client = client_of(app, login_as, people["moderator"])
    selected = SELECTED.findall(client.get("/moderation").get_data(as_text=True))
    other = client_of(app, login_as, people["moderator"])
    assert post(other, f"/comments/{second.id}/moderate", {"accept": "1"}).status_code == 302
    assert post(client, "/moderation/bulk", {"comment_ids": selected, "accept": "1"}).status_code == 302
    message = flashes(client, "/moderation")
    assert "1 comment accepted." in message and f"Comment {second.number}: Another moderator" in message
    assert audit_count(session, "comment.accept") == 2


def test_bulk_needs_a_selection_and_a_reason_to_reject(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    comment = make_comment(session, round_, people["participant:igo"], status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    client = client_of(app, login_as, people["moderator"])
    selected = SELECTED.findall(client.get("/moderation").get_data(as_text=True))
    post(client, "/moderation/bulk", {"comment_ids": selected, "refuse": "1", "reason": "  "})
    assert "Give the reason the authors will see; nothing was changed." in flashes(client, "/moderation")
    post(client, "/moderation/bulk", {"refuse": "1", "reason": "x"})
    assert "Select at least one comment first." in flashes(client, "/moderation")
    post(client, "/moderation/bulk", {"comment_ids": [*selected, "junk", "1.2.3"], "accept": "1"})
    message = flashes(client, "/moderation")
    assert "2 selections could not be read and were left out." in message and "1 comment accepted." in message
    fresh(session)
    assert session.get(Comment, comment.id).status is CommentStatus.ACCEPTED


def test_bulk_sign_off_returns_several_with_one_reason_and_never_another_organisations(
    app, session, people, login_as, smtp
):
    round_ = make_round(session, Phase.OPEN, requires_signoff=True)
    author = people["participant:governments"]
    own = [make_comment(session, round_, author, status=CommentStatus.AWAITING_SIGNOFF) for _ in range(2)]
    foreign = make_comment(session, round_, people["participant:industry"], status=CommentStatus.AWAITING_SIGNOFF)
    session.commit()
    client = client_of(app, login_as, people["focal_point"])
    page = client.get("/signoff").get_data(as_text=True)
    selected = SELECTED.findall(page)
    assert len(selected) == 2 and f'id="queued-{foreign.id}"' not in page
    forged = f"{foreign.id}.{selected[0].split('.')[1]}"
    response = post(client, "/signoff/bulk", {"comment_ids": [*selected, forged], "refuse": "1", "reason": "Cite it"})
    assert response.status_code == 302
    message = flashes(client, "/signoff")
    assert "2 comments returned to their authors with your reason." in message
    assert "a comment: it is not in this queue" in message and f"comment {foreign.id}" not in message  # not theirs
    fresh(session)
    assert [session.get(Comment, c.id).status for c in own] == [CommentStatus.DRAFT, CommentStatus.DRAFT]
    assert session.get(Comment, foreign.id).status is CommentStatus.AWAITING_SIGNOFF
    assert audit_count(session, "comment.return") == 2
    assert len([m for m in smtp.to(author.email) if m["Subject"] == "Your comment was returned to you"]) == 2


def test_organisers_read_the_moderation_queue_without_acting(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    comment = make_comment(session, round_, people["participant:igo"], status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    client = client_of(app, login_as, people["organiser"])
    html = client.get("/moderation").get_data(as_text=True)
    assert f'id="queued-{comment.id}"' in html and "You can read these queues; the moderators act on them." in html
    assert "comment_ids" not in html and f"/comments/{comment.id}/moderate" not in html
    assert "/moderation/bulk" not in html
    version = f"{comment.id}.1"
    assert post(client, "/moderation/bulk", {"comment_ids": [version], "accept": "1"}).status_code == 403
    assert post(client, f"/comments/{comment.id}/moderate", {"accept": "1"}).status_code == 403
    fresh(session)
    assert session.get(Comment, comment.id).status is CommentStatus.AWAITING_MODERATION
    home = client.get("/").get_data(as_text=True)
    assert 'href="/moderation"' in home  # the workspace leads there (the header does not)
