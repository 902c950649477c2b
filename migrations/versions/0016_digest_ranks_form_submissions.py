"""Organiser digests remember their rounds' stage ranks; creating forms are sent once.

`digest.stage_ranks`: the stage rank each of the consultation's rounds had reached when the
digest was made, so the next digest also lists comments that became visible because a round
closed or was published in between (NULL for digests made before: no such listing after them).
`form_submission`: one row per creating form sent (person, one-time value, where its result
is), so the same form sent twice creates nothing twice.

Revision ID: 0016
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_ranks", sa.JSON(), nullable=True))
    op.create_table(
        "form_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("result_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_form_submission_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submission")),
        sa.UniqueConstraint("user_id", "nonce", name=op.f("uq_form_submission_user_id")),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_submission_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_submission_created_at"))
    op.drop_table("form_submission")
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_column("stage_ranks")
