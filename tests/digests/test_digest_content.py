"""Personal digests: what each person may see, grouped and ordered, never twice, never skipped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from consult.comments.models import CommentStatus
from consult.db import utcnow
from consult.digests import preferences, schedule
from consult.digests.models import DigestFrequency, EmailPreference
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.rounds.models import Phase, Preset
from tests.digests.helpers import html_of, later, run_digests, text_of
from tests.factories import make_comment, make_round
from tests.support.state import fresh


def _daily(session, *users):
    for user in users:
        preferences.preference_for(session, user).digest_frequency = DigestFrequency.DAILY


def test_a_government_only_comment_never_reaches_an_industry_digest(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE)
    everyone = list(people.by_name.values())
    _daily(session, *everyone)  # cursors start at the newest comment: none yet
    government, industry = people["participant:governments"], people["participant:industry"]
    make_comment(session, round_, people["focal_point"], body="GOVERNMENT-ONLY position")
    make_comment(session, round_, industry, body="INDUSTRY position")
    make_comment(session, round_, industry, body="DRAFT never shown", status=CommentStatus.DRAFT)
    session.commit()

    report = run_digests(app, session)

    (to_government,) = smtp.to(government.email)
    assert "GOVERNMENT-ONLY position" in text_of(to_government)
    assert "INDUSTRY position" not in text_of(to_government)  # cross-group: after publication
    (to_industry,) = smtp.to(industry.email)
    assert "GOVERNMENT-ONLY position" not in text_of(to_industry) + html_of(to_industry)
    assert "INDUSTRY position" not in text_of(to_industry)  # one's own comments are not news
    (to_moderator,) = smtp.to(people["moderator"].email)
    assert "GOVERNMENT-ONLY position" in text_of(to_moderator) and "INDUSTRY position" in text_of(to_moderator)
    for name in ("participant:civil-society", "participant:igo", "participant:academia-technical"):
        (message,) = smtp.to(people[name].email)  # the round that opened, no comments
        assert "position" not in text_of(message) + html_of(message)
        assert round_.title in text_of(message)
    assert "DRAFT never shown" not in "".join(text_of(m) for m in smtp.messages)
    assert report.sent == len(smtp.messages)


def test_nothing_new_no_email(app, session, people, smtp):
    _daily(session, *people.by_name.values())
    session.commit()
    report = run_digests(app, session)
    assert smtp.messages == []
    assert report.skipped == len(people.by_name)


def test_a_changed_organisation_is_seen_at_send_time(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE)
    mover = people["participant:governments"]
    _daily(session, mover)
    make_comment(session, round_, people["focal_point"], body="GOVERNMENT-ONLY position")
    schedule.queue_due_digests(session, later(0))
    mover.organisation = people.organisations["industry"]  # moved after the digest was queued
    session.commit()
    from consult.mail.sender import deliver

    deliver(app)
    (message,) = smtp.to(mover.email)  # the round's opening is still news to them
    assert "GOVERNMENT-ONLY" not in text_of(message) + html_of(message)


def test_grouped_by_round_clause_group_newest_first(app, session, people, smtp):
    reader = people["moderator"]
    _daily(session, reader)
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    gov, ind = people["participant:governments"], people["participant:industry"]
    make_comment(session, round_, ind, clause_key="k2", body="C1 industry on clause 2")
    make_comment(session, round_, gov, clause_key="k1", body="C2 government on clause 1, older")
    make_comment(session, round_, ind, clause_key="k1", body="C3 industry on clause 1")
    make_comment(session, round_, gov, clause_key="k1", body="C4 government on clause 1, newer")
    make_comment(session, round_, gov, clause_key=None, body="C5 general")
    session.commit()

    run_digests(app, session)

    (message,) = smtp.to(reader.email)
    text = text_of(message)
    order = [text.index(s) for s in ("C5 general", "C4 government", "C2 government", "C3 industry", "C1 industry")]
    assert order == sorted(order), text
    clause1 = text.index("## 1 Heading 1")
    assert text.index("## General comments") < clause1
    assert clause1 < text.index("### Governments", clause1) < text.index("### Industry", clause1)
    assert text.index("### Industry", clause1) < text.index("## 2 Heading 2")


def test_consecutive_digests_neither_skip_nor_repeat(app, session, people, smtp):
    reader = people["moderator"]
    _daily(session, reader)
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    make_comment(session, round_, people["participant:governments"], body="FIRST comment")
    session.commit()
    # Noon, so that "two hours later" is the same day whenever the suite runs.
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    run_digests(app, session, now=noon)
    make_comment(session, round_, people["participant:industry"], body="SECOND comment")
    session.commit()
    run_digests(app, session, now=noon + timedelta(hours=2))  # same day: not due again
    assert len(smtp.to(reader.email)) == 1
    run_digests(app, session, now=noon + timedelta(days=1))
    first, second = smtp.to(reader.email)
    assert "FIRST comment" in text_of(first) and "SECOND comment" not in text_of(first)
    assert "SECOND comment" in text_of(second) and "FIRST comment" not in text_of(second)


def test_repeated_run_sends_nothing_twice(app, session, people, smtp):
    _daily(session, *people.by_name.values())
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    make_comment(session, round_, people["participant:governments"], body="news")
    session.commit()
    now = later(0)
    run_digests(app, session, now)
    count = len(smtp.messages)
    assert count > 0
    run_digests(app, session, now)
    run_digests(app, session, now)
    assert len(smtp.messages) == count


def test_frequency_none_sends_nothing(app, session, people, smtp):
    reader = people["moderator"]
    preferences.preference_for(session, reader).digest_frequency = DigestFrequency.NONE
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    make_comment(session, round_, people["participant:governments"], body="news")
    session.commit()
    run_digests(app, session)
    assert smtp.to(reader.email) == []
    fresh(session)
    assert session.get(EmailPreference, reader.id).digest_frequency is DigestFrequency.NONE
    statuses = set(session.scalars(select(OutboxMessage.status)))
    assert OutboxStatus.PENDING not in statuses


def test_released_dispositions_on_ones_own_comments_make_a_digest(app, session, people, smtp):
    from consult.dispositions import services as dispositions
    from consult.dispositions.models import DispositionKind

    author, other = people["participant:industry"], people["participant:igo"]
    round_ = make_round(session, Phase.CLOSED)
    comment = make_comment(session, round_, author, body="An industry view")
    _daily(session, author, other)
    dispositions.record_disposition(
        session,
        actor=people["organiser"],
        comment=comment,
        kind=DispositionKind.PARTIALLY_ACCEPTED,
        observation="SECRETARIAT-ANSWER on the vendors' timelines",
    )
    session.commit()
    # Nothing new before the release: drafted dispositions are private.
    run_digests(app, session, now=later(1))
    assert smtp.to(author.email) == []
    dispositions.release_dispositions(session, actor=people["organiser"], round_=round_, now=later(1.5))
    session.commit()
    smtp.clear()

    run_digests(app, session, now=later(2))

    (digest,) = [m for m in smtp.to(author.email) if "new for you" in m["Subject"]]
    assert "SECRETARIAT-ANSWER" in text_of(digest) and "SECRETARIAT-ANSWER" in html_of(digest)
    assert "Partially accepted" in text_of(digest)
    assert all("SECRETARIAT-ANSWER" not in text_of(m) for m in smtp.to(other.email))
