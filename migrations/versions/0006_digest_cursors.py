"""Digest cursors chosen by id: answers by their release's audit id, and the visibility state
a personal digest's comment cursor was computed under.

Released dispositions are numbered for the cursor: those released before their author's last
digest (which listed them by time) get 0, and the rest the newest audit id, so that each
person's next digest lists the answers not yet listed, once.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_state", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("last_digest_release_id", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("disposition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_event_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_disposition_release_event_id"), ["release_event_id"], unique=False)
    op.execute(
        """
        UPDATE disposition SET release_event_id = CASE
            WHEN released_at < (
                SELECT p.last_digest_at FROM email_preference p JOIN comment c ON c.author_id = p.user_id
                WHERE c.id = disposition.comment_id
            ) THEN 0
            ELSE (SELECT COALESCE(MAX(id), 0) FROM audit_event)
        END
        WHERE released_at IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("disposition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disposition_release_event_id"))
        batch_op.drop_column("release_event_id")
    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        batch_op.drop_column("last_digest_release_id")
        batch_op.drop_column("digest_state")
