"""Round transitions: prepare, submit, approve or send back, close early, extend, reopen,
request and approve publication, archive.

Each transition locks the round row, checks the actor and the round's phase at `now`, changes
state and writes an audit entry with the reason. Two moderators acting at once: the second
finds the round already moved and gets a Conflict (HTTP 409).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consult import audit, policy, signals
from consult.auth.models import StakeholderGroup, User
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.drafts.models import Draft, DraftVersion
from consult.errors import Conflict, Invalid, NotFound
from consult.policy import Permission
from consult.rounds.labels import PHASE_LABELS
from consult.rounds.models import PRESETS, Phase, Preset, Round, RoundStatus, RoundVisibility, Stage


@dataclass
class RoundSettings:
    """What an organiser sets up for a round."""

    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    preset: Preset
    requires_signoff: bool
    premoderation: bool
    results_public: bool
    # (viewer group id, author group id) -> stage; only for Preset.CUSTOM
    custom_rule: dict[tuple[int, int], Stage] | None = None


# What the round-row lock of comment writes costs in this process (the locking statement,
# waiting included): `make bench` reads it at /_bench/locks under the deadline-hour load.
COMMENT_LOCKS = {"writes": 0, "seconds": 0.0}


def lock_round(session: Session, round_id: int, *, for_comments: bool = False) -> Round:
    """The round row read afresh and locked for this transaction (PostgreSQL; SQLite's writes
    are serial). Transitions take FOR UPDATE. Comment writers (`for_comments`) take FOR NO KEY
    UPDATE, not FOR SHARE: writing a comment moves the round's revision (a trigger, migration
    0007), and two writers holding a share lock would deadlock upgrading it; a close waits for
    the writers that came first either way, and so does a digest's horizon
    (`digests.cursors.comment_horizon`). Comment writers lock the round before the comment row."""
    stmt = select(Round).where(Round.id == round_id).with_for_update(key_share=for_comments)
    started = time.perf_counter()
    found = session.scalar(stmt.execution_options(populate_existing=True))
    if for_comments:
        COMMENT_LOCKS["writes"] += 1
        COMMENT_LOCKS["seconds"] += time.perf_counter() - started
    if found is None:
        raise NotFound(_("This round does not exist."))
    return found


def _expect(round_: Round, now: datetime, *phases: Phase) -> Phase:
    phase = round_.phase(now)
    if phase not in phases:
        raise Conflict(
            _(
                "Nothing was changed: this round is now %(phase)s, so this step is not available. "
                "Reload the page to see its current state.",
                phase=PHASE_LABELS[phase],
            )
        )
    return phase


def _check_settings(settings: RoundSettings) -> None:
    if not settings.title.strip():
        raise Invalid(_("Give the round a title."), "title")
    if settings.closes_at <= settings.opens_at:
        raise Invalid(_("The round must close after it opens."), "closes_at")
    if settings.preset is Preset.CUSTOM and not settings.custom_rule:
        raise Invalid(_("Set the custom visibility rule, or choose a preset."), "preset")


def rule_cells(session: Session, settings: RoundSettings) -> dict[tuple[int, int], Stage]:
    """Every (viewer group, author group) cell of the rule that `settings` describe."""
    group_ids = list(session.scalars(select(StakeholderGroup.id).order_by(StakeholderGroup.position)))
    if settings.preset is Preset.CUSTOM:
        rule = settings.custom_rule or {}
        return {(v, a): rule.get((v, a), Stage.NEVER) for v in group_ids for a in group_ids}
    own, other = PRESETS[settings.preset]
    return {(v, a): own if v == a else other for v in group_ids for a in group_ids}


def write_rule(session: Session, round_: Round, cells: dict[tuple[int, int], Stage]) -> None:
    session.execute(delete(RoundVisibility).where(RoundVisibility.round_id == round_.id))
    session.add_all(
        RoundVisibility(round_id=round_.id, viewer_group_id=v, author_group_id=a, stage=stage)
        for (v, a), stage in cells.items()
    )


def rule_of(session: Session, round_: Round) -> dict[tuple[int, int], Stage]:
    rows = session.scalars(select(RoundVisibility).where(RoundVisibility.round_id == round_.id))
    return {(r.viewer_group_id, r.author_group_id): r.stage for r in rows}


def create_round(
    session: Session,
    *,
    actor: User,
    consultation: Consultation,
    version: DraftVersion,
    settings: RoundSettings,
) -> Round:
    """Prepare a round on one version of a draft of this consultation (state: draft)."""
    policy.require(actor, Permission.ROUND_PREPARE)
    draft = session.get(Draft, version.draft_id)
    if draft is None or draft.consultation_id != consultation.id:
        raise Invalid(_("Choose a version of a draft of this consultation."), "version")
    _check_settings(settings)
    round_ = Round(
        consultation_id=consultation.id,
        version_id=version.id,
        prepared_by_id=actor.id,
        status=RoundStatus.DRAFT,
        **settings_fields(settings),
    )
    session.add(round_)
    session.flush()
    write_rule(session, round_, rule_cells(session, settings))
    audit.record(session, actor=actor, action="round.create", subject=round_, summary=round_.title)
    return round_


def settings_fields(settings: RoundSettings) -> dict:
    return {
        "title": settings.title.strip(),
        "description": settings.description.strip(),
        "opens_at": settings.opens_at,
        "closes_at": settings.closes_at,
        "preset": settings.preset,
        "requires_signoff": settings.requires_signoff,
        "premoderation": settings.premoderation,
        "results_public": settings.results_public,
    }


def update_settings(session: Session, *, actor: User, round_: Round, settings: RoundSettings) -> None:
    """Change a round's settings while it is still a draft (before it goes to approval)."""
    policy.require(actor, Permission.ROUND_PREPARE)
    round_ = lock_round(session, round_.id)
    _expect(round_, utcnow(), Phase.DRAFT)
    _check_settings(settings)
    for name, value in settings_fields(settings).items():
        setattr(round_, name, value)
    write_rule(session, round_, rule_cells(session, settings))
    audit.record(session, actor=actor, action="round.update", subject=round_, summary=round_.title)


