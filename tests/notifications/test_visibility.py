"""Visibility-safe like the digests: what a notification shows is decided when it is shown, with
what its reader may see then. A notification about a comment its reader may not see now is
neither listed nor counted, and its text is never on the page; a notice of a task its reader's
role no longer has is not shown either."""

from __future__ import annotations

from consult.auth.models import Role
from consult.comments.models import CommentStatus
from consult.digests import notices
from consult.moderation import services as moderation
from consult.notifications import services as notification_services
from consult.rounds import services as round_services
from consult.rounds.models import Phase, Preset
from tests.factories import make_comment, make_organisation, make_round
from tests.notifications.helpers import bell, page_text, rows
from tests.support import fresh


def client_of(app, login_as, user):
    client = app.test_client()
    login_as(client, user)
    return client


def _waiting_for(session, people, body):
    """A governments comment waiting for the focal point's sign-off, announced as the services do."""
    round_ = make_round(session, Phase.OPEN, requires_signoff=True)
    comment = make_comment(
        session, round_, people["participant:governments"], status=CommentStatus.AWAITING_SIGNOFF, body=body
    )
    from consult import audit

    event = audit.record(session, actor=people["participant:governments"], action="comment.submit", subject=comment)
    session.flush()
    notices.notify_comment_waiting(session, comment, event)
    session.commit()
    return round_, comment


def test_a_comment_hidden_since_leaves_the_focal_points_notifications(app, session, people, login_as):
    focal = people["focal_point"]
    _round, comment = _waiting_for(session, people, "SECRET-POSITION of the ministry")
    client = client_of(app, login_as, focal)
    assert bell(client) == "Notifications, 1 unread"
    assert "SECRET-POSITION" in page_text(client)

    moderation.hide(session, actor=people["moderator"], comment=comment, reason="spam")
    session.commit()
    assert bell(client) == "Notifications, none unread"  # not counted ...
    html = client.get("/notifications").get_data(as_text=True)
    assert "SECRET-POSITION" not in html and "waits for your sign-off" not in html  # ... nor listed
    assert len(rows(session, focal)) == 1  # (the row is still there: shown again if it is unhidden)


def test_a_focal_point_moved_to_another_organisation_no_longer_sees_it(app, session, people, login_as):
    focal = people["focal_point"]
    _waiting_for(session, people, "MINISTRY-ONLY text")
    fresh(session)
    focal.organisation_id = make_organisation(session, "industry", name="A company").id
    session.commit()
    client = client_of(app, login_as, focal)
    assert bell(client) == "Notifications, none unread"
    assert "MINISTRY-ONLY" not in client.get("/notifications").get_data(as_text=True)


def test_a_row_about_a_comment_the_reader_may_not_see_is_never_shown(app, session, people, login_as):
    """Whatever wrote it, a notification pointing at a comment of a sealed round's other group
    is not listed, counted or quoted for the industry participant; the governments one sees theirs."""
    round_ = make_round(session, Phase.OPEN, preset=Preset.SEALED)
    comment = make_comment(session, round_, people["participant:governments"], body="SEALED-GOVERNMENT view")
    reader, author = people["participant:industry"], people["participant:governments"]
    for user in (reader, author):
        notification_services.record(
            session,
            [
                {
                    "user_id": user.id,
                    "event": f"comment_decided:test{comment.id}",
                    "kind": "comment_decided",
                    "round_id": round_.id,
                    "comment_id": comment.id,
                    "params": {"decision": "accepted"},
                }
            ],
        )
    session.commit()
    reader_client = client_of(app, login_as, reader)
    assert bell(reader_client) == "Notifications, none unread"
    assert "SEALED-GOVERNMENT" not in reader_client.get("/notifications").get_data(as_text=True)
    author_client = client_of(app, login_as, author)
    assert bell(author_client) == "Notifications, 1 unread"
    assert "SEALED-GOVERNMENT view" in page_text(author_client)


def test_a_notice_of_a_task_the_role_no_longer_has_is_not_shown(app, session, people, login_as):
    """An organiser who became an administrator no longer reads why a publication was declined
    (administrators do not read reasons), though the round itself is visible to them."""
    organiser = people["organiser"]
    round_ = make_round(session, Phase.CLOSED, prepared_by=organiser)
    session.commit()
    round_services.request_publication(session, actor=organiser, round_=round_)
    session.commit()
    round_services.decline_publication(
        session, actor=people["moderator"], round_=round_, reason="REASON-FOR-ORGANISERS"
    )
    session.commit()
    client = client_of(app, login_as, organiser)
    assert "REASON-FOR-ORGANISERS" in page_text(client)
    fresh(session)
    organiser.role = Role.ADMIN
    session.commit()
    client = client_of(app, login_as, organiser)
    assert bell(client) == "Notifications, none unread"
    assert "REASON-FOR-ORGANISERS" not in client.get("/notifications").get_data(as_text=True)
