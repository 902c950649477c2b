"""Each person's email preferences: digest frequency, notification switches, digest cursors."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import User
from consult.db import utcnow
from consult.digests.cursors import CursorState, Ranks, last_audit_id, last_release_id, stage_ranks
from consult.digests.models import DigestFrequency, EmailPreference, Notice

SWITCHES = tuple(Notice)

# Switches that only concern the holders of a permission (their notices go to them alone); the
# preferences page offers them only to those people. The others are offered to everyone.
SWITCH_PERMISSIONS = {
    Notice.ROUND_WAITING: (policy.Permission.ROUND_APPROVE, policy.Permission.ROUND_PUBLISH),
    Notice.ROUND_DECIDED: (policy.Permission.ROUND_PREPARE, policy.Permission.ROUND_REQUEST_PUBLICATION),
    Notice.OBJECTION_MAINTAINED: (policy.Permission.DISPOSITION_MANAGE,),
}


def switches_for(user: User) -> tuple[Notice, ...]:
    """The switches the preferences page offers `user`."""
    return tuple(
        notice
        for notice in SWITCHES
        if notice not in SWITCH_PERMISSIONS or any(policy.can(user, p) for p in SWITCH_PERMISSIONS[notice])
    )


def _defaults(user: User) -> EmailPreference:
    found = EmailPreference(user_id=user.id, digest_frequency=DigestFrequency.WEEKLY)
    for notice in SWITCHES:
        setattr(found, notice.value, True)
    return found


def preference_for(session: Session, user: User, ranks: Ranks | None = None) -> EmailPreference:
    """The person's preferences (the defaults until they change them); their digest starts
    from what there is now (`ranks`: the rounds' stage ranks now, when the caller has them)."""
    found = session.get(EmailPreference, user.id)
    if found is None:
        found = _defaults(user)
        found.last_digest_comment_key = last_audit_id(session)
        found.last_digest_release_id = last_release_id(session)
        ranks = stage_ranks(session, utcnow()) if ranks is None else ranks
        found.digest_state = CursorState(policy.as_viewer(user).visibility_class, ranks).to_json()
        session.add(found)
        session.flush()
    return found


def preference_or_default(session: Session, user: User) -> EmailPreference:
    """The person's preferences, or unsaved defaults (for showing; nothing is written)."""
    return session.get(EmailPreference, user.id) or _defaults(user)