def submit_for_approval(session: Session, *, actor: User, round_: Round, now: datetime | None = None) -> Round:
    """Send a prepared round to the moderators."""
    policy.require(actor, Permission.ROUND_PREPARE)
    round_ = lock_round(session, round_.id)
    now = now or utcnow()  # read after the lock: a comment that held the round before it is older
    _expect(round_, now, Phase.DRAFT)
    if round_.closes_at <= now:
        raise Invalid(_("The closing date has passed; change the dates before submitting."), "closes_at")
    round_.status = RoundStatus.PENDING_APPROVAL
    round_.sent_back_reason = ""
    event = audit.record(session, actor=actor, action="round.submit", subject=round_, summary=round_.title)
    session.flush()  # the event's id names the notices
    signals.round_submitted.send(None, session=session, round_=round_, actor=actor, event=event)
    return round_


def approve_round(
    session: Session, *, actor: User, round_: Round, reason: str = "", now: datetime | None = None
) -> Round:
    """A moderator (not the preparer) approves: the round opens and closes with the clock."""
    round_ = lock_round(session, round_.id)
    policy.require(actor, Permission.ROUND_APPROVE, round_)
    now = now or utcnow()
    _expect(round_, now, Phase.PENDING_APPROVAL)
    if round_.closes_at <= now:
        raise Invalid(_("The closing date has passed; send the round back so that its dates are changed."))
    round_.status = RoundStatus.APPROVED
    round_.approved_by_id = actor.id
    event = audit.record(
        session, actor=actor, action="round.approve", subject=round_, summary=round_.title, reason=reason
    )
    session.flush()
    signals.round_approved.send(None, session=session, round_=round_, now=now, event=event)
    return round_


def send_back(session: Session, *, actor: User, round_: Round, reason: str, now: datetime | None = None) -> Round:
    """A moderator returns a round to its preparer, saying why."""
    round_ = lock_round(session, round_.id)
    policy.require(actor, Permission.ROUND_APPROVE, round_)
    _expect(round_, now or utcnow(), Phase.PENDING_APPROVAL)
    if not reason.strip():
        raise Invalid(_("Say why the round goes back, so the organiser knows what to change."), "reason")
    round_.status = RoundStatus.DRAFT
    round_.sent_back_reason = reason.strip()
    event = audit.record(session, actor=actor, action="round.send_back", subject=round_, reason=reason.strip())
    session.flush()
    signals.round_sent_back.send(None, session=session, round_=round_, actor=actor, event=event)
    return round_


def _need_reason(reason: str) -> str:
    if not reason.strip():
        raise Invalid(_("Give a reason; it is kept in the audit log."), "reason")
    return reason.strip()


def close_early(session: Session, *, actor: User, round_: Round, reason: str, now: datetime | None = None) -> Round:
    """A moderator closes an open (or scheduled) round now."""
    policy.require(actor, Permission.ROUND_MODERATE)
    round_ = lock_round(session, round_.id)
    now = now or utcnow()  # read after the lock: a comment that held the round before it is older
    _expect(round_, now, Phase.OPEN, Phase.SCHEDULED)
    reason = _need_reason(reason)
    before = round_.closes_at
    round_.closes_at = now
    round_.opens_at = min(round_.opens_at, now)
    audit.record(
        session,
        actor=actor,
        action="round.close_early",
        subject=round_,
        reason=reason,
        closes_at_before=before,
    )
    return round_


