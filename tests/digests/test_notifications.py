"""Notifications: queued with the event, switchable, sent once; the cron finds clock events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consult.comments import services as comment_services
from consult.comments.models import Attribution, CommentStatus, CommentType
from consult.db import utcnow
from consult.digests import preferences
from consult.mail.models import OutboxMessage
from consult.moderation import services as moderation
from consult.rounds import services as round_services
from consult.rounds.models import Phase, Round
from tests.digests.helpers import text_of
from tests.factories import make_comment, make_round, make_user
from tests.support.clients import post
from tests.support.state import fresh


def test_rejection_tells_the_author_with_the_reason(app, session, people, smtp):
    author = people["participant:industry"]
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    comment = make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    moderation.moderate(session, actor=people["moderator"], comment=comment, accept=False, reason="Off <b>topic</b>")
    session.commit()
    (message,) = smtp.to(author.email)
    assert "rejected" in message["Subject"]
    assert "Off <b>topic</b>" in text_of(message)
    html = [p for p in message.walk() if p.get_content_type() == "text/html"][0].get_payload(decode=True)
    assert b"Off &lt;b&gt;topic&lt;/b&gt;" in html


def test_a_switched_off_notification_is_not_sent(app, session, people, smtp):
    author = people["participant:industry"]
    preferences.preference_for(session, author).comment_decided = False
    round_ = make_round(session, Phase.OPEN)
    comment = make_comment(session, round_, author)
    session.commit()
    moderation.hide(session, actor=people["moderator"], comment=comment, reason="spam")
    session.commit()
    assert smtp.to(author.email) == []


def test_waiting_for_sign_off_tells_the_focal_point(app, session, people, smtp, login_as, client):
    from consult.comments.models import Attribution, CommentType

    round_ = make_round(session, Phase.OPEN, requires_signoff=True)
    author = people["participant:governments"]
    session.commit()
    comment_services.save_comment(
        session,
        actor=author,
        round_=round_,
        data=comment_services.CommentInput("k1", CommentType.GENERAL, "please sign", "", Attribution.PERSON),
        nonce="n1",
        submit=True,
    )
    session.commit()
    (message,) = smtp.to(people["focal_point"].email)
    assert "waits" in message["Subject"]
    assert smtp.to(author.email) == []


def test_publication_tells_everyone_once(app, session, people, smtp):
    round_ = make_round(session, Phase.CLOSED, prepared_by=people["organiser"])
    round_.publication_requested_at = utcnow()
    round_.publication_requested_by_id = people["organiser"].id
    session.commit()
    round_services.publish(session, actor=people["moderator"], round_=round_)
    session.commit()
    assert len(smtp.messages) == len(people.by_name)
    assert all("published" in m["Subject"] for m in smtp.messages)


def test_cron_finds_opened_and_closing_rounds_once(app, session, people, smtp):
    opened = make_round(session, Phase.OPEN)
    closing = make_round(session, Phase.OPEN)
    closing.closes_at = utcnow() + timedelta(hours=30)
    busy_org = people.organisations["industry"]
    make_comment(session, closing, people["participant:industry"])
    waiting = make_user(session, organisation=people.organisations["governments"], email="waiter@example.org")
    make_comment(session, closing, waiting, status=CommentStatus.AWAITING_SIGNOFF)
    session.commit()
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["digests", "send"])
        assert result.exit_code == 0, result.output
    fresh(session)
    subjects = [(m["X-Envelope-To"], m["Subject"]) for m in smtp.messages]
    assert len(subjects) == len(set(subjects))  # twice run, once sent
    opened_to = {to for to, subject in subjects if opened.title in subject and "open" in subject}
    assert people["participant:igo"].email in opened_to and people["admin"].email in opened_to
    closing_to = {to for to, subject in subjects if closing.title in subject and "48 hours" in subject}
    assert people["participant:igo"].email in closing_to  # nothing submitted
    assert people["participant:industry"].email not in closing_to  # submitted already
    assert people["focal_point"].email in closing_to  # a comment waits for sign-off
    assert people["moderator"].email not in closing_to
    assert busy_org.id
    count = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == len(smtp.messages) + session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "skipped")
    )
    assert session.get(Round, opened.id) is not None


def test_organiser_composes_previews_as_a_recipient_and_sends(app, session, people, smtp, login_as, client):
    from tests.factories import make_consultation

    consultation = make_consultation(session)
    round_ = make_round(session, Phase.OPEN, consultation=consultation)
    make_comment(session, round_, people["participant:governments"], body="GOVERNMENT-ONLY position")
    session.commit()
    login_as(client, people["organiser"])
    url = f"/consultations/{consultation.id}/digests/new"
    preview = {"step": "preview", "intro": "Hello **all**"}
    as_industry = post(client, url, {**preview, "recipient": people["participant:industry"].id})
    assert as_industry.status_code == 200
    assert b"GOVERNMENT-ONLY" not in as_industry.data and b"Hello <strong>all</strong>" in as_industry.data
    as_focal = post(client, url, {**preview, "recipient": people["focal_point"].id})
    assert b"GOVERNMENT-ONLY" in as_focal.data
    review = post(client, url, {"step": "review", "intro": "Hello <script>x</script>"})
    assert review.status_code == 200 and smtp.messages == []
    assert f"Send the digest to {len(people.by_name)} people".encode() in review.data
    response = post(client, url, {"step": "send", "intro": "Hello <script>x</script>", "nonce": "n1"})
    assert response.status_code == 302
    industry_mail = smtp.to(people["participant:industry"].email)[0]
    assert "GOVERNMENT-ONLY" not in text_of(industry_mail)
    assert "GOVERNMENT-ONLY" in text_of(smtp.to(people["focal_point"].email)[0])
    html = [p for p in industry_mail.walk() if p.get_content_type() == "text/html"][0].get_payload(decode=True)
    assert b"<script>" not in html
    page = client.get(response.headers["Location"])
    assert b"<progress" in page.data


def test_mail_queued_before_a_savepoint_goes_out_when_the_transaction_commits(app, session, people, smtp):
    """Storing a comment releases a SAVEPOINT; the mail queued before it in the same transaction
    must wait for the real commit (sending at the savepoint finds no committed row, and on
    SQLite waits for this very transaction's write lock), then go out at once."""
    author = people["participant:industry"]
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    comment = make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    moderation.moderate(session, actor=people["moderator"], comment=comment, accept=False, reason="Off topic")
    comment_services.save_comment(  # its insert runs in a SAVEPOINT
        session,
        actor=people["participant:governments"],
        round_=round_,
        data=comment_services.CommentInput("k1", CommentType.GENERAL, "Another view", "", Attribution.PERSON),
        nonce="after-the-savepoint",
        submit=True,
    )
    assert smtp.to(author.email) == []  # nothing before the commit
    session.commit()
    (message,) = smtp.to(author.email)
    assert "rejected" in message["Subject"]


def test_mail_queued_before_a_savepoint_that_rolls_back_still_goes_out(app, session, people, smtp):
    """A savepoint rolled back (a bulk action leaving one comment out) forgets only the mail
    queued inside it: what the transaction queued before still goes out at commit."""
    first, second = people["participant:industry"], people["participant:igo"]
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    kept = make_comment(session, round_, first, status=CommentStatus.AWAITING_MODERATION)
    dropped = make_comment(session, round_, second, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    moderation.moderate(session, actor=people["moderator"], comment=kept, accept=False, reason="Off topic")
    try:
        with session.begin_nested():
            moderation.moderate(session, actor=people["moderator"], comment=dropped, accept=False, reason="Off")
            raise RuntimeError("left out")
    except RuntimeError:
        pass
    session.commit()
    (message,) = smtp.to(first.email)
    assert "rejected" in message["Subject"]
    assert smtp.to(second.email) == []
