"""The cron (`flask digests send`): clock-driven notifications and the personal digests due.

Both are chosen so that the cron can run as often as it likes: notifications by their events'
dedupe keys, digests by each person's cursors, which move in the same transaction as the row
that covers them is queued.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from consult import mail, policy
from consult.auth.models import User
from consult.digests.cursors import (
    CursorState,
    Period,
    PersonalDigest,
    Window,
    comment_horizon,
    last_release_id,
    stage_ranks,
)
from consult.digests.models import DigestFrequency, EmailPreference
from consult.digests.notices import notify_round_closing, notify_round_opened
from consult.digests.preferences import preference_for
from consult.dispositions.services import lock_release_order
from consult.mail.models import OutboxKind
from consult.rounds.models import Round, RoundStatus

OPENED_LOOKBACK = timedelta(days=2)
CLOSING_NOTICE = timedelta(hours=48)


def queue_round_events(session: Session, now: datetime) -> int:
    """Rounds that opened (in the last two days) or close within 48 hours."""
    queued = 0
    approved = Round.status == RoundStatus.APPROVED
    for round_ in session.scalars(
        select(Round).where(
            approved, Round.opens_at <= now, Round.opens_at > now - OPENED_LOOKBACK, Round.closes_at > now
        )
    ):
        queued += notify_round_opened(session, round_)
    for round_ in session.scalars(
        select(Round).where(
            approved, Round.opens_at <= now, Round.closes_at > now, Round.closes_at <= now + CLOSING_NOTICE
        )
    ):
        queued += notify_round_closing(session, round_)
    return queued


def is_due(pref: EmailPreference, timezone: str, now: datetime, hour: int) -> bool:
    """Whether the person's digest is due: their morning hour has come, a day (or a week) on."""
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


def queue_due_digests(session: Session, now: datetime) -> int:
    """Queue a personal digest for everyone whose morning hour has come.

    Chosen by id, not by clock. Comments: the digest covers comments whose digest key (the
    audit id of the moment they reached the person's audience: `policy.digest_key`) is after
    the person's cursor up to the horizon now, plus comments behind the cursor that have become
    visible to them since (`CursorState.late`); answers to their own comments: releases after
    their release cursor up to the newest. Both cursors move in the same transaction, so
    consecutive digests neither skip nor repeat.
    """
    lock_release_order(session)  # a release commits wholly before or after this reads the newest
    ranks = stage_ranks(session, now)
    missing = select(User.id).where(User.is_active_flag.is_(True), ~exists().where(EmailPreference.user_id == User.id))
    for user_id in list(session.scalars(missing)):
        preference_for(session, session.get(User, user_id), ranks)
    hour = current_app.config["DIGEST_HOUR"]
    horizon = comment_horizon(session)
    newest_release = last_release_id(session)
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
        if not is_due(pref, user.timezone, now, hour):
            continue
        visibility = policy.as_viewer(user).visibility_class
        state = CursorState.from_json(pref.digest_state)
        covers = PersonalDigest(
            comments=Window(
                pref.last_digest_comment_key, horizon, state.late(visibility, ranks) if state is not None else None
            ),
            answers_after=pref.last_digest_release_id,
            answers_up_to=newest_release,
            period=Period(pref.last_digest_at, now),
        )
        # Two cron runs at once read the same cursor, so they build the same key: one row.
        since = pref.last_digest_at.isoformat() if pref.last_digest_at else "first"
        rows.append(
            {
                "dedupe_key": f"digest:u{pref.user_id}:key{pref.last_digest_comment_key}:{since}",
                "kind": OutboxKind.DIGEST,
                "template": "digest",
                "user_id": pref.user_id,
                "to_address": user.email,
                "params": covers.to_json(),
            }
        )
        pref.last_digest_comment_key = horizon
        pref.last_digest_release_id = newest_release
        pref.digest_state = (state or CursorState(visibility, {})).advanced(visibility, ranks).to_json()
        pref.last_digest_at = now
    return len(mail.enqueue(session, rows))
