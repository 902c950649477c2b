"""Email transitions: preferences, unsubscribing, notifications, due digests, organiser digests.

Services queue outbox rows in the caller's transaction (`mailer.enqueue`) and never commit; the
rows are sent after the commit. Each row's `dedupe_key` names its event and recipient, so the
cron (`flask digests send`), which finds clock-driven events (a round opened, a deadline in
48 hours, a digest due), can run as often as it likes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from consult import audit, mailer, policy
from consult.auth.models import Role, User
from consult.comments.models import Comment, CommentStatus
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.digests.models import (
    Digest,
    DigestFrequency,
    EmailPreference,
    Notice,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from consult.errors import Invalid, NotFound
from consult.policy import Permission
from consult.rounds.models import Round, RoundStatus

SWITCHES = tuple(Notice)
MAX_INTRO = 10_000


# --- Preferences ---------------------------------------------------------------------------


def preference_for(session: Session, user: User, ranks: dict[int, int] | None = None) -> EmailPreference:
    """The person's preferences (the defaults until they change them); their digest starts
    from what there is now (`ranks`: the rounds' stage ranks now, when the caller has them)."""
    found = session.get(EmailPreference, user.id)
    if found is None:
        found = EmailPreference(user_id=user.id, digest_frequency=DigestFrequency.WEEKLY)
        for notice in SWITCHES:
            setattr(found, notice.value, True)
        found.last_digest_comment_key = _last_audit_id(session)
        found.last_digest_release_id = _last_release_id(session)
        ranks = _stage_ranks(session, utcnow()) if ranks is None else ranks
        found.digest_state = _state(None, list(policy.visibility_class(user)), ranks)
        session.add(found)
        session.flush()
    return found


def preference_or_default(session: Session, user: User) -> EmailPreference:
    """The person's preferences, or unsaved defaults (for showing; nothing is written)."""
    found = session.get(EmailPreference, user.id)
    if found is None:
        found = EmailPreference(user_id=user.id, digest_frequency=DigestFrequency.WEEKLY)
        for notice in SWITCHES:
            setattr(found, notice.value, True)
    return found


def update_preferences(
    session: Session, *, actor: User, frequency: DigestFrequency, switches: dict[Notice, bool]
) -> EmailPreference:
    """A person chooses their digest frequency and which notifications they get."""
    policy.require(actor, Permission.ACCOUNT_MANAGE)
    pref = preference_for(session, actor)
    pref.digest_frequency = frequency
    for notice in SWITCHES:
        setattr(pref, notice.value, bool(switches.get(notice, False)))
    audit.record(
        session,
        actor=actor,
        action="email.preferences",
        subject=actor,
        frequency=frequency,
        on=[n.value for n in SWITCHES if switches.get(n)],
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


# --- Notifications -------------------------------------------------------------------------


def _wanting(stmt, notice: Notice):
    column = getattr(EmailPreference, notice.value)
    return stmt.outerjoin(EmailPreference, EmailPreference.user_id == User.id).where(
        User.is_active_flag.is_(True), or_(EmailPreference.user_id.is_(None), column.is_(True))
    )


def notify(session: Session, notice: Notice, template: str, users: Iterable[User | tuple], event: str, **params) -> int:
    """Queue the notification `template` about `event` for each user; returns how many were new."""
    rows = []
    for user in users:
        user_id, address = (user.id, user.email) if isinstance(user, User) else user
        rows.append(
            {
                "dedupe_key": f"{event}:u{user_id}",
                "kind": OutboxKind.NOTIFICATION,
                "template": template,
                "user_id": user_id,
                "to_address": address,
                "params": params,
            }
        )
    return len(mailer.enqueue(session, rows))


def _recipients(session: Session, notice: Notice, *conditions) -> list[tuple[int, str]]:
    stmt = _wanting(select(User.id, User.email), notice).where(*conditions).order_by(User.id)
    return [(row.id, row.email) for row in session.execute(stmt)]


def notify_round_opened(session: Session, round_: Round) -> int:
    """Everyone who may see the round hears that it is open for comments."""
    users = _recipients(session, Notice.ROUND_OPENED, User.role.in_(list(Role)))
    return notify(session, Notice.ROUND_OPENED, "round_opened", users, f"round_opened:r{round_.id}", round_id=round_.id)


def notify_round_published(session: Session, round_: Round) -> int:
    users = _recipients(session, Notice.ROUND_PUBLISHED, User.role.in_(list(Role)))
    event = f"round_published:r{round_.id}:{round_.published_at:%Y%m%d%H%M%S}"
    return notify(session, Notice.ROUND_PUBLISHED, "round_published", users, event, round_id=round_.id)


def notify_round_closing(session: Session, round_: Round) -> int:
    """48 hours before the deadline: organisations with nothing submitted yet, and focal
    points with comments waiting for their sign-off."""
    submitted = exists().where(
        Comment.round_id == round_.id,
        Comment.organisation_id == User.organisation_id,
        Comment.status.not_in([CommentStatus.DRAFT, CommentStatus.WITHDRAWN]),
    )
    waiting = exists().where(
        Comment.round_id == round_.id,
        Comment.organisation_id == User.organisation_id,
        Comment.status == CommentStatus.AWAITING_SIGNOFF,
    )
    users = _recipients(
        session,
        Notice.ROUND_CLOSING,
        User.role.in_([Role.PARTICIPANT, Role.FOCAL_POINT]),
        User.organisation_id.is_not(None),
        or_(~submitted, and_(User.role == Role.FOCAL_POINT, waiting)),
    )
    event = f"round_closing:r{round_.id}:{round_.closes_at:%Y%m%d%H%M}"
    return notify(session, Notice.ROUND_CLOSING, "round_closing", users, event, round_id=round_.id)


def notify_comment_decided(session: Session, comment: Comment, event: audit.AuditEvent, decision: str) -> int:
    """The author hears that their comment was accepted, rejected or hidden (with the reason)."""
    session.flush()
    author = session.get(User, comment.author_id)
    return notify(
        session,
        Notice.COMMENT_DECIDED,
        "comment_decided",
        [author] if _wants(session, author, Notice.COMMENT_DECIDED) else [],
        f"comment_decided:a{event.id}",
        comment_id=comment.id,
        decision=decision,
    )


def notify_comment_waiting(session: Session, comment: Comment, event: audit.AuditEvent) -> int:
    """Focal points hear of comments that wait for their sign-off, moderators of pre-moderation."""
    session.flush()
    if comment.status is CommentStatus.AWAITING_SIGNOFF:
        users = _recipients(
            session,
            Notice.COMMENT_WAITING,
            User.role == Role.FOCAL_POINT,
            User.organisation_id == comment.organisation_id,
            User.id != comment.author_id,
        )
    elif comment.status is CommentStatus.AWAITING_MODERATION:
        users = _recipients(session, Notice.COMMENT_WAITING, User.role == Role.MODERATOR)
    else:
        return 0
    event_key = f"comment_waiting:a{event.id}"
    return notify(session, Notice.COMMENT_WAITING, "comment_waiting", users, event_key, comment_id=comment.id)


def _wants(session: Session, user: User, notice: Notice) -> bool:
    pref = session.get(EmailPreference, user.id)
    return user.is_active and (pref is None or pref.wants(notice))


# --- The cron: clock-driven events and due digests -----------------------------------------


def _last_audit_id(session: Session) -> int:
    """The newest audit id (a new person's first comment cursor: nothing is owed before it)."""
    return session.scalar(select(func.coalesce(func.max(audit.AuditEvent.id), 0))) or 0


def _comment_horizon(session: Session) -> int:
    """The newest digest key (an audit id) below which no comment key can still commit: where a
    digest's comment cursor may move to.

    A comment's digest keys are the ids of the audit entries that made it visible
    (`comments.services._stamp`). On PostgreSQL ids are taken before commit, so the newest
    committed id can have an older one still in flight, which a cursor moved past it would skip
    for good. Every service that gives a key locks the comment's round first
    (`comments.services._lock_round`, FOR NO KEY UPDATE, held to its commit): authors and focal
    points on rounds open for comments, moderators on rounds with comments awaiting moderation.
    A short transaction of its own that takes FOR SHARE on those rounds waits for them, and
    reads the newest audit id once they are done (a writer that locks later takes a later id).
    The caller must hold no round lock (it would wait for itself; the lock timeout ends that).
    SQLite's writers are serial (BEGIN IMMEDIATE): no id is ever in flight."""
    if session.get_bind().dialect.name != "postgresql":
        return _last_audit_id(session)
    awaiting = exists().where(Comment.round_id == Round.id, Comment.status == CommentStatus.AWAITING_MODERATION)
    with session.get_bind().connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(
            select(Round.id).where(or_(Round.status == RoundStatus.APPROVED, awaiting)).with_for_update(read=True)
        )
        return conn.scalar(select(func.coalesce(func.max(audit.AuditEvent.id), 0))) or 0


def queue_round_events(session: Session, now: datetime) -> int:
    """Rounds that opened (in the last two days) or close within 48 hours."""
    queued = 0
    approved = Round.status == RoundStatus.APPROVED
    for round_ in session.scalars(
        select(Round).where(
            approved, Round.opens_at <= now, Round.opens_at > now - timedelta(days=2), Round.closes_at > now
        )
    ):
        queued += notify_round_opened(session, round_)
    for round_ in session.scalars(
        select(Round).where(
            approved, Round.opens_at <= now, Round.closes_at > now, Round.closes_at <= now + timedelta(hours=48)
        )
    ):
        queued += notify_round_closing(session, round_)
    return queued


def _is_due(pref: EmailPreference, timezone: str, now: datetime, hour: int) -> bool:
    if pref.digest_frequency is DigestFrequency.NONE:
        return False
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    if local.hour < hour:
        return False
    last = pref.last_digest_at
    if last is None:
        return True
    if pref.digest_frequency is DigestFrequency.DAILY:
        return last.astimezone(zone).date() < local.date()
    return now - last >= timedelta(days=6, hours=12)


def _last_release_id(session: Session) -> int:
    from consult.dispositions.models import Disposition

    return session.scalar(select(func.coalesce(func.max(Disposition.release_event_id), 0))) or 0


def _stage_ranks(session: Session, now: datetime) -> dict[int, int]:
    """The stage rank (`policy.stage_rank`) every round has reached now; rounds at 0 left out."""
    reached = Round.status.in_([RoundStatus.APPROVED, RoundStatus.PUBLISHED, RoundStatus.ARCHIVED])
    ranks = {round_.id: policy.stage_rank(round_, now) for round_ in session.scalars(select(Round).where(reached))}
    return {round_id: rank for round_id, rank in ranks.items() if rank}


def _late(state: dict[str, Any] | None, visibility: list, ranks: dict[int, int]) -> dict[str, Any] | None:
    """What may have become visible behind the cursor since the state it was computed under:
    every round if the person's visibility class changed, else the rounds that reached a
    further stage (with the rank each had). None: nothing (or no state yet)."""
    if state is None:
        return None
    then = {int(round_id): rank for round_id, rank in state["ranks"].items()}
    if state["class"] != visibility:
        return {"class": state["class"], "ranks": then, "all": True}
    widened = {round_id: then.get(round_id, 0) for round_id, rank in ranks.items() if rank > then.get(round_id, 0)}
    return {"class": state["class"], "ranks": widened, "all": False} if widened else None


def _state(state: dict[str, Any] | None, visibility: list, ranks: dict[int, int]) -> dict[str, Any]:
    """The new state: ranks only grow (a reopened round's comments were seen when it closed)."""
    merged = {int(round_id): rank for round_id, rank in (state or {}).get("ranks", {}).items()}
    for round_id, rank in ranks.items():
        merged[round_id] = max(rank, merged.get(round_id, 0))
    return {"class": visibility, "ranks": {str(round_id): rank for round_id, rank in sorted(merged.items())}}


def queue_due_digests(session: Session, now: datetime) -> int:
    """Queue a personal digest for everyone whose morning hour has come.

    Chosen by id, not by clock. Comments: the digest covers comments whose digest key (the
    audit id of the moment they became visible to the person: `content.comment_key`) is after
    the person's cursor up to the horizon now, plus comments behind the cursor that have become
    visible to them since (a round reached a further stage, their role or organisation
    changed: `_late`);
    answers to their own comments: releases after their release cursor up to the newest. Both
    cursors move in the same transaction, so consecutive digests neither skip nor repeat.
    """
    from consult.dispositions.services import lock_release_order

    lock_release_order(session)  # a release commits wholly before or after this reads the newest
    ranks = _stage_ranks(session, now)
    missing = select(User.id).where(User.is_active_flag.is_(True), ~exists().where(EmailPreference.user_id == User.id))
    for user_id in list(session.scalars(missing)):
        preference_for(session, session.get(User, user_id), ranks)
    hour = current_app.config["DIGEST_HOUR"]
    top = _comment_horizon(session)
    top_release = _last_release_id(session)
    stmt = (
        select(EmailPreference, User)
        .join(User, User.id == EmailPreference.user_id)
        .where(User.is_active_flag.is_(True), EmailPreference.digest_frequency != DigestFrequency.NONE)
        .order_by(EmailPreference.user_id)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=EmailPreference, skip_locked=True)
    rows = []
    for pref, user in session.execute(stmt):
        if not _is_due(pref, user.timezone, now, hour):
            continue
        since = pref.last_digest_at
        visibility = list(policy.visibility_class(user))
        # Two cron runs at once read the same cursor, so they build the same key: one row.
        key = f"digest:u{pref.user_id}:key{pref.last_digest_comment_key}:{since.isoformat() if since else 'first'}"
        rows.append(
            {
                "dedupe_key": key,
                "kind": OutboxKind.DIGEST,
                "template": "digest",
                "user_id": pref.user_id,
                "to_address": user.email,
                "params": {
                    "keys": True,  # from/to are digest keys (audit ids), not comment ids
                    "from": pref.last_digest_comment_key,
                    "to": top,
                    "late": _late(pref.digest_state, visibility, ranks),
                    "answers": [pref.last_digest_release_id, top_release],
                    "since": since.isoformat() if since else None,
                    "until": now.isoformat(),
                },
            }
        )
        pref.last_digest_comment_key = top
        pref.last_digest_release_id = top_release
        pref.digest_state = _state(pref.digest_state, visibility, ranks)
        pref.last_digest_at = now
    return len(mailer.enqueue(session, rows))


# --- Organiser digests ---------------------------------------------------------------------


def draft_digest(session: Session, consultation: Consultation, intro: str = "", now: datetime | None = None) -> Digest:
    """An unsaved digest covering what is new since this consultation's previous one."""
    now = now or utcnow()
    previous = session.scalar(
        select(Digest).where(Digest.consultation_id == consultation.id).order_by(Digest.id.desc()).limit(1)
    )
    return Digest(
        consultation_id=consultation.id,
        intro=intro.strip(),
        from_comment_key=previous.to_comment_key if previous else 0,
        to_comment_key=_comment_horizon(session),
        since=previous.sent_at if previous else None,
        sent_at=now,
    )


def send_digest(
    session: Session, *, actor: User, consultation: Consultation, intro: str, now: datetime | None = None
) -> Digest:
    """An organiser sends a digest for a consultation: one outbox row per recipient, each
    rendered with that recipient's visibility when it is sent."""
    policy.require(actor, Permission.DIGEST_SEND)
    if len(intro) > MAX_INTRO:
        raise Invalid(_("The introduction may have at most %(n)d characters.", n=MAX_INTRO), "intro")
    digest = draft_digest(session, consultation, intro, now)
    digest.created_by_id = actor.id
    session.add(digest)
    session.flush()
    users = _recipients(session, Notice.ORGANISER_DIGEST, User.role.in_(list(Role)))
    mailer.enqueue(
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
        session.info.setdefault(mailer.QUEUED_IDS, []).extend(failed)
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
