"""Digest bookkeeping on named structures: a fresh start for the cursors' state.

Digest rows and cursors now keep what they cover as named JSON (`consult.digests.cursors`:
`PersonalDigest`, `CursorState`, `LateWindow`) instead of positional tuples, and the paths for
rows queued before migration 0008 are gone. Nothing has been deployed, so a development
database's digest bookkeeping is reset: personal digest rows not yet sent are dropped (the
next cron queues them again, from the cursors), every cursor moves to the newest audit id and
release, and the remembered state starts again with the next digest. What digests listed
before is not listed again; what was queued and not yet sent is not listed either.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM outbox_message WHERE template = 'digest' AND status IN ('pending', 'sending', 'failed')")
    op.execute(
        "UPDATE email_preference SET digest_state = NULL, "
        "last_digest_comment_key = (SELECT COALESCE(MAX(id), 0) FROM audit_event), "
        "last_digest_release_id = (SELECT COALESCE(MAX(release_event_id), 0) FROM disposition)"
    )


def downgrade() -> None:
    # The old shapes cannot be rebuilt from the new ones: the state starts again there too.
    op.execute("DELETE FROM outbox_message WHERE template = 'digest' AND status IN ('pending', 'sending', 'failed')")
    op.execute("UPDATE email_preference SET digest_state = NULL")
