"""The comment lifecycle (DESIGN.md): draft → (sign-off) → submitted → (pre-moderation) →
accepted | rejected; edit and withdraw while open; reports; hiding."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.comments import services
from consult.comments.models import Attribution, Comment, CommentReport, CommentStatus, CommentType
from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.moderation import services as moderation
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.rounds.helpers import all_audit, audit_entries, row

_nonce = itertools.count(1)


def data(body: str = "Clause 1 should say 'shall'.", clause: str | None = "k1", **changes) -> services.CommentInput:
    values = {
        "clause_key": clause,
        "type": CommentType.TECHNICAL,
        "body": body,
        "proposed_change": "Replace 'should' with 'shall'.",
        "attribution": Attribution.ORGANISATION,
    }
    values.update(changes)
    return services.CommentInput(**values)


def save(session, actor, round_, submit=True, **kwargs):
    comment, created = services.save_comment(
        session, actor=actor, round_=round_, data=data(**kwargs), nonce=f"n{next(_nonce)}", submit=submit
    )
    assert created
    session.commit()
    return comment


def refused(session, exc_type, action, comment_id: int | None = None, **kwargs):
    """The action raises `exc_type`; committing afterwards stores nothing."""
    before = row(session, Comment, comment_id) if comment_id else None
    before_audit = all_audit(session)
    before_counts = (
        session.scalar(select(func.count(Comment.id))),
        session.scalar(select(func.count(CommentReport.id))),
    )
    with pytest.raises(exc_type) as info:
        action(session, **kwargs)
    assert str(info.value)
    session.commit()
    assert all_audit(session) == before_audit
    assert (
        session.scalar(select(func.count(Comment.id))),
        session.scalar(select(func.count(CommentReport.id))),
    ) == before_counts
    if comment_id:
        assert row(session, Comment, comment_id) == before
    return info.value


def status(session, comment) -> CommentStatus:
    return row(session, Comment, comment.id)["status"]


def one_audit(session, action, comment, actor, reason=""):
    entries = audit_entries(session, action, comment.id)
    assert len(entries) == 1
    assert (entries[0].actor_id, entries[0].subject_type, entries[0].reason) == (actor.id, "Comment", reason)


# --- saving and submitting --------------------------------------------------------------------


def test_save_as_draft_and_submit_later(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    author = people["participant:industry"]
    comment = save(session, author, round_, submit=False, body="  A draft  ")
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["submitted_at"], stored["body"]) == (CommentStatus.DRAFT, None, "A draft")
    assert (stored["organisation_id"], stored["stakeholder_group_id"]) == (
        author.organisation_id,
        author.organisation.stakeholder_group_id,
    )
    assert (stored["clause_key"], stored["clause_position"]) == ("k1", 1)
    one_audit(session, "comment.save_draft", comment, author)

    now = utcnow()
    services.update_comment(session, actor=author, comment=comment, data=data(body="Final"), submit=True, now=now)
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["submitted_at"], stored["body"]) == (CommentStatus.ACCEPTED, now, "Final")


def test_general_comment(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    comment = save(session, people["participant:igo"], round_, clause=None)
    assert (row(session, Comment, comment.id)["clause_key"], comment.clause_position) == (None, 0)


@pytest.mark.parametrize(
    ("signoff", "premoderation", "author", "expected"),
    [
        (False, False, "participant:governments", CommentStatus.ACCEPTED),
        (False, True, "participant:governments", CommentStatus.AWAITING_MODERATION),
        (True, False, "participant:governments", CommentStatus.AWAITING_SIGNOFF),
        (True, True, "participant:governments", CommentStatus.AWAITING_SIGNOFF),
        # A focal point's own comment needs no sign-off.
        (True, False, "focal_point", CommentStatus.ACCEPTED),
        (True, True, "focal_point", CommentStatus.AWAITING_MODERATION),
        (False, False, "focal_point", CommentStatus.ACCEPTED),
    ],
)
def test_status_after_submit(session, people, signoff, premoderation, author, expected):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=signoff, premoderation=premoderation)
    session.commit()
    comment = save(session, people[author], round_)
    assert status(session, comment) is expected
    one_audit(session, "comment.submit", comment, people[author])


@pytest.mark.parametrize("who", ["moderator", "organiser", "admin"])
def test_only_people_of_an_organisation_comment(session, people, who):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    refused(
        session,
        NotAllowed,
        services.save_comment,
        actor=people[who],
        round_=round_,
        data=data(),
        nonce="x",
        submit=True,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": "   "}, "body"),
        ({"body": "x" * (services.MAX_BODY + 1)}, "body"),
        ({"proposed_change": "x" * (services.MAX_BODY + 1)}, "body"),
        ({"clause": "k99"}, "clause"),
    ],
)
def test_bad_input_is_refused(session, people, changes, field):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    error = refused(
        session,
        Invalid,
        services.save_comment,
        actor=people["participant:industry"],
        round_=round_,
        data=data(**changes),
        nonce="bad",
        submit=True,
    )
    assert error.field == field


def test_a_form_without_nonce_is_refused(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    for nonce in ("", "x" * 65):
        refused(
            session,
            Invalid,
            services.save_comment,
            actor=people["participant:industry"],
            round_=round_,
            data=data(),
            nonce=nonce,
            submit=True,
        )


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.PENDING_APPROVAL, Phase.SCHEDULED, Phase.CLOSED, Phase.PUBLISHED])
def test_comments_only_while_open(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    refused(
        session,
        services.RoundClosed,
        services.save_comment,
        actor=people["participant:industry"],
        round_=round_,
        data=data(),
        nonce="closed",
        submit=False,
    )


# --- sign-off -----------------------------------------------------------------------------------


def test_focal_point_signs_off(session, people):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    session.commit()
    author, focal = people["participant:governments"], people["focal_point"]
    comment = save(session, author, round_)
    moderation.sign_off(session, actor=focal, comment=comment, accept=True)
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["signed_off_by_id"]) == (CommentStatus.ACCEPTED, focal.id)
    one_audit(session, "comment.signoff", comment, focal)
    refused(session, Conflict, moderation.sign_off, comment.id, actor=focal, comment=comment, accept=True)


def test_signed_off_comment_goes_to_premoderation(session, people):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True, premoderation=True)
    session.commit()
    comment = save(session, people["participant:governments"], round_)
    moderation.sign_off(session, actor=people["focal_point"], comment=comment, accept=True)
    session.commit()
    assert status(session, comment) is CommentStatus.AWAITING_MODERATION


def test_focal_point_returns_with_a_reason(session, people):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    session.commit()
    author, focal = people["participant:governments"], people["focal_point"]
    comment = save(session, author, round_)
    for reason in ("", "  "):
        error = refused(
            session, Invalid, moderation.sign_off, comment.id, actor=focal, comment=comment, accept=False, reason=reason
        )
        assert error.field == "reason"
    moderation.sign_off(session, actor=focal, comment=comment, accept=False, reason=" Too harsh in tone ")
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["returned_reason"]) == (CommentStatus.DRAFT, "Too harsh in tone")
    one_audit(session, "comment.return", comment, focal, " Too harsh in tone ")

    # The author rewrites and submits again: back to the focal point, the note cleared.
    services.update_comment(session, actor=author, comment=comment, data=data(body="Softer"), submit=True)
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["returned_reason"]) == (CommentStatus.AWAITING_SIGNOFF, "")


def test_sign_off_only_by_the_focal_point_of_the_same_organisation(session, people, colleague, other_focal_point):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    session.commit()
    comment = save(session, people["participant:governments"], round_)
    for actor in (other_focal_point, colleague, people["moderator"], people["organiser"]):
        for accept in (True, False):
            refused(
                session,
                NotAllowed,
                moderation.sign_off,
                comment.id,
                actor=actor,
                comment=comment,
                accept=accept,
                reason="r",
            )


def test_focal_point_does_not_sign_off_their_own(session, people):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    session.commit()
    focal = people["focal_point"]
    # A comment of the focal point's that waits for sign-off (say, written before the role was given).
    comment = factories.make_comment(session, round_, focal, status=CommentStatus.AWAITING_SIGNOFF)
    session.commit()
    refused(session, NotAllowed, moderation.sign_off, comment.id, actor=focal, comment=comment, accept=True)


def test_sign_off_only_while_open(session, people):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    session.commit()
    comment = save(session, people["participant:governments"], round_)
    refused(
        session,
        services.RoundClosed,
        moderation.sign_off,
        comment.id,
        actor=people["focal_point"],
        comment=comment,
        accept=True,
        now=round_.closes_at,
    )


# --- moderation ---------------------------------------------------------------------------------


def test_moderator_accepts(session, people):
    round_ = factories.make_round(session, Phase.OPEN, premoderation=True)
    session.commit()
    comment = save(session, people["participant:industry"], round_)
    for who in ("organiser", "participant:governments", "focal_point", "admin"):
        refused(session, NotAllowed, moderation.moderate, comment.id, actor=people[who], comment=comment, accept=True)
    moderation.moderate(session, actor=people["moderator"], comment=comment, accept=True)
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["moderated_by_id"]) == (CommentStatus.ACCEPTED, people["moderator"].id)
    one_audit(session, "comment.accept", comment, people["moderator"])
    refused(
        session,
        Conflict,
        moderation.moderate,
        comment.id,
        actor=people["moderator"],
        comment=comment,
        accept=False,
        reason="late",
    )


def test_moderator_rejects_with_a_reason(session, people):
    round_ = factories.make_round(session, Phase.OPEN, premoderation=True)
    session.commit()
    comment = save(session, people["participant:industry"], round_)
    for reason in ("", "   "):
        error = refused(
            session,
            Invalid,
            moderation.moderate,
            comment.id,
            actor=people["moderator"],
            comment=comment,
            accept=False,
            reason=reason,
        )
        assert error.field == "reason"
    moderation.moderate(session, actor=people["moderator"], comment=comment, accept=False, reason="Off topic")
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["rejection_reason"]) == (CommentStatus.REJECTED, "Off topic")
    one_audit(session, "comment.reject", comment, people["moderator"], "Off topic")
    # A rejected comment cannot be withdrawn; its author may change it and submit it again
    # while the round is open (issue 11.9): it goes to moderation again, the reason cleared.
    author = people["participant:industry"]
    refused(session, Conflict, services.withdraw_comment, comment.id, actor=author, comment=comment)
    services.update_comment(session, actor=author, comment=comment, data=data("Better"), submit=True)
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["status"], stored["rejection_reason"], stored["body"]) == (
        CommentStatus.AWAITING_MODERATION,
        "",
        "Better",
    )


# --- edit and withdraw ------------------------------------------------------------------------------


def test_edit_only_by_the_author_while_open(session, people, colleague):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    author = people["participant:governments"]
    comment = save(session, author, round_)
    for actor in (colleague, people["focal_point"], people["moderator"], people["participant:industry"]):
        refused(
            session,
            NotAllowed,
            services.update_comment,
            comment.id,
            actor=actor,
            comment=comment,
            data=data(),
            submit=True,
        )
        refused(session, NotAllowed, services.withdraw_comment, comment.id, actor=actor, comment=comment)
    refused(
        session,
        services.RoundClosed,
        services.update_comment,
        comment.id,
        actor=author,
        comment=comment,
        data=data(body="late"),
        submit=True,
        now=round_.closes_at,
    )
    refused(
        session,
        services.RoundClosed,
        services.withdraw_comment,
        comment.id,
        actor=author,
        comment=comment,
        now=round_.closes_at + timedelta(seconds=1),
    )
    refused(
        session,
        Invalid,
        services.update_comment,
        comment.id,
        actor=author,
        comment=comment,
        data=data(body=" "),
        submit=True,
    )
    services.update_comment(session, actor=author, comment=comment, data=data(body="Edited", clause="k2"), submit=False)
    session.commit()
    stored = row(session, Comment, comment.id)
    assert (stored["body"], stored["clause_key"], stored["clause_position"], stored["status"]) == (
        "Edited",
        "k2",
        2,
        CommentStatus.ACCEPTED,
    )
    one_audit(session, "comment.edit", comment, author)


@pytest.mark.parametrize(
    ("signoff", "premoderation", "expected"),
    [
        (True, False, CommentStatus.AWAITING_SIGNOFF),
        (False, True, CommentStatus.AWAITING_MODERATION),
        (True, True, CommentStatus.AWAITING_SIGNOFF),
    ],
)
def test_editing_an_accepted_comment_goes_through_the_checks_again(session, people, signoff, premoderation, expected):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=signoff, premoderation=premoderation)
    session.commit()
    author = people["participant:governments"]
    comment = factories.make_comment(session, round_, author, status=CommentStatus.ACCEPTED)
    session.commit()
    # Saving "as a draft" does not take back a submitted comment: it is checked again.
    services.update_comment(session, actor=author, comment=comment, data=data(body="Changed"), submit=False)
    session.commit()
    assert status(session, comment) is expected


def test_withdraw(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    author = people["participant:industry"]
    comment = save(session, author, round_)
    services.withdraw_comment(session, actor=author, comment=comment)
    session.commit()
    assert status(session, comment) is CommentStatus.WITHDRAWN
    one_audit(session, "comment.withdraw", comment, author)
    refused(session, Conflict, services.withdraw_comment, comment.id, actor=author, comment=comment)
    refused(
        session, Conflict, services.update_comment, comment.id, actor=author, comment=comment, data=data(), submit=True
    )
    # Withdrawn comments are gone for everyone else, staff included.
    for who in ("participant:industry", "moderator", "organiser"):
        visible = services.can_see(session, people[who], comment.id)
        assert visible is (who == "participant:industry"), who


# --- reports and hiding --------------------------------------------------------------------------------


def test_report_a_visible_comment(session, people):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    session.commit()
    comment = save(session, people["participant:industry"], round_)
    reporter = people["participant:civil-society"]
    before = row(session, Comment, comment.id)
    for reason in ("", "  "):
        refused(session, Invalid, services.report, comment.id, actor=reporter, comment=comment, reason=reason)
    services.report(session, actor=reporter, comment=comment, reason="Personal attack")
    services.report(session, actor=people["participant:igo"], comment=comment, reason="Spam")
    session.commit()
    entries = audit_entries(session, "comment.report", comment.id)
    assert [(e.actor_id, e.reason) for e in entries] == [
        (reporter.id, "Personal attack"),
        (people["participant:igo"].id, "Spam"),
    ]
    # Reports never hide anything by themselves.
    assert row(session, Comment, comment.id) == before
    for who in ("participant:civil-society", "participant:igo", "participant:governments"):
        assert services.can_see(session, people[who], comment.id), who


def test_report_only_what_one_can_see(session, people):
    round_ = factories.make_round(session, Phase.OPEN)  # group dialogue: other groups see it after publication
    session.commit()
    comment = save(session, people["participant:industry"], round_)
    draft = save(session, people["participant:industry"], round_, submit=False)
    for target in (comment, draft):
        refused(
            session,
            NotFound,
            services.report,
            target.id,
            actor=people["participant:civil-society"],
            comment=target,
            reason="I should not know it exists",
        )
    refused(session, NotFound, services.report, draft.id, actor=people["moderator"], comment=draft, reason="a draft")


def test_hide_and_unhide(session, people, colleague):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    session.commit()
    author = people["participant:governments"]
    comment = save(session, author, round_)
    moderator = people["moderator"]
    for who in ("organiser", "participant:industry", "focal_point", "admin"):
        refused(session, NotAllowed, moderation.hide, comment.id, actor=people[who], comment=comment, reason="r")
    for reason in ("", "  "):
        refused(session, Invalid, moderation.hide, comment.id, actor=moderator, comment=comment, reason=reason)
    refused(session, Conflict, moderation.unhide, comment.id, actor=moderator, comment=comment, reason="not hidden")

    moderation.hide(session, actor=moderator, comment=comment, reason="Doxxing")
    session.commit()
    one_audit(session, "comment.hide", comment, moderator, "Doxxing")
    stored = row(session, Comment, comment.id)
    assert (stored["hidden_by_id"], stored["hidden_reason"], stored["status"]) == (
        moderator.id,
        "Doxxing",
        CommentStatus.ACCEPTED,
    )
    sees = {who: services.can_see(session, people[who], comment.id) for who in people.by_name}
    sees["colleague"] = services.can_see(session, colleague, comment.id)
    assert sees == {
        "participant:governments": True,  # the author
        "participant:industry": False,
        "participant:civil-society": False,
        "participant:academia-technical": False,
        "participant:igo": False,
        "focal_point": False,
        "colleague": False,
        "moderator": True,
        "organiser": True,
        "admin": False,  # administrators do not read consultations' input at all
    }
    refused(session, Conflict, moderation.hide, comment.id, actor=moderator, comment=comment, reason="again")

    for reason in ("", " "):
        refused(session, Invalid, moderation.unhide, comment.id, actor=moderator, comment=comment, reason=reason)
    refused(session, NotAllowed, moderation.unhide, comment.id, actor=people["organiser"], comment=comment, reason="r")
    moderation.unhide(session, actor=moderator, comment=comment, reason="Edited by the author")
    session.commit()
    one_audit(session, "comment.unhide", comment, moderator, "Edited by the author")
    assert row(session, Comment, comment.id)["hidden_at"] is None
    assert services.can_see(session, people["participant:industry"], comment.id)
