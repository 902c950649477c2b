"""Personal digest cursors: a comment that becomes visible behind the cursor is listed once, in
the next digest, and only if the person may see it then; answers to one's own comments are
chosen by release id, so none is skipped or repeated whatever the clocks say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.rounds.models import Phase, Preset, RoundStatus, RoundVisibility, Stage
from tests.digests.helpers import (
    count_in,
    daily,
    digests_to,
    html_of,
    later,
    read_horizon_in_thread,
    run_digests,
    text_of,
)
from tests.factories import group, make_comment, make_round, make_user


def test_cross_group_comments_are_listed_once_after_publication(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE)
    reader = people["participant:industry"]
    colleague = make_user(session, people["participant:igo"].role, people.organisations["industry"], email="c@x.org")
    daily(session, reader)
    make_comment(session, round_, people["participant:governments"], body="GOVERNMENT view")
    make_comment(session, round_, colleague, body="INDUSTRY colleague view")
    make_comment(session, round_, people["participant:civil-society"], body="CIVIL never for industry")
    cell = session.scalar(
        select(RoundVisibility).where(
            RoundVisibility.round_id == round_.id,
            RoundVisibility.viewer_group_id == group(session, "industry").id,
            RoundVisibility.author_group_id == group(session, "civil-society").id,
        )
    )
    cell.stage = Stage.NEVER
    session.commit()

    run_digests(app, session, now=later(1))  # while open: their own group only
    (first,) = digests_to(smtp, reader)
    assert "INDUSTRY colleague view" in text_of(first) and "GOVERNMENT view" not in text_of(first)

    round_.status, round_.published_at = RoundStatus.PUBLISHED, later(1.5)
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    digests = digests_to(smtp, reader)
    assert len(digests) == 2  # nothing new on the third day: no email
    second = digests[1]
    assert "GOVERNMENT view" in text_of(second) and "GOVERNMENT view" in html_of(second)
    assert count_in(digests, "GOVERNMENT view") == 1
    assert count_in(digests, "INDUSTRY colleague view") == 1  # seen while open, not again
    assert count_in(digests, "CIVIL never for industry") == 0  # still not theirs to see


def test_a_move_to_another_organisation_lists_what_it_opens_once(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE)
    mover = people["participant:industry"]
    daily(session, mover)
    make_comment(session, round_, people["focal_point"], body="GOVERNMENT-ONLY position")
    make_comment(session, round_, people["participant:civil-society"], body="CIVIL position")
    session.commit()
    run_digests(app, session, now=later(1))
    assert count_in(digests_to(smtp, mover), "GOVERNMENT-ONLY position") == 0

    mover.organisation = people.organisations["governments"]
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    digests = digests_to(smtp, mover)
    assert len(digests) == 2
    assert "GOVERNMENT-ONLY position" in text_of(digests[1])
    assert count_in(digests, "GOVERNMENT-ONLY position") == 1
    assert count_in(digests, "CIVIL position") == 0  # another group's, still before publication


def test_a_new_person_gets_no_backlog_but_what_becomes_visible_later(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE)
    make_comment(session, round_, people["participant:governments"], body="OLD government view")
    make_comment(session, round_, people["participant:industry"], body="OLD industry view")
    session.commit()
    newcomer = make_user(session, people["participant:igo"].role, people.organisations["industry"], email="n@x.org")
    daily(session, newcomer)  # the cursor starts at the newest comment
    round_.status, round_.published_at = RoundStatus.PUBLISHED, later(0.5)
    session.commit()

    run_digests(app, session, now=later(1))

    (digest,) = digests_to(smtp, newcomer)
    assert "OLD government view" in text_of(digest)  # became visible after their cursor began
    assert "OLD industry view" not in text_of(digest)  # visible to them before: not news


def test_answers_are_listed_once_by_release_not_by_clock(app, session, people, smtp):
    from consult.dispositions import services as dispositions
    from consult.dispositions.models import DispositionKind

    author, organiser = people["participant:industry"], people["organiser"]
    rounds = {name: make_round(session, Phase.CLOSED) for name in ("A", "B", "C")}
    for name, round_ in rounds.items():
        comment = make_comment(session, round_, author, body=f"Comment for {name}")
        dispositions.record_disposition(
            session, actor=organiser, comment=comment, kind=DispositionKind.NOTED, observation=f"ANSWER-{name}"
        )
    daily(session, author)
    session.commit()
    first_at = later(1).replace(microsecond=500_000)

    dispositions.release_dispositions(session, actor=organiser, round_=rounds["A"], now=first_at - timedelta(hours=1))
    session.commit()
    run_digests(app, session, now=first_at)
    # Released after the first digest was queued, with a clock reading in that same second,
    # a little before it (clocks and commits need not agree).
    dispositions.release_dispositions(
        session, actor=organiser, round_=rounds["B"], now=first_at - timedelta(milliseconds=300)
    )
    session.commit()
    dispositions.release_dispositions(session, actor=organiser, round_=rounds["C"], now=later(1.5))
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    digests = digests_to(smtp, author)
    assert len(digests) == 2
    assert "ANSWER-A" in text_of(digests[0]) and "ANSWER-B" not in text_of(digests[0])
    assert "ANSWER-B" in text_of(digests[1]) and "ANSWER-C" in text_of(digests[1])
    for name in "ABC":
        assert sum(text_of(m).count(f"ANSWER-{name}") for m in digests) == 1


def test_the_horizon_waits_for_a_comment_still_in_flight(app, session, people):
    """PostgreSQL takes ids before commit: a digest cursor moved past the newest committed key
    while an older one is still in flight would skip that comment for good. The horizon waits
    for writers holding their round, then reads the newest audit id."""
    import time

    from consult.comments.services import round_for_writing
    from consult.db import utcnow

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's writers are serial: no id is ever in flight")
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    make_comment(session, round_, people["participant:industry"], body="committed first")
    session.commit()
    writer = app.extensions["consult.db"].new_session()
    round_for_writing(writer, round_.id, utcnow())  # the round, locked as a comment write does
    in_flight = make_comment(writer, round_, people["participant:governments"], body="still in flight")
    thread, seen = read_horizon_in_thread(app)
    time.sleep(0.5)
    assert not seen, "the horizon did not wait for the writer"
    writer.commit()
    writer.close()
    thread.join(10)
    assert seen == [in_flight.submitted_key]


def test_the_horizon_waits_for_a_moderator_of_a_published_round(app, session, people):
    """A moderator gives an accepted key after the round closed (here: after publication): the
    horizon waits on rounds with comments awaiting moderation too."""
    import time

    from consult.comments.models import Comment, CommentStatus
    from consult.moderation import services as moderation

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's writers are serial: no id is ever in flight")
    round_ = make_round(session, Phase.PUBLISHED, Preset.OPEN_DIALOGUE, premoderation=True)
    waiting = make_comment(session, round_, people["participant:industry"], status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    moderator = app.extensions["consult.db"].new_session()
    comment = moderator.get(Comment, waiting.id)
    moderation.moderate(moderator, actor=moderator.merge(people["moderator"]), comment=comment, accept=True)
    moderator.flush()
    thread, seen = read_horizon_in_thread(app)
    time.sleep(0.5)
    assert not seen, "the horizon did not wait for the moderator"
    key = comment.accepted_key
    moderator.commit()
    moderator.close()
    thread.join(10)
    assert seen and seen[0] >= key