def extend(
    session: Session,
    *,
    actor: User,
    round_: Round,
    closes_at: datetime,
    reason: str,
    now: datetime | None = None,
) -> Round:
    """A moderator moves an open or scheduled round's deadline later."""
    return _move_deadline(session, actor, round_, closes_at, reason, now, reopen=False)


def reopen(
    session: Session,
    *,
    actor: User,
    round_: Round,
    closes_at: datetime,
    reason: str,
    now: datetime | None = None,
) -> Round:
    """A moderator reopens a closed (unpublished) round until a new deadline."""
    return _move_deadline(session, actor, round_, closes_at, reason, now, reopen=True)


def _move_deadline(
    session: Session,
    actor: User,
    round_: Round,
    closes_at: datetime,
    reason: str,
    now: datetime | None,
    *,
    reopen: bool,
) -> Round:
    """Extend (open or scheduled: a later deadline) or reopen (closed: a future deadline)."""
    policy.require(actor, Permission.ROUND_MODERATE)
    round_ = lock_round(session, round_.id)
    now = now or utcnow()  # read after the lock: a comment that held the round before it is older
    _expect(round_, now, *((Phase.CLOSED,) if reopen else (Phase.OPEN, Phase.SCHEDULED)))
    reason = _need_reason(reason)
    if reopen and closes_at <= now:
        raise Invalid(_("The new deadline must be in the future."), "closes_at")
    if not reopen and closes_at <= round_.closes_at:
        raise Invalid(_("An extension must move the deadline later than it is now."), "closes_at")
    before = round_.closes_at
    round_.closes_at = closes_at
    if reopen:
        round_.publication_requested_at = None
        round_.publication_requested_by_id = None
    audit.record(
        session,
        actor=actor,
        action="round.reopen" if reopen else "round.extend",
        subject=round_,
        reason=reason,
        closes_at_before=before,
        closes_at=closes_at,
    )
    return round_


def request_publication(session: Session, *, actor: User, round_: Round, now: datetime | None = None) -> Round:
    """The organiser asks the moderators to publish a closed round's results."""
    policy.require(actor, Permission.ROUND_REQUEST_PUBLICATION)
    round_ = lock_round(session, round_.id)
    now = now or utcnow()  # read after the lock: a comment that held the round before it is older
    _expect(round_, now, Phase.CLOSED)
    if round_.publication_requested_at is not None:
        raise Conflict(_("Publication has already been requested for this round."))
    round_.publication_requested_at = now
    round_.publication_requested_by_id = actor.id
    event = audit.record(session, actor=actor, action="round.request_publication", subject=round_)
    session.flush()
    signals.publication_requested.send(None, session=session, round_=round_, actor=actor, event=event)
    return round_


def publish(session: Session, *, actor: User, round_: Round, reason: str = "", now: datetime | None = None) -> Round:
    """A moderator approves publication of a closed round's results."""
    round_ = lock_round(session, round_.id)
    policy.require(actor, Permission.ROUND_PUBLISH, round_)
    now = now or utcnow()
    _expect(round_, now, Phase.CLOSED)
    if round_.publication_requested_at is None:
        raise Conflict(_("The organisers have not asked for this round to be published yet."))
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = now
    audit.record(session, actor=actor, action="round.publish", subject=round_, reason=reason)
    # Dispositions drafted by then are released with the results (the dispositions room).
    signals.round_published.send(None, session=session, round_=round_, actor=actor, now=now)
    return round_


def decline_publication(
    session: Session, *, actor: User, round_: Round, reason: str, now: datetime | None = None
) -> Round:
    """A moderator sends a publication request back, saying why."""
    round_ = lock_round(session, round_.id)
    policy.require(actor, Permission.ROUND_PUBLISH, round_)
    _expect(round_, now or utcnow(), Phase.CLOSED)
    if round_.publication_requested_at is None:
        raise Conflict(_("There is no publication request for this round."))
    reason = _need_reason(reason)
    requested_by = round_.publication_requested_by_id
    round_.publication_requested_at = None
    round_.publication_requested_by_id = None
    event = audit.record(
        session,
        actor=actor,
        action="round.decline_publication",
        subject=round_,
        reason=reason,
        requested_by=requested_by,
    )
    session.flush()
    signals.publication_declined.send(None, session=session, round_=round_, actor=actor, event=event)
    return round_


def archive(session: Session, *, actor: User, round_: Round, now: datetime | None = None) -> Round:
    """The organiser archives a published round (it stays readable)."""
    policy.require(actor, Permission.ROUND_REQUEST_PUBLICATION)
    round_ = lock_round(session, round_.id)
    _expect(round_, now or utcnow(), Phase.PUBLISHED)
    round_.status = RoundStatus.ARCHIVED
    audit.record(session, actor=actor, action="round.archive", subject=round_)
    return round_
