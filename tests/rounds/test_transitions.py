"""Every round transition, allowed and refused (DESIGN.md: Round lifecycle).

A transition that succeeds writes exactly one audit entry with its actor and reason. A refusal
raises Conflict (wrong state), NotAllowed (wrong role) or Invalid (bad input) and changes
nothing, even when the caller commits afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.auth.models import Role
from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotAllowed
from consult.rounds import services
from consult.rounds.models import Phase, Preset, Round, RoundStatus, RoundVisibility, Stage
from tests import factories
from tests.rounds.helpers import all_audit, audit_entries, row

DAY = timedelta(days=1)


def settings(**changes) -> services.RoundSettings:
    now = utcnow()
    values = {
        "title": "  Comments on the vulnerability disclosure norm  ",
        "description": "Tell us what you think.",
        "opens_at": now + DAY,
        "closes_at": now + 10 * DAY,
        "preset": Preset.SEALED,
        "requires_signoff": True,
        "premoderation": False,
        "results_public": True,
    }
    values.update(changes)
    return services.RoundSettings(**values)


def refused(session, exc_type, action, round_id: int | None = None, **kwargs):
    """`action(session, **kwargs)` raises `exc_type`; committing afterwards stores nothing."""
    before_round = row(session, Round, round_id) if round_id else None
    before_audit = all_audit(session)
    before_count = session.scalar(select(func.count(Round.id)))
    with pytest.raises(exc_type) as info:
        action(session, **kwargs)
    assert str(info.value), "a refusal says why"
    session.commit()  # even a careless caller that commits after the refusal stores nothing
    assert all_audit(session) == before_audit
    assert session.scalar(select(func.count(Round.id))) == before_count
    if round_id:
        assert row(session, Round, round_id) == before_round
    return info.value


def one_audit(session, action: str, round_id: int, actor, reason: str = ""):
    session.commit()
    entries = audit_entries(session, action, round_id)
    assert len(entries) == 1, f"{action}: {len(entries)} audit entries"
    entry = entries[0]
    assert (entry.actor_id, entry.subject_type, entry.reason) == (actor.id, "Round", reason)
    return entry


def status_of(session, round_id: int) -> RoundStatus:
    return row(session, Round, round_id)["status"]


# --- create and update settings ---------------------------------------------------------------


def test_organiser_creates_a_round(session, people):
    consultation = factories.make_consultation(session)
    version = factories.make_version(session, consultation)
    organiser = people["organiser"]
    round_ = services.create_round(
        session, actor=organiser, consultation=consultation, version=version, settings=settings()
    )
    entry = one_audit(session, "round.create", round_.id, organiser)
    stored = row(session, Round, round_.id)
    assert stored["status"] is RoundStatus.DRAFT
    assert stored["prepared_by_id"] == organiser.id
    assert stored["title"] == "Comments on the vulnerability disclosure norm" == entry.summary
    cells = session.scalar(select(func.count(RoundVisibility.id)).where(RoundVisibility.round_id == round_.id))
    assert cells == 25  # 5 groups x 5 groups


@pytest.mark.parametrize("who", ["moderator", "participant:governments", "focal_point", "admin"])
def test_only_organisers_create_rounds(session, people, who):
    consultation = factories.make_consultation(session)
    version = factories.make_version(session, consultation)
    session.commit()
    refused(
        session,
        NotAllowed,
        services.create_round,
        actor=people[who],
        consultation=consultation,
        version=version,
        settings=settings(),
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "   "},
        {"closes_at": utcnow() + DAY},  # equal to opens_at (set below)
        {"closes_at": utcnow()},  # before opens_at
        {"preset": Preset.CUSTOM, "custom_rule": None},
    ],
    ids=["blank-title", "closes-when-opens", "closes-before-opens", "custom-without-rule"],
)
def test_create_refuses_bad_settings(session, people, bad):
    consultation = factories.make_consultation(session)
    version = factories.make_version(session, consultation)
    session.commit()
    values = settings(**bad)
    if "closes_at" in bad and bad["closes_at"] > utcnow():
        values.opens_at = values.closes_at
    refused(
        session,
        Invalid,
        services.create_round,
        actor=people["organiser"],
        consultation=consultation,
        version=version,
        settings=values,
    )


def test_create_refuses_a_version_of_another_consultation(session, people):
    consultation = factories.make_consultation(session)
    other_version = factories.make_version(session, factories.make_consultation(session))
    session.commit()
    error = refused(
        session,
        Invalid,
        services.create_round,
        actor=people["organiser"],
        consultation=consultation,
        version=other_version,
        settings=settings(),
    )
    assert error.field == "version"


def test_settings_change_while_draft(session, people):
    round_ = factories.make_round(session, Phase.DRAFT, prepared_by=people["organiser"])
    session.commit()
    services.update_settings(
        session,
        actor=people["organiser"],
        round_=round_,
        settings=settings(title="New title", preset=Preset.OPEN_DIALOGUE),
    )
    one_audit(session, "round.update", round_.id, people["organiser"])
    stored = row(session, Round, round_.id)
    assert (stored["title"], stored["preset"]) == ("New title", Preset.OPEN_DIALOGUE)
    stages = set(session.scalars(select(RoundVisibility.stage).where(RoundVisibility.round_id == round_.id)))
    assert stages == {Stage.WHILE_OPEN}


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.DRAFT])
def test_settings_are_frozen_after_draft(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    refused(
        session,
        Conflict,
        services.update_settings,
        round_.id,
        actor=people["organiser"],
        round_=round_,
        settings=settings(),
    )


def test_settings_refusals(session, people):
    round_ = factories.make_round(session, Phase.DRAFT)
    session.commit()
    refused(
        session,
        NotAllowed,
        services.update_settings,
        round_.id,
        actor=people["moderator"],
        round_=round_,
        settings=settings(),
    )
    refused(
        session,
        Invalid,
        services.update_settings,
        round_.id,
        actor=people["organiser"],
        round_=round_,
        settings=settings(title=""),
    )


# --- submit, approve, send back -------------------------------------------------------------------


def test_submit_for_approval(session, people):
    round_ = factories.make_round(session, Phase.DRAFT)
    round_.sent_back_reason = "Fix the dates"
    session.commit()
    services.submit_for_approval(session, actor=people["organiser"], round_=round_)
    one_audit(session, "round.submit", round_.id, people["organiser"])
    stored = row(session, Round, round_.id)
    assert (stored["status"], stored["sent_back_reason"]) == (RoundStatus.PENDING_APPROVAL, "")


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.DRAFT])
def test_submit_only_from_draft(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    refused(session, Conflict, services.submit_for_approval, round_.id, actor=people["organiser"], round_=round_)


def test_submit_refusals(session, people):
    round_ = factories.make_round(session, Phase.DRAFT)
    session.commit()
    for who in ("moderator", "participant:industry", "admin"):
        refused(session, NotAllowed, services.submit_for_approval, round_.id, actor=people[who], round_=round_)
    late = round_.closes_at + timedelta(microseconds=1)
    error = refused(
        session, Invalid, services.submit_for_approval, round_.id, actor=people["organiser"], round_=round_, now=late
    )
    assert error.field == "closes_at"


def test_approve(session, people):
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL, prepared_by=people["organiser"])
    session.commit()
    services.approve_round(session, actor=people["moderator"], round_=round_, reason="Looks good")
    one_audit(session, "round.approve", round_.id, people["moderator"], "Looks good")
    stored = row(session, Round, round_.id)
    assert (stored["status"], stored["approved_by_id"]) == (RoundStatus.APPROVED, people["moderator"].id)
    assert Round(**{k: v for k, v in stored.items()}).phase(utcnow()) is Phase.SCHEDULED


def test_four_eyes_the_preparer_does_not_approve(session, people, moderator2):
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL, prepared_by=people["moderator"])
    session.commit()
    refused(session, NotAllowed, services.approve_round, round_.id, actor=people["moderator"], round_=round_)
    refused(session, NotAllowed, services.send_back, round_.id, actor=people["moderator"], round_=round_, reason="mine")
    services.approve_round(session, actor=moderator2, round_=round_)
    one_audit(session, "round.approve", round_.id, moderator2)


@pytest.mark.parametrize("who", ["organiser", "participant:governments", "focal_point", "admin"])
def test_only_moderators_approve(session, people, who):
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL)
    session.commit()
    refused(session, NotAllowed, services.approve_round, round_.id, actor=people[who], round_=round_)
    refused(session, NotAllowed, services.send_back, round_.id, actor=people[who], round_=round_, reason="no")


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.PENDING_APPROVAL])
def test_approve_and_send_back_only_when_pending(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    refused(session, Conflict, services.approve_round, round_.id, actor=people["moderator"], round_=round_)
    refused(session, Conflict, services.send_back, round_.id, actor=people["moderator"], round_=round_, reason="x")


def test_approve_refuses_a_round_whose_deadline_passed(session, people):
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL)
    session.commit()
    refused(
        session,
        Invalid,
        services.approve_round,
        round_.id,
        actor=people["moderator"],
        round_=round_,
        now=round_.closes_at,
    )


def test_send_back_needs_a_reason(session, people):
    round_ = factories.make_round(session, Phase.PENDING_APPROVAL)
    session.commit()
    for reason in ("", "   \n"):
        error = refused(
            session, Invalid, services.send_back, round_.id, actor=people["moderator"], round_=round_, reason=reason
        )
        assert error.field == "reason"
    services.send_back(session, actor=people["moderator"], round_=round_, reason="  Dates overlap the summit ")
    one_audit(session, "round.send_back", round_.id, people["moderator"], "Dates overlap the summit")
    stored = row(session, Round, round_.id)
    assert (stored["status"], stored["sent_back_reason"]) == (RoundStatus.DRAFT, "Dates overlap the summit")


# --- close early, extend, reopen ------------------------------------------------------------------


@pytest.mark.parametrize("phase", [Phase.OPEN, Phase.SCHEDULED])
def test_close_early(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    before = round_.closes_at
    now = utcnow()
    services.close_early(session, actor=people["moderator"], round_=round_, reason="Conference moved", now=now)
    entry = one_audit(session, "round.close_early", round_.id, people["moderator"], "Conference moved")
    assert entry.details["closes_at_before"] == before.isoformat()
    stored = row(session, Round, round_.id)
    assert stored["closes_at"] == now and stored["opens_at"] <= now
    assert round_.phase(now) is Phase.CLOSED


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.PENDING_APPROVAL, Phase.CLOSED, Phase.PUBLISHED, Phase.ARCHIVED])
def test_moderator_steps_only_in_their_phases(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    moderator = people["moderator"]
    later = round_.closes_at + 30 * DAY
    refused(session, Conflict, services.close_early, round_.id, actor=moderator, round_=round_, reason="r")
    refused(session, Conflict, services.extend, round_.id, actor=moderator, round_=round_, closes_at=later, reason="r")
    if phase is not Phase.CLOSED:
        refused(
            session, Conflict, services.reopen, round_.id, actor=moderator, round_=round_, closes_at=later, reason="r"
        )


def test_reopen_refused_while_open(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    refused(
        session,
        Conflict,
        services.reopen,
        round_.id,
        actor=people["moderator"],
        round_=round_,
        closes_at=utcnow() + 30 * DAY,
        reason="r",
    )


@pytest.mark.parametrize("who", ["organiser", "participant:civil-society", "focal_point", "admin"])
def test_only_moderators_close_extend_reopen(session, people, who):
    open_round = factories.make_round(session, Phase.OPEN)
    closed_round = factories.make_round(session, Phase.CLOSED)
    session.commit()
    later = utcnow() + 30 * DAY
    actor = people[who]
    refused(session, NotAllowed, services.close_early, open_round.id, actor=actor, round_=open_round, reason="r")
    refused(
        session,
        NotAllowed,
        services.extend,
        open_round.id,
        actor=actor,
        round_=open_round,
        closes_at=later,
        reason="r",
    )
    refused(
        session,
        NotAllowed,
        services.reopen,
        closed_round.id,
        actor=actor,
        round_=closed_round,
        closes_at=later,
        reason="r",
    )


def test_close_extend_reopen_need_a_reason(session, people):
    open_round = factories.make_round(session, Phase.OPEN)
    closed_round = factories.make_round(session, Phase.CLOSED)
    session.commit()
    later = utcnow() + 30 * DAY
    moderator = people["moderator"]
    for reason in ("", "  "):
        refused(
            session, Invalid, services.close_early, open_round.id, actor=moderator, round_=open_round, reason=reason
        )
        refused(
            session,
            Invalid,
            services.extend,
            open_round.id,
            actor=moderator,
            round_=open_round,
            closes_at=later,
            reason=reason,
        )
        refused(
            session,
            Invalid,
            services.reopen,
            closed_round.id,
            actor=moderator,
            round_=closed_round,
            closes_at=later,
            reason=reason,
        )


def test_extend_moves_the_deadline_later(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    moderator = people["moderator"]
    for earlier in (round_.closes_at, round_.closes_at - timedelta(microseconds=1), utcnow() + DAY):
        error = refused(
            session, Invalid, services.extend, round_.id, actor=moderator, round_=round_, closes_at=earlier, reason="r"
        )
        assert error.field == "closes_at"
    before = round_.closes_at
    later = before + 7 * DAY
    services.extend(session, actor=moderator, round_=round_, closes_at=later, reason="More time asked by IGOs")
    entry = one_audit(session, "round.extend", round_.id, moderator, "More time asked by IGOs")
    assert entry.details == {"closes_at_before": before.isoformat(), "closes_at": later.isoformat()}
    assert row(session, Round, round_.id)["closes_at"] == later


def test_reopen_needs_a_future_deadline(session, people):
    round_ = factories.make_round(session, Phase.CLOSED)
    round_.publication_requested_at = utcnow()
    round_.publication_requested_by_id = people["organiser"].id
    session.commit()
    moderator = people["moderator"]
    now = utcnow()
    for deadline in (now, now - DAY):
        error = refused(
            session,
            Invalid,
            services.reopen,
            round_.id,
            actor=moderator,
            round_=round_,
            closes_at=deadline,
            reason="r",
            now=now,
        )
        assert error.field == "closes_at"
    services.reopen(session, actor=moderator, round_=round_, closes_at=now + DAY, reason="Late input", now=now)
    one_audit(session, "round.reopen", round_.id, moderator, "Late input")
    stored = row(session, Round, round_.id)
    assert stored["closes_at"] == now + DAY
    assert stored["publication_requested_at"] is None and stored["publication_requested_by_id"] is None
    assert round_.phase(now) is Phase.OPEN


# --- publication and archive ------------------------------------------------------------------------


def test_request_publication_then_publish(session, people):
    round_ = factories.make_round(session, Phase.CLOSED)
    session.commit()
    now = utcnow()
    services.request_publication(session, actor=people["organiser"], round_=round_, now=now)
    one_audit(session, "round.request_publication", round_.id, people["organiser"])
    stored = row(session, Round, round_.id)
    assert (stored["publication_requested_at"], stored["publication_requested_by_id"]) == (now, people["organiser"].id)
    refused(session, Conflict, services.request_publication, round_.id, actor=people["organiser"], round_=round_)

    services.publish(session, actor=people["moderator"], round_=round_, reason="Ready", now=now)
    one_audit(session, "round.publish", round_.id, people["moderator"], "Ready")
    stored = row(session, Round, round_.id)
    assert (stored["status"], stored["published_at"]) == (RoundStatus.PUBLISHED, now)


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.CLOSED])
def test_publication_steps_only_when_closed(session, people, phase):
    round_ = factories.make_round(session, phase)
    round_.publication_requested_at = utcnow()
    round_.publication_requested_by_id = people["organiser"].id
    session.commit()
    refused(session, Conflict, services.request_publication, round_.id, actor=people["organiser"], round_=round_)
    refused(session, Conflict, services.publish, round_.id, actor=people["moderator"], round_=round_)
    refused(
        session,
        Conflict,
        services.decline_publication,
        round_.id,
        actor=people["moderator"],
        round_=round_,
        reason="r",
    )


@pytest.mark.parametrize("who", ["moderator", "participant:igo", "focal_point", "admin"])
def test_only_organisers_request_publication_and_archive(session, people, who):
    closed = factories.make_round(session, Phase.CLOSED)
    published = factories.make_round(session, Phase.PUBLISHED)
    session.commit()
    refused(session, NotAllowed, services.request_publication, closed.id, actor=people[who], round_=closed)
    refused(session, NotAllowed, services.archive, published.id, actor=people[who], round_=published)


def test_publish_needs_a_request(session, people):
    round_ = factories.make_round(session, Phase.CLOSED)
    session.commit()
    refused(session, Conflict, services.publish, round_.id, actor=people["moderator"], round_=round_)
    refused(
        session,
        Conflict,
        services.decline_publication,
        round_.id,
        actor=people["moderator"],
        round_=round_,
        reason="r",
    )


def test_publish_four_eyes_and_roles(session, people, moderator2):
    round_ = factories.make_round(session, Phase.CLOSED, prepared_by=moderator2)
    # Whoever asked for publication does not approve it (an account that changed role, say).
    round_.publication_requested_at = utcnow()
    round_.publication_requested_by_id = people["moderator"].id
    session.commit()
    for who in (people["moderator"], moderator2, people["organiser"], people["participant:industry"]):
        refused(session, NotAllowed, services.publish, round_.id, actor=who, round_=round_)
        refused(session, NotAllowed, services.decline_publication, round_.id, actor=who, round_=round_, reason="r")
    third = factories.make_user(session, Role.MODERATOR)
    session.commit()
    services.publish(session, actor=third, round_=round_)
    one_audit(session, "round.publish", round_.id, third)
    assert status_of(session, round_.id) is RoundStatus.PUBLISHED


def test_decline_publication(session, people):
    round_ = factories.make_round(session, Phase.CLOSED)
    round_.publication_requested_at = utcnow()
    round_.publication_requested_by_id = people["organiser"].id
    session.commit()
    for reason in ("", " "):
        refused(
            session,
            Invalid,
            services.decline_publication,
            round_.id,
            actor=people["moderator"],
            round_=round_,
            reason=reason,
        )
    services.decline_publication(session, actor=people["moderator"], round_=round_, reason="Dispositions missing")
    one_audit(session, "round.decline_publication", round_.id, people["moderator"], "Dispositions missing")
    stored = row(session, Round, round_.id)
    assert stored["status"] is RoundStatus.APPROVED
    assert stored["publication_requested_at"] is None and stored["publication_requested_by_id"] is None
    # The organisers may ask again.
    services.request_publication(session, actor=people["organiser"], round_=round_)
    session.commit()


def test_archive(session, people):
    round_ = factories.make_round(session, Phase.PUBLISHED)
    session.commit()
    services.archive(session, actor=people["organiser"], round_=round_)
    one_audit(session, "round.archive", round_.id, people["organiser"])
    assert status_of(session, round_.id) is RoundStatus.ARCHIVED
    refused(session, Conflict, services.archive, round_.id, actor=people["organiser"], round_=round_)


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.PENDING_APPROVAL, Phase.SCHEDULED, Phase.OPEN, Phase.CLOSED])
def test_archive_only_published(session, people, phase):
    round_ = factories.make_round(session, phase)
    session.commit()
    refused(session, Conflict, services.archive, round_.id, actor=people["organiser"], round_=round_)


def test_the_whole_lifecycle(session, people):
    """draft → pending_approval → scheduled → open → closed → published → archived, one audit
    entry per step, in order."""
    consultation = factories.make_consultation(session)
    version = factories.make_version(session, consultation)
    organiser, moderator = people["organiser"], people["moderator"]
    start = utcnow()
    values = settings(opens_at=start + DAY, closes_at=start + 3 * DAY)
    round_ = services.create_round(
        session, actor=organiser, consultation=consultation, version=version, settings=values
    )
    session.commit()
    services.submit_for_approval(session, actor=organiser, round_=round_, now=start)
    services.approve_round(session, actor=moderator, round_=round_, now=start)
    session.commit()
    assert round_.phase(start) is Phase.SCHEDULED
    assert round_.phase(start + 2 * DAY) is Phase.OPEN
    closing = start + 3 * DAY
    assert round_.phase(closing) is Phase.CLOSED
    services.request_publication(session, actor=organiser, round_=round_, now=closing)
    services.publish(session, actor=moderator, round_=round_, now=closing)
    services.archive(session, actor=organiser, round_=round_, now=closing)
    session.commit()
    actions = [action for _id, action in all_audit(session)]
    assert actions == [
        "round.create",
        "round.submit",
        "round.approve",
        "round.request_publication",
        "round.publish",
        "round.archive",
    ]
    assert status_of(session, round_.id) is RoundStatus.ARCHIVED
