"""The events people expect, end to end: the transition through its page, the email through the
outbox and the real SMTP sink, and the same news in the app (page and bell), once; it stops
counting as unread when the task it names is done."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from consult.comments.models import CommentStatus
from consult.db import utcnow
from consult.digests import preferences
from consult.dispositions.models import Disposition, DispositionKind
from consult.mail.models import OutboxMessage
from consult.rounds.models import Phase, Round, RoundStatus
from tests.digests.helpers import html_of, text_of
from tests.factories import make_comment, make_round
from tests.notifications.helpers import bell, page_text, rows, unread
from tests.support import fresh, post


def client_of(app, login_as, user):
    client = app.test_client()
    login_as(client, user)
    return client


def test_a_submitted_round_tells_the_moderators_and_approving_it_is_the_task(app, session, people, login_as, smtp):
    organiser, moderator = people["organiser"], people["moderator"]
    round_ = make_round(session, Phase.DRAFT, prepared_by=organiser)
    round_.title = "Round <b>nine</b>"
    session.commit()
    organiser_client = client_of(app, login_as, organiser)
    assert post(organiser_client, f"/rounds/{round_.id}/submit").status_code == 302

    (message,) = smtp.to(moderator.email)
    assert "waits for your approval" in message["Subject"]
    assert "Round <b>nine</b>" in text_of(message)
    assert "Round &lt;b&gt;nine&lt;/b&gt;" in html_of(message)
    assert smtp.to(organiser.email) == []  # four eyes: the preparer does not approve
    moderator_client = client_of(app, login_as, moderator)
    assert bell(moderator_client) == "Notifications, 1 unread"
    summary = re.search(r"<summary>(.*?)</summary>", moderator_client.get("/").get_data(as_text=True), re.S)
    assert summary and "(1 unread notification)" in summary.group(1)  # on the Menu button too (phones)
    text = page_text(moderator_client)
    assert "The round Round <b>nine</b> waits for your approval." in text
    html = moderator_client.get("/notifications").get_data(as_text=True)
    assert f'href="/rounds/{round_.id}"' in html and "Round &lt;b&gt;nine&lt;/b&gt;" in html and "<b>nine" not in html

    # Approving is the task: the moderator's notification is done; the organiser hears of it.
    assert post(moderator_client, f"/rounds/{round_.id}/approve").status_code == 302
    assert unread(moderator_client) == 0
    (done,) = rows(session, moderator)
    assert done.done_at is not None and done.read_at is not None
    organiser_client = client_of(app, login_as, organiser)
    assert bell(organiser_client) == "Notifications, 1 unread"
    assert "A moderator approved the round Round <b>nine</b>" in page_text(organiser_client)
    assert any("was approved" in m["Subject"] for m in smtp.to(organiser.email))


def test_a_round_sent_back_tells_its_preparer_why(app, session, people, login_as, smtp):
    organiser, moderator = people["organiser"], people["moderator"]
    round_ = make_round(session, Phase.PENDING_APPROVAL, prepared_by=organiser)
    session.commit()
    moderator_client = client_of(app, login_as, moderator)
    response = post(moderator_client, f"/rounds/{round_.id}/send-back", {"reason": "Dates <overlap> the summit"})
    assert response.status_code == 302

    (message,) = smtp.to(organiser.email)
    assert "was sent back" in message["Subject"]
    assert "Dates <overlap> the summit" in text_of(message)
    assert "Dates &lt;overlap&gt; the summit" in html_of(message)
    organiser_client = client_of(app, login_as, organiser)
    assert "The reason: Dates <overlap> the summit" in page_text(organiser_client)
    assert f'href="/rounds/{round_.id}/settings"' in organiser_client.get("/notifications").get_data(as_text=True)
    # Submitting it again is the organiser's task done, and asks the moderators again.
    assert post(organiser_client, f"/rounds/{round_.id}/submit").status_code == 302
    assert unread(organiser_client) == 0
    assert [n.kind for n in rows(session, moderator)] == ["round_submitted"]


def test_publication_requested_and_declined(app, session, people, login_as, smtp):
    organiser, moderator = people["organiser"], people["moderator"]
    round_ = make_round(session, Phase.CLOSED, prepared_by=organiser)
    session.commit()
    organiser_client = client_of(app, login_as, organiser)
    assert post(organiser_client, f"/rounds/{round_.id}/request-publication").status_code == 302
    (asked,) = smtp.to(moderator.email)
    assert "wait for publication" in asked["Subject"]
    moderator_client = client_of(app, login_as, moderator)
    assert "wait for publication" in page_text(moderator_client)

    response = post(moderator_client, f"/rounds/{round_.id}/decline-publication", {"reason": "Dispositions missing"})
    assert response.status_code == 302
    assert unread(moderator_client) == 0  # declining is deciding: the task is done
    (declined,) = smtp.to(organiser.email)
    assert "declined" in declined["Subject"] and "Dispositions missing" in text_of(declined)
    organiser_client = client_of(app, login_as, organiser)
    assert "Publication of the round" in page_text(organiser_client)
    assert "The reason: Dispositions missing" in page_text(organiser_client)


def test_a_returned_comment_tells_its_author_why_and_editing_it_is_the_task(app, session, people, login_as, smtp):
    author, focal = people["participant:governments"], people["focal_point"]
    round_ = make_round(session, Phase.OPEN, requires_signoff=True)
    comment = make_comment(session, round_, author, status=CommentStatus.AWAITING_SIGNOFF, body="Draft position")
    session.commit()
    focal_client = client_of(app, login_as, focal)
    # The focal point's queue shows it, and the bell counts the notice written when it arrived
    # (here the factory wrote the comment directly, so none): send it through the service.
    response = post(focal_client, f"/comments/{comment.id}/signoff", {"refuse": "1", "reason": "Cite the treaty"})
    assert response.status_code == 302

    (message,) = smtp.to(author.email)
    assert message["Subject"] == "Your comment was returned to you"
    assert "Cite the treaty" in text_of(message)
    author_client = client_of(app, login_as, author)
    assert bell(author_client) == "Notifications, 1 unread"
    text = page_text(author_client)
    assert "Your focal point returned your comment" in text and "The reason: Cite the treaty" in text
    assert "Draft position" in text  # the author may read their own comment
    assert f'href="/comments/{comment.id}/edit"' in author_client.get("/notifications").get_data(as_text=True)

    # The author edits and submits it again: their notice is done; the focal point is asked again.
    response = post(
        author_client,
        f"/comments/{comment.id}/edit",
        {
            "clause": "k1",
            "type": "general",
            "body": "Draft position, citing the treaty",
            "attribution": "person",
            "submit": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert unread(author_client) == 0
    assert "waits for your sign-off" in page_text(client_of(app, login_as, focal))


def test_a_rejected_comment_tells_its_author_in_the_app_too(app, session, people, login_as, smtp):
    author = people["participant:industry"]
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    comment = make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    moderator_client = client_of(app, login_as, people["moderator"])
    response = post(moderator_client, f"/comments/{comment.id}/moderate", {"refuse": "1", "reason": "Off topic"})
    assert response.status_code == 302
    (message,) = smtp.to(author.email)
    assert "rejected" in message["Subject"]
    text = page_text(client_of(app, login_as, author))
    assert "was rejected" in text and "The reason: Off topic" in text


def test_a_comment_waiting_for_sign_off_tells_the_focal_point_and_signing_off_is_the_task(
    app, session, people, login_as, smtp
):
    author, focal = people["participant:governments"], people["focal_point"]
    round_ = make_round(session, Phase.OPEN, requires_signoff=True)
    session.commit()
    author_client = client_of(app, login_as, author)
    response = post(
        author_client,
        f"/rounds/{round_.id}/comments",
        {
            "clause": "k1",
            "type": "general",
            "body": "Please sign this",
            "attribution": "person",
            "nonce": "n-1",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    (message,) = smtp.to(focal.email)
    assert "waits for you" in message["Subject"]
    focal_client = client_of(app, login_as, focal)
    assert bell(focal_client) == "Notifications, 1 unread"
    html = focal_client.get("/notifications").get_data(as_text=True)
    assert "waits for your sign-off" in html and f"/signoff?round={round_.id}" in html

    (comment_id,) = {n.comment_id for n in rows(session, focal)}
    assert post(focal_client, f"/comments/{comment_id}/signoff", {"accept": "1"}).status_code == 302
    assert unread(focal_client) == 0


def test_a_maintained_objection_tells_the_organisers_why(app, session, people, login_as, smtp):
    author = people["participant:governments"]
    round_ = make_round(session, Phase.CLOSED)
    comment = make_comment(session, round_, author, body="Keep clause 1")
    disposition = Disposition(
        comment_id=comment.id,
        round_id=round_.id,
        kind=DispositionKind.NOT_ACCEPTED,
        observation="Out of scope.",
        recorded_by_id=people["organiser"].id,
        released_at=utcnow(),
    )
    session.add(disposition)
    session.commit()
    author_client = client_of(app, login_as, author)
    response = post(
        author_client,
        f"/dispositions/{disposition.id}/acknowledge",
        {f"a{disposition.id}-kind": "objection", f"a{disposition.id}-reason": "It is in scope"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    (message,) = smtp.to(people["organiser"].email)
    assert "objection is maintained" in message["Subject"] and "It is in scope" in text_of(message)
    assert smtp.to(people["moderator"].email) == []
    text = page_text(client_of(app, login_as, people["organiser"]))
    assert "An objection to a disposition" in text and "The reason: It is in scope" in text


def test_email_switched_off_still_reaches_the_app_once(app, session, people, login_as, smtp):
    """What reaches a person by email reaches them in the app, whatever their switches; an event
    announced twice (the cron repeated) is one notification and one email."""
    moderator = people["moderator"]
    preferences.preference_for(session, moderator).round_waiting = False
    round_ = make_round(session, Phase.DRAFT, prepared_by=people["organiser"])
    session.commit()
    assert post(client_of(app, login_as, people["organiser"]), f"/rounds/{round_.id}/submit").status_code == 302
    assert smtp.to(moderator.email) == []
    assert [n.kind for n in rows(session, moderator)] == ["round_submitted"]

    from consult.digests import notices
    from consult.rounds.services import lock_round

    opened = make_round(session, Phase.OPEN)
    session.commit()
    for _ in range(2):
        notices.notify_round_opened(session, lock_round(session, opened.id))
        session.commit()
    participant = people["participant:igo"]
    assert [n.kind for n in rows(session, participant)] == ["round_opened"]
    assert len([m for m in smtp.to(participant.email) if "open" in m["Subject"]]) == 1
    fresh(session)
    count = session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == participant.id)
    )
    assert count == 1


def test_marking_read_one_and_all(app, session, people, login_as):
    participant = people["participant:igo"]
    from consult.digests import notices

    for _ in range(3):
        notices.notify_round_opened(session, make_round(session, Phase.OPEN))
    session.commit()
    client = client_of(app, login_as, participant)
    assert bell(client) == "Notifications, 3 unread"
    first, *_rest = rows(session, participant)
    assert post(client, f"/notifications/{first.id}/read").status_code == 302
    assert bell(client) == "Notifications, 2 unread"
    other = client_of(app, login_as, people["participant:industry"])
    assert post(other, f"/notifications/{first.id}/read").status_code == 404  # not theirs
    assert post(client, "/notifications/read").status_code == 302
    assert bell(client) == "Notifications, none unread"
    assert "You have read all your notifications." in page_text(client)


def test_a_closing_round_is_listed_with_its_time_left(app, session, people, login_as):
    from consult.digests import notices

    round_ = make_round(session, Phase.OPEN)
    round_.closes_at = utcnow() + timedelta(hours=30, minutes=5)
    notices.notify_round_closing(session, round_)
    session.commit()
    text = page_text(client_of(app, login_as, people["participant:igo"]))
    assert f"The round {round_.title} closes in 1 day." in text


def test_the_round_page_bell_is_each_persons_own(app, session, people, login_as):
    """The round page is cached whole; the bell is put in per response, for its person."""
    from consult.digests import notices

    round_ = make_round(session, Phase.OPEN)
    notices.notify_round_opened(session, round_)  # everyone: one unread each
    session.commit()
    igo, industry = people["participant:igo"], people["participant:industry"]
    igo_client, industry_client = client_of(app, login_as, igo), client_of(app, login_as, industry)
    path = f"/rounds/{round_.id}"
    assert bell(igo_client, path) == "Notifications, 1 unread"
    assert post(industry_client, "/notifications/read").status_code == 302
    assert bell(industry_client, path) == "Notifications, none unread"
    assert bell(igo_client, path) == "Notifications, 1 unread"  # served from the cache again
    assert post(igo_client, "/notifications/read").status_code == 302
    assert bell(igo_client, path) == "Notifications, none unread"
    assert session.get(Round, round_.id).status is RoundStatus.APPROVED
