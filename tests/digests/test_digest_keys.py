"""Comments whose own status changes after a digest passed them: a draft submitted late, a
pre-moderated comment accepted later, a comment signed off later. Digests choose comments by
the audit id of the moment they became visible to the reader (submission for the author's
organisation and staff, acceptance for everyone else), so each is listed once, in the first
digest after it became visible to that reader, and never to a reader who may not see it."""

from __future__ import annotations

from consult.comments import services as comments
from consult.comments.models import Attribution, CommentStatus, CommentType
from consult.digests import cursors
from consult.moderation import services as moderation
from consult.rounds.models import Phase, Preset
from tests.digests.helpers import (
    count_in,
    daily,
    digests_to,
    html_of,
    later,
    run_digests,
    text_of,
)
from tests.factories import make_round, make_user


def _listed(smtp, user, needle):
    """For each of the person's digests so far: how many times it lists `needle`."""
    return [(text_of(m) + html_of(m)).count(needle) // 2 for m in digests_to(smtp, user)]


def _write(session, author, round_, body, *, submit):
    data = comments.CommentInput("k1", CommentType.GENERAL, body, "", Attribution.PERSON)
    comment, _created = comments.save_comment(
        session, actor=author, round_=round_, data=data, nonce=f"n-{body}", submit=submit
    )
    return comment


def _submit(session, author, comment):
    data = comments.CommentInput(comment.clause_key, comment.type, comment.body, "", comment.attribution)
    return comments.update_comment(session, actor=author, comment=comment, data=data, submit=True)


def test_a_draft_submitted_after_a_digest_is_listed_once_in_the_next(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    author, reader = people["participant:industry"], people["participant:governments"]
    colleague = make_user(session, author.role, people.organisations["industry"], email="colleague@example.org")
    moderator = people["moderator"]
    daily(session, reader, colleague, moderator, author)
    draft = _write(session, author, round_, "LATE DRAFT submitted at the deadline", submit=False)
    _write(session, author, round_, "EARLY comment submitted at once", submit=True)
    session.commit()

    run_digests(app, session, now=later(1))  # the draft's id is behind every cursor now
    _submit(session, author, draft)
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    for person in (reader, colleague, moderator):
        assert _listed(smtp, person, "LATE DRAFT") == [0, 1], person.email
        assert _listed(smtp, person, "EARLY comment") == [1, 0], person.email
    assert count_in(smtp.to(author.email), "LATE DRAFT") == 0  # one's own comments are not news


def test_a_premoderated_comment_is_listed_to_others_at_acceptance_to_colleagues_at_submission(
    app, session, people, smtp
):
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, premoderation=True)
    author, reader = people["participant:industry"], people["participant:governments"]
    colleague = make_user(session, author.role, people.organisations["industry"], email="colleague@example.org")
    moderator = people["moderator"]
    daily(session, reader, colleague, moderator)
    comment = _write(session, author, round_, "PREMODERATED view", submit=True)
    assert comment.status is CommentStatus.AWAITING_MODERATION
    session.commit()

    run_digests(app, session, now=later(1))
    moderation.moderate(session, actor=moderator, comment=comment, accept=True)
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    # Day 1 tells the reader the round opened; day 3 has nothing new: no email.
    assert _listed(smtp, reader, "PREMODERATED view") == [0, 1]  # at acceptance
    assert _listed(smtp, colleague, "PREMODERATED view") == [1]  # at submission, not again
    assert _listed(smtp, moderator, "PREMODERATED view") == [1]


def test_a_comment_signed_off_later_reaches_other_organisations_once(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, requires_signoff=True)
    author, reader = people["participant:governments"], people["participant:industry"]
    colleague = make_user(session, author.role, people.organisations["governments"], email="colleague@example.org")
    daily(session, reader, colleague)
    comment = _write(session, author, round_, "SIGNED OFF later", submit=True)
    assert comment.status is CommentStatus.AWAITING_SIGNOFF
    session.commit()

    run_digests(app, session, now=later(1))
    moderation.sign_off(session, actor=people["focal_point"], comment=comment, accept=True)
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    assert _listed(smtp, reader, "SIGNED OFF later") == [0, 1]  # day 1: the round opened, no comment
    assert _listed(smtp, colleague, "SIGNED OFF later") == [1]


def test_a_late_government_only_comment_never_reaches_industry_and_reaches_governments_once(app, session, people, smtp):
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE)
    author = people["participant:governments"]
    government, industry = people["focal_point"], people["participant:industry"]
    daily(session, government, industry)
    draft = _write(session, author, round_, "GOVERNMENT-ONLY late draft", submit=False)
    session.commit()

    run_digests(app, session, now=later(1))
    _submit(session, author, draft)
    session.commit()
    run_digests(app, session, now=later(2))
    run_digests(app, session, now=later(3))

    assert count_in(smtp.to(industry.email), "GOVERNMENT-ONLY") == 0
    assert _listed(smtp, government, "GOVERNMENT-ONLY late draft") == [0, 1]
    assert len(digests_to(smtp, government)) == 2  # nothing new on the third day: no email


def test_a_cursor_never_passes_a_key_still_to_come(app, session, people, smtp):
    """A comment submitted between a digest's horizon and its cursor move cannot be skipped:
    its key is taken after the horizon was read (on SQLite writers are serial; PostgreSQL:
    `test_the_horizon_waits_for_a_comment_still_in_flight`)."""
    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    reader = people["participant:governments"]
    daily(session, reader)
    draft = _write(session, people["participant:industry"], round_, "SUBMITTED right after", submit=False)
    session.commit()
    horizon = cursors.comment_horizon(session)
    _submit(session, people["participant:industry"], draft)
    session.commit()
    assert draft.submitted_key > horizon
    run_digests(app, session, now=later(1))
    assert _listed(smtp, reader, "SUBMITTED right after") == [1]
