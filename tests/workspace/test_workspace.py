"""Each role's workspace: what it lists, and what it must not, per round phase; deadlines in the
person's timezone with the time left; counts only of what the person may see."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult import audit
from consult.auth.models import Invitation, Role
from consult.comments.models import CommentReport, CommentStatus
from consult.db import utcnow
from consult.dispositions.models import Acknowledgement, AcknowledgementKind, Disposition, DispositionKind
from consult.notifications.models import Notification
from consult.rounds.models import Phase, Preset
from tests.factories import make_comment, make_invitation, make_round, make_user
from tests.support.state import fresh
from tests.workspace.helpers import as_text, progress, workspace

PARTICIPANT_LISTS = {"open_rounds", "drafts", "returned", "answers"}
MODERATOR_LISTS = {"approvals", "publications", "premoderation", "reports"}
ORGANISER_LISTS = {"sent_back", "publication_requests", "dispositions", "objections", "digests"}
ADMIN_LISTS = {"expired_invitations", "disabled_with_work"}


def client_of(app, login_as, user):
    client = app.test_client()
    login_as(client, user)
    return client


@pytest.fixture
def phases(session, people):
    """A round in every phase, titled by its phase, prepared by the organiser."""
    rounds = {}
    for phase in Phase:
        round_ = make_round(session, phase, prepared_by=people["organiser"])
        round_.title = f"The {phase.value} round"
        rounds[phase] = round_
    session.commit()
    return rounds


def test_anonymous_visitors_keep_the_consultations_list(app, client, phases):
    html = client.get("/").get_data(as_text=True)
    assert "<h1>Consultations</h1>" in html and "What needs you" not in html


def test_participant_sees_only_rounds_open_now_with_the_deadline_in_their_timezone(
    app, session, people, login_as, phases
):
    participant = people["participant:igo"]
    fresh(session)
    participant.timezone = "Asia/Tokyo"
    phases[Phase.OPEN].closes_at = utcnow() + timedelta(days=2, hours=1)
    session.commit()
    lists = workspace(client_of(app, login_as, participant))
    text = lists["open_rounds"]
    assert text.startswith("1 round is open for your comments")
    assert "The open round" in text and "closes in 2 days" in text and "JST" in text
    for phase in set(Phase) - {Phase.OPEN}:
        assert f"The {phase.value} round" not in " ".join(lists.values())
    assert not (lists.keys() & (MODERATOR_LISTS | ORGANISER_LISTS | ADMIN_LISTS))


def test_the_nearest_deadline_comes_first(app, session, people, login_as):
    later = make_round(session, Phase.OPEN)
    later.title, later.closes_at = "Closes later", utcnow() + timedelta(days=20)
    sooner = make_round(session, Phase.OPEN)
    sooner.title, sooner.closes_at = "Closes sooner", utcnow() + timedelta(hours=5)
    session.commit()
    text = workspace(client_of(app, login_as, people["participant:igo"]))["open_rounds"]
    assert text.index("Closes sooner") < text.index("Closes later")
    assert "closes in 5 hours" in text and "closes in 3 weeks" in text


def test_participant_drafts_returned_and_rejected_comments(app, session, people, login_as, phases):
    author, colleague = people["participant:governments"], people["focal_point"]
    open_round, closed = phases[Phase.OPEN], phases[Phase.CLOSED]
    make_comment(session, open_round, author, status=CommentStatus.DRAFT, body="MY-DRAFT in the open round")
    make_comment(session, closed, author, status=CommentStatus.DRAFT, body="MY-DRAFT in the closed round")
    make_comment(session, open_round, colleague, status=CommentStatus.DRAFT, body="A COLLEAGUE'S draft")
    returned = make_comment(session, open_round, author, status=CommentStatus.DRAFT, body="MY-RETURNED comment")
    returned.returned_reason = "Cite the treaty"
    rejected = make_comment(session, closed, author, status=CommentStatus.REJECTED, body="MY-REJECTED comment")
    rejected.rejection_reason = "Off topic"
    other = make_comment(session, closed, people["participant:industry"], status=CommentStatus.REJECTED)
    other.rejection_reason = "SOMEONE ELSE'S reason"
    published = make_comment(session, phases[Phase.PUBLISHED], author, status=CommentStatus.REJECTED)
    published.body = "REJECTED before publication"
    session.commit()
    lists = workspace(client_of(app, login_as, author))
    assert lists["drafts"].startswith("1 comment of yours is not submitted yet")
    assert "MY-DRAFT in the open round" in lists["drafts"]
    everything = " ".join(lists.values())
    assert "MY-DRAFT in the closed round" not in everything and "A COLLEAGUE'S draft" not in everything
    assert "MY-RETURNED" not in lists["drafts"]
    text = lists["returned"]
    assert text.startswith("2 comments of yours were returned or rejected")
    assert "MY-RETURNED comment Returned by your focal point" in text and "The reason: Cite the treaty" in text
    assert "MY-REJECTED comment Rejected by a moderator. The reason: Off topic" in text
    assert "SOMEONE ELSE'S" not in everything and "REJECTED before publication" not in everything
    html = client_of(app, login_as, author).get("/").get_data(as_text=True)
    assert f'href="/comments/{returned.id}/edit"' in html  # straight to where they act


def _disposition(session, people, comment, released=True):
    disposition = Disposition(
        comment_id=comment.id,
        round_id=comment.round_id,
        kind=DispositionKind.NOTED,
        observation="Noted.",
        recorded_by_id=people["organiser"].id,
        released_at=utcnow() if released else None,
    )
    session.add(disposition)
    session.flush()
    return disposition


def test_answers_waiting_for_the_commenter_and_their_focal_point(app, session, people, login_as, phases):
    author, focal = people["participant:governments"], people["focal_point"]
    closed = phases[Phase.CLOSED]
    waiting = [make_comment(session, closed, author) for _ in range(2)]
    for comment in waiting:
        _disposition(session, people, comment)
    answered = _disposition(session, people, make_comment(session, closed, author))
    session.add(Acknowledgement(disposition_id=answered.id, kind=AcknowledgementKind.SATISFIED, author_id=author.id))
    _disposition(session, people, make_comment(session, closed, author), released=False)  # drafted only
    _disposition(session, people, make_comment(session, closed, people["participant:industry"]))
    session.commit()
    for person in (author, focal):  # the focal point answers for the organisation
        text = workspace(client_of(app, login_as, person))["answers"]
        assert text.startswith("2 answers of the secretariat wait for your reply"), text
        assert "The closed round · 2 answers to reply to" in text
    assert "answers" not in workspace(client_of(app, login_as, people["participant:igo"]))


def test_focal_point_sees_the_organisations_comments_waiting_for_sign_off(app, session, people, login_as, phases):
    focal = people["focal_point"]
    open_round = phases[Phase.OPEN]
    for _ in range(3):
        make_comment(session, open_round, people["participant:governments"], status=CommentStatus.AWAITING_SIGNOFF)
    make_comment(session, open_round, people["participant:industry"], status=CommentStatus.AWAITING_SIGNOFF)
    session.commit()
    text = workspace(client_of(app, login_as, focal))["signoff"]
    assert text.startswith("3 comments wait for your sign-off") and "The open round · 3 comments" in text
    assert "signoff" not in workspace(client_of(app, login_as, people["participant:governments"]))
    industry = workspace(client_of(app, login_as, people["participant:industry"]))
    assert "signoff" not in industry  # no focal point role


def _event(session, actor, action, round_, days_ago):
    session.add(
        audit.AuditEvent(
            actor_id=actor.id,
            action=action,
            subject_type="Round",
            subject_id=round_.id,
            at=utcnow() - timedelta(days=days_ago),
        )
    )


def test_moderator_queues_oldest_first_with_how_long_they_waited(app, session, people, login_as, phases):
    moderator, organiser = people["moderator"], people["organiser"]
    older = make_round(session, Phase.PENDING_APPROVAL, prepared_by=organiser)
    older.title = "Waiting longest"
    _event(session, organiser, "round.submit", older, days_ago=3)
    _event(session, organiser, "round.submit", phases[Phase.PENDING_APPROVAL], days_ago=1)
    closed = phases[Phase.CLOSED]
    closed.publication_requested_at = utcnow() - timedelta(hours=5)
    closed.publication_requested_by_id = organiser.id
    open_round = phases[Phase.OPEN]
    pending = make_comment(session, open_round, people["participant:igo"], status=CommentStatus.AWAITING_MODERATION)
    pending.updated_at = utcnow() - timedelta(days=2)
    reported = make_comment(session, open_round, people["participant:industry"])
    session.add(CommentReport(comment_id=reported.id, reporter_id=people["participant:igo"].id, reason="x"))
    session.commit()
    lists = workspace(client_of(app, login_as, moderator))
    approvals = lists["approvals"]
    assert approvals.startswith("2 rounds wait for your approval")
    assert approvals.index("Waiting longest") < approvals.index("The pending_approval round")
    assert "waiting for 3 days" in approvals and "waiting for 1 day" in approvals
    assert lists["publications"].startswith("The results of 1 round wait for publication")
    assert "The closed round" in lists["publications"] and "waiting for 5 hours" in lists["publications"]
    assert lists["premoderation"].startswith("1 comment waits in pre-moderation")
    assert "the oldest waiting for 2 days" in lists["premoderation"]
    assert lists["reports"].startswith("1 report is open")
    assert not (lists.keys() & (PARTICIPANT_LISTS | ORGANISER_LISTS | ADMIN_LISTS | {"signoff"}))
    for phase in (Phase.DRAFT, Phase.SCHEDULED, Phase.PUBLISHED, Phase.ARCHIVED):
        assert f"The {phase.value} round" not in approvals + lists["publications"]


def test_organiser_lists(app, session, people, login_as, phases):
    organiser = people["organiser"]
    draft = phases[Phase.DRAFT]
    draft.sent_back_reason = "Dates overlap the summit"
    _event(session, people["moderator"], "round.send_back", draft, days_ago=2)
    closed = phases[Phase.CLOSED]
    author = people["participant:governments"]
    for _ in range(2):
        make_comment(session, closed, author)  # accepted: to answer
    _disposition(session, people, make_comment(session, closed, author), released=False)  # to release
    objected = _disposition(session, people, make_comment(session, closed, author))
    session.add(Acknowledgement(disposition_id=objected.id, kind=AcknowledgementKind.OBJECTION, author_id=author.id))
    make_comment(session, closed, author, status=CommentStatus.REJECTED)  # not answered: not counted
    session.commit()
    lists = workspace(client_of(app, login_as, organiser))
    assert lists["sent_back"].startswith("1 round was sent back to the organisers")
    assert "The reason: Dates overlap the summit" in lists["sent_back"] and "waiting for 2 days" in lists["sent_back"]
    requests = lists["publication_requests"]
    assert requests.startswith("1 closed round is not published yet") and "Not asked for yet" in requests
    text = lists["dispositions"]
    assert text.startswith("1 round has dispositions to draft or release")
    assert "2 comments to answer · 1 answer drafted, not released" in text
    assert lists["objections"].startswith("1 objection is maintained")
    assert not (lists.keys() & (PARTICIPANT_LISTS | MODERATOR_LISTS | ADMIN_LISTS | {"signoff"}))
    # Asked for: it waits for the moderators (and no longer says "not asked").
    fresh(session)
    closed.publication_requested_at = utcnow() - timedelta(hours=1)
    session.commit()
    requests = workspace(client_of(app, login_as, organiser))["publication_requests"]
    assert "Publication asked for; a moderator decides. waiting for 1 hour" in requests


def test_organiser_sees_digests_still_being_sent(app, session, people, login_as):
    from consult.digests.models import Digest
    from consult.mail.models import OutboxKind, OutboxMessage, OutboxStatus
    from tests.factories import make_consultation

    consultation = make_consultation(session, title="Digest consultation")
    digest = Digest(consultation_id=consultation.id, intro="Hi", sent_at=utcnow())
    session.add(digest)
    session.flush()
    for i, status in enumerate([OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.SENT]):
        session.add(
            OutboxMessage(
                dedupe_key=f"d{i}",
                kind=OutboxKind.DIGEST,
                template="organiser_digest",
                to_address=f"p{i}@example.org",
                digest_id=digest.id,
                status=status,
            )
        )
    session.commit()
    text = workspace(client_of(app, login_as, people["organiser"]))["digests"]
    assert text.startswith("1 digest is still being sent")
    assert "Digest consultation · 1 message still to send · 1 failed" in text


def test_admin_sees_expired_invitations_and_disabled_accounts_with_pending_work(app, session, people, login_as):
    admin = people["admin"]
    now = utcnow()
    fresh_expiry = make_invitation(session, "lapsed@example.org", role=Role.PARTICIPANT)
    fresh_expiry.expires_at = now - timedelta(days=2)
    long_ago = make_invitation(session, "long-ago@example.org")
    long_ago.expires_at = now - timedelta(days=40)
    joined = make_invitation(session, people["participant:igo"].email)  # expired, but they have an account
    joined.expires_at = now - timedelta(days=1)
    make_invitation(session, "revoked@example.org", revoked=True).expires_at = now - timedelta(days=1)
    make_invitation(session, "pending@example.org")
    disabled = make_user(session, Role.FOCAL_POINT, people.organisations["industry"], name="Gone Focal", active=False)
    idle = make_user(session, Role.MODERATOR, name="Gone Idle", active=False)
    round_ = make_round(session, Phase.OPEN)
    for i, (user, kind, done) in enumerate(
        [(disabled, "comment_waiting", False), (disabled, "round_opened", False), (idle, "round_submitted", True)]
    ):
        session.add(
            Notification(user_id=user.id, event=f"e{i}", kind=kind, round_id=round_.id, done_at=now if done else None)
        )
    session.commit()
    assert session.get(Invitation, fresh_expiry.id) is not None
    lists = workspace(client_of(app, login_as, admin))
    invitations = lists["expired_invitations"]
    assert invitations.startswith("1 invitation expired unused in the last 30 days")
    assert "lapsed@example.org (Participant) · expired 2 days ago" in invitations
    for email in ("long-ago@", "revoked@", "pending@", people["participant:igo"].email):
        assert email not in invitations
    accounts = lists["disabled_with_work"]
    assert accounts.startswith("1 disabled account still has open tasks")
    assert "Gone Focal (Focal point) · 1 open task" in accounts and "Gone Idle" not in accounts
    assert not (lists.keys() & (PARTICIPANT_LISTS | MODERATOR_LISTS | ORGANISER_LISTS))
    assert progress(client_of(app, login_as, admin)) == ""  # administrators count no input


def test_staff_progress_lines(app, session, people, login_as, phases):
    open_round = phases[Phase.OPEN]
    for slug, n in (("governments", 2), ("industry", 1)):
        for _ in range(n):
            make_comment(session, open_round, people[f"participant:{slug}"])
    make_comment(session, open_round, people["participant:governments"], status=CommentStatus.AWAITING_SIGNOFF)
    make_comment(session, open_round, people["participant:igo"], status=CommentStatus.AWAITING_MODERATION)
    make_comment(session, open_round, people["participant:igo"], status=CommentStatus.DRAFT)  # nobody's to count
    closed = phases[Phase.CLOSED]
    _disposition(session, people, make_comment(session, closed, people["participant:igo"]), released=False)
    session.commit()
    for staff in ("moderator", "organiser"):
        text = progress(client_of(app, login_as, people[staff]))
        assert text.startswith("Progress of 2 rounds in progress"), text
        assert "The open round" in text and "3 comments accepted (Governments 2 and Industry 1)" in text
        assert "1 sign-off pending; 1 comment in moderation" in text
        assert "dispositions: 1 drafted, 0 released, and 0 answered" in text
        assert "The published round" not in text and "The scheduled round" not in text
    for viewer in ("participant:governments", "focal_point"):
        assert progress(client_of(app, login_as, people[viewer])) == ""


def test_a_participant_never_counts_input_they_may_not_see(app, session, people, login_as):
    """Others' comments, drafts and dispositions (in a sealed round, where the industry
    participant sees nothing of other groups) change nothing on the participant's page."""
    round_ = make_round(session, Phase.OPEN, preset=Preset.SEALED)
    round_.title = "Sealed round"
    session.commit()
    reader = people["participant:industry"]
    before = workspace(client_of(app, login_as, reader))
    for slug in ("governments", "igo", "civil-society"):
        author = people[f"participant:{slug}"]
        make_comment(session, round_, author)
        make_comment(session, round_, author, status=CommentStatus.DRAFT)
        make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    after = workspace(client_of(app, login_as, reader))
    assert after == before
    assert "Sealed round" in after["open_rounds"] and "no comment of yours yet" in after["open_rounds"]


def test_the_lists_say_only_so_much_and_count_all(app, session, people, login_as):
    author = people["participant:igo"]
    round_ = make_round(session, Phase.OPEN)
    for _ in range(13):
        make_comment(session, round_, author, status=CommentStatus.DRAFT)
    session.commit()
    client = client_of(app, login_as, author)
    text = workspace(client)["drafts"]
    assert text.startswith("13 comments of yours are not submitted yet")
    html = client.get("/").get_data(as_text=True)
    section = html[html.index('aria-labelledby="task-drafts"') :]
    section = section[: section.index("</section>")]
    assert section.count("<li>") == 10 and "All of them in My comments" in as_text(section)
