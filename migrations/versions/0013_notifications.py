"""Notifications in the app, and email switches for the new notices.

A `notification` row per person and event (unique), written with the event's outbox row
(`consult.digests.notices`); three switches on `email_preference` for the notices people can
now turn off: a round waits for approval or publication (moderators), a moderator approved or
sent back a round or declined its publication (its organiser), an objection was maintained
(organisers). Adding columns
with a default needs no table copy on SQLite (no trigger of migration 0007 is touched).

Revision ID: 0013
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SWITCHES = ("round_waiting", "round_decided", "objection_maintained")


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_notification_comment_id_comment"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_notification_round_id_round"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "event", name=op.f("uq_notification_user_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user_read", ["user_id", "read_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_comment_id"), ["comment_id"], unique=False)
    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        for name in SWITCHES:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        for name in SWITCHES:
            batch_op.drop_column(name)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_comment_id"))
        batch_op.drop_index(batch_op.f("ix_notification_round_id"))
        batch_op.drop_index("ix_notification_user_read")
    op.drop_table("notification")
