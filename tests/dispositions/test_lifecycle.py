"""Dispositions: recorded privately on a closed round, released in a batch, acknowledged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.comments.models import CommentStatus
from consult.dispositions import services
from consult.dispositions.models import Acknowledgement, AcknowledgementKind, Disposition, DispositionKind
from consult.errors import Conflict, Invalid, NotAllowed
from consult.rounds import services as round_services
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.support.clients import post, sign_in
from tests.support.state import fresh


@pytest.fixture
def closed(session, people):
    round_ = make_round(session, Phase.CLOSED)
    comment = make_comment(session, round_, people["participant:governments"], "k1")
    session.commit()
    return round_, comment


def record(session, people, comment, kind=DispositionKind.NOTED, observation="Noted with thanks."):
    return services.record_disposition(
        session, actor=people["organiser"], comment=comment, kind=kind, observation=observation
    )


def test_organiser_records_a_private_draft_that_only_staff_see(app, session, people, login_as, closed):
    round_, comment = closed
    record(session, people, comment, observation="Secret draft answer")
    session.commit()
    url = f"/rounds/{round_.id}/dispositions"
    for viewer in ("organiser", "moderator"):
        assert "Secret draft answer" in sign_in(app, login_as, session, people, viewer).get(url).get_data(as_text=True)
    for viewer in ("participant:governments", "focal_point"):
        page = sign_in(app, login_as, session, people, viewer).get(url).get_data(as_text=True)
        assert "Secret draft answer" not in page
        assert "0 of 1 answered" in page
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "disposition.record"))


@pytest.mark.parametrize("viewer", ["participant:governments", "focal_point", "moderator", "admin"])
def test_only_organisers_record(session, people, closed, viewer):
    _round, comment = closed
    with pytest.raises(NotAllowed):
        services.record_disposition(
            session, actor=people[viewer], comment=comment, kind=DispositionKind.NOTED, observation="x"
        )


def test_no_disposition_while_the_round_is_open_or_for_a_comment_not_accepted(session, people):
    open_round = make_round(session, Phase.OPEN)
    with pytest.raises(Conflict):
        record(session, people, make_comment(session, open_round, people["participant:industry"]))
    closed_round = make_round(session, Phase.CLOSED)
    rejected = make_comment(session, closed_round, people["participant:industry"], status=CommentStatus.REJECTED)
    with pytest.raises(Conflict):
        record(session, people, rejected)


def test_an_observation_is_needed_unless_accepted(session, people, closed):
    _round, comment = closed
    with pytest.raises(Invalid):
        record(session, people, comment, DispositionKind.NOT_ACCEPTED, "  ")
    assert record(session, people, comment, DispositionKind.ACCEPTED, "").kind is DispositionKind.ACCEPTED


def test_revising_keeps_one_disposition(session, people, closed):
    _round, comment = closed
    record(session, people, comment, DispositionKind.NOTED, "first")
    record(session, people, comment, DispositionKind.NOT_ACCEPTED, "second")
    (only,) = session.scalars(select(Disposition).where(Disposition.comment_id == comment.id)).all()
    assert (only.kind, only.observation) == (DispositionKind.NOT_ACCEPTED, "second")


def test_batch_release_shows_every_draft_and_tells_each_author_once(app, session, people, login_as, smtp, closed):
    round_, comment = closed
    second = make_comment(session, round_, people["participant:governments"], "k2")
    other = make_comment(session, round_, people["participant:industry"], "k3")
    for c in (comment, second, other):
        record(session, people, c)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    review = client.get(f"/rounds/{round_.id}/dispositions/release").get_data(as_text=True)
    assert "3 drafted dispositions will be released" in review and "2 authors told" in review
    response = post(client, f"/rounds/{round_.id}/dispositions/release", {"expected": "3"})
    assert response.status_code == 302
    fresh(session)
    assert all(d.released_at for d in session.scalars(select(Disposition)))
    assert len(smtp.to("governments@example.org")) == 1
    assert len(smtp.to("industry@example.org")) == 1
    page = sign_in(app, login_as, session, people, "participant:governments").get(f"/rounds/{round_.id}/dispositions")
    assert "Noted with thanks." in page.get_data(as_text=True)
    # Nothing left to release: a clear refusal, nothing changes.
    with pytest.raises(Conflict):
        services.release_dispositions(session, actor=people["organiser"], round_=round_)


def test_participants_cannot_release(app, session, people, login_as, closed):
    round_, comment = closed
    record(session, people, comment)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert post(client, f"/rounds/{round_.id}/dispositions/release").status_code == 403
    fresh(session)
    assert session.scalar(select(Disposition.released_at)) is None


def test_publication_releases_drafted_dispositions(session, people, closed):
    round_, comment = closed
    record(session, people, comment)
    round_services.request_publication(session, actor=people["organiser"], round_=round_)
    round_services.publish(session, actor=people["moderator"], round_=round_)
    assert session.scalar(select(Disposition.released_at)) is not None


def test_author_and_their_focal_point_acknowledge_others_do_not(session, people, closed):
    round_, comment = closed
    disposition = record(session, people, comment)
    with pytest.raises(NotAllowed):  # not released yet
        services.acknowledge(
            session, actor=people["participant:governments"], disposition=disposition,
            kind=AcknowledgementKind.SATISFIED, reason="",
        )  # fmt: skip
    services.release_dispositions(session, actor=people["organiser"], round_=round_)
    ack = services.acknowledge(
        session, actor=people["participant:governments"], disposition=disposition,
        kind=AcknowledgementKind.SATISFIED, reason="",
    )  # fmt: skip
    assert ack.kind is AcknowledgementKind.SATISFIED
    with pytest.raises(Invalid):  # an objection says why
        services.acknowledge(
            session, actor=people["focal_point"], disposition=disposition, kind=AcknowledgementKind.OBJECTION, reason=""
        )
    services.acknowledge(
        session, actor=people["focal_point"], disposition=disposition,
        kind=AcknowledgementKind.OBJECTION, reason="Still harmful",
    )  # fmt: skip
    (only,) = session.scalars(select(Acknowledgement)).all()
    assert (only.kind, only.reason) == (AcknowledgementKind.OBJECTION, "Still harmful")
    for viewer in ("participant:industry", "organiser", "moderator"):
        with pytest.raises(NotAllowed):
            services.acknowledge(
                session, actor=people[viewer], disposition=disposition, kind=AcknowledgementKind.SATISFIED, reason=""
            )


def test_objections_are_listed_per_clause_and_filtered(app, session, people, login_as, closed):
    round_, comment = closed
    satisfied = make_comment(session, round_, people["participant:governments"], "k2")
    d1, d2 = record(session, people, comment), record(session, people, satisfied)
    services.release_dispositions(session, actor=people["organiser"], round_=round_)
    author = people["participant:governments"]
    services.acknowledge(session, actor=author, disposition=d1, kind=AcknowledgementKind.OBJECTION, reason="No")
    services.acknowledge(session, actor=author, disposition=d2, kind=AcknowledgementKind.SATISFIED, reason="")
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    page = client.get(f"/rounds/{round_.id}/dispositions").get_data(as_text=True)
    assert "1 Heading 1</a>: 1 objection maintained" in page
    assert "2 of 2 answered" in page
    only = client.get(f"/rounds/{round_.id}/dispositions?status=objection").get_data(as_text=True)
    assert f'id="comment-{comment.id}"' in only and f'id="comment-{satisfied.id}"' not in only


def test_acknowledging_through_the_page(app, session, people, login_as, closed):
    round_, comment = closed
    disposition = record(session, people, comment)
    services.release_dispositions(session, actor=people["organiser"], round_=round_)
    session.commit()
    url = f"/dispositions/{disposition.id}/acknowledge"
    body = {f"a{disposition.id}-kind": "objection", f"a{disposition.id}-reason": "Not enough"}
    other = sign_in(app, login_as, session, people, "participant:industry")
    assert post(other, url, body).status_code == 404  # another group does not see it before publication
    author = sign_in(app, login_as, session, people, "participant:governments")
    assert post(author, url, body).status_code == 302
    fresh(session)
    assert session.scalar(select(Acknowledgement.reason)) == "Not enough"


def test_recording_through_the_page(app, session, people, login_as, closed):
    round_, comment = closed
    body = {
        f"c{comment.id}-kind": "partially_accepted",
        f"c{comment.id}-observation": "In part",
        f"c{comment.id}-answer_clause": "0",
    }
    url = f"/comments/{comment.id}/disposition"
    assert post(sign_in(app, login_as, session, people, "participant:governments"), url, body).status_code == 403
    assert post(sign_in(app, login_as, session, people, "organiser"), url, body).status_code == 302
    fresh(session)
    assert session.scalar(select(Disposition.kind)) is DispositionKind.PARTIALLY_ACCEPTED


def test_release_notice_counts_the_authors_comments_and_can_be_switched_off(session, people, smtp, closed):
    from consult.digests import preferences

    round_, comment = closed
    second = make_comment(session, round_, people["participant:governments"], "k2")
    switched_off = make_comment(session, round_, people["participant:industry"], "k3")
    preferences.preference_for(session, people["participant:industry"]).disposition_released = False
    for c in (comment, second, switched_off):
        record(session, people, c)
    session.commit()
    services.release_dispositions(session, actor=people["organiser"], round_=round_)
    session.commit()
    (message,) = smtp.to("governments@example.org")
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert "2 of your comments" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp.to("industry@example.org") == []
