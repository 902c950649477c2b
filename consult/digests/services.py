"""Email transitions: preferences, unsubscribing, and the organisers' digests.

Services queue outbox rows in the caller's transaction (`mail.enqueue`) and never commit; the
rows are sent after the commit, each rendered for its recipient when it is sent.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consult import audit, mail, policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.digests.cursors import comment_horizon, stage_ranks
from consult.digests.models import Digest, DigestFrequency, EmailPreference, Notice
from consult.digests.notices import recipients, wanting
from consult.digests.preferences import SWITCHES, preference_for
from consult.errors import Invalid, NotFound
from consult.mail.models import OutboxKind, OutboxMessage, OutboxStatus
from consult.policy import Permission
from consult.rounds.models import Round

MAX_INTRO = 10_000


# --- Preferences ---------------------------------------------------------------------------


def update_preferences(
    session: Session, *, actor: User, frequency: DigestFrequency, switches: dict[Notice, bool]
) -> EmailPreference:
    """A person chooses their digest frequency and which notifications they get."""
    policy.require(actor, Permission.ACCOUNT_MANAGE)
    pref = preference_for(session, actor)
    pref.digest_frequency = frequency
    # Only the switches the form offered this person (`preferences.switches_for`): the others
    # keep their value.
    for notice in SWITCHES:
        if notice in switches:
            setattr(pref, notice.value, bool(switches[notice]))
    audit.record(
        session,
        actor=actor,
        action="email.preferences",
        subject=actor,
        frequency=frequency,
        on=[n.value for n in SWITCHES if pref.wants(n)],
    )
    return pref


def unsubscribe(session: Session, *, user_id: int, notice: str) -> User:
    """Switch off what an unsubscribe link names (its signed token stands for the person)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("This unsubscribe link is not valid."))
    pref = preference_for(session, user)
    if notice == "digest":
        pref.digest_frequency = DigestFrequency.NONE
    elif notice in {n.value for n in SWITCHES}:
        setattr(pref, notice, False)
    else:
        raise NotFound(_("This unsubscribe link is not valid."))
    audit.record(session, actor=user, action="email.unsubscribe", subject=user, summary=notice, via="link")
    return user


# --- Organiser digests ---------------------------------------------------------------------


def draft_digest(session: Session, consultation: Consultation, intro: str = "", now: datetime | None = None) -> Digest:
    """An unsaved digest covering what is new since this consultation's previous one."""
    now = now or utcnow()
    previous = session.scalar(
        select(Digest).where(Digest.consultation_id == consultation.id).order_by(Digest.id.desc()).limit(1)
    )
    round_ids = select(Round.id).where(Round.consultation_id == consultation.id)
    ranks = {str(r): rank for r, rank in stage_ranks(session, now).items() if r in set(session.scalars(round_ids))}
    return Digest(
        consultation_id=consultation.id,
        intro=intro.strip(),
        from_comment_key=previous.to_comment_key if previous else 0,
        to_comment_key=comment_horizon(session),
        since=previous.sent_at if previous else None,
        sent_at=now,
        stage_ranks=ranks,
    )


def send_digest(
    session: Session, *, actor: User, consultation: Consultation, intro: str, now: datetime | None = None
) -> Digest:
    """An organiser sends a digest for a consultation: one outbox row per recipient, each
    rendered with that recipient's visibility when it is sent."""
    policy.require(actor, Permission.DIGEST_SEND)
    if len(intro) > MAX_INTRO:
        raise Invalid(
            ngettext(
                "The introduction may have at most %(num)d character.",
                "The introduction may have at most %(num)d characters.",
                MAX_INTRO,
            ),
            "intro",
        )
    digest = draft_digest(session, consultation, intro, now)
    digest.created_by_id = actor.id
    session.add(digest)
    session.flush()
    users = recipients(session, Notice.ORGANISER_DIGEST)
    mail.enqueue(
        session,
        [
            {
                "dedupe_key": f"organiser_digest:d{digest.id}:u{user_id}",
                "kind": OutboxKind.DIGEST,
                "template": "organiser_digest",
                "user_id": user_id,
                "to_address": address,
                "digest_id": digest.id,
            }
            for user_id, address in users
        ],
    )
    audit.record(
        session, actor=actor, action="digest.send", subject=digest, summary=consultation.title, recipients=len(users)
    )
    return digest


def retry_failed(session: Session, *, actor: User, digest: Digest) -> int:
    """An organiser sends the digest's failed messages again."""
    policy.require(actor, Permission.DIGEST_SEND)
    failed = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.digest_id == digest.id, OutboxMessage.status == OutboxStatus.FAILED
            )
        )
    )
    if failed:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(failed))
            .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow(), last_error="")
        )
        mail.send_after_commit(session, failed)
    audit.record(session, actor=actor, action="digest.retry", subject=digest, count=len(failed))
    return len(failed)


def progress(session: Session, digest: Digest) -> dict[str, int]:
    """How many of the digest's messages are queued, sent, skipped and failed."""
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.digest_id == digest.id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    queued = counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0)
    result = {
        "queued": queued,
        "sent": counts.get(OutboxStatus.SENT, 0),
        "skipped": counts.get(OutboxStatus.SKIPPED, 0),
        "failed": counts.get(OutboxStatus.FAILED, 0),
    }
    result["total"] = sum(result.values())
    result["done"] = result["sent"] + result["skipped"] + result["failed"]
    return result


def digest_audience(session: Session) -> list[tuple[str | None, int]]:
    """Who an organiser digest would reach now, counted per stakeholder group (None: people
    without a group, such as staff): what the composer shows before it is sent."""
    stmt = wanting(
        select(StakeholderGroup.name, func.count(User.id))
        .select_from(User)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(StakeholderGroup, StakeholderGroup.id == Organisation.stakeholder_group_id),
        Notice.ORGANISER_DIGEST,
    )
    stmt = stmt.group_by(StakeholderGroup.position, StakeholderGroup.name).order_by(StakeholderGroup.position)
    return [(name, count) for name, count in session.execute(stmt)]
