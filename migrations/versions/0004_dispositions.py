"""Dispositions of comments and the commenters' acknowledgements.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:59:44.026200
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disposition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "accepted",
                "accepted_in_principle",
                "partially_accepted",
                "noted",
                "not_accepted",
                name="dispositionkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("observation", sa.Text(), nullable=False),
        sa.Column("answer_clause_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_clause_id"], ["clause.id"], name=op.f("fk_disposition_answer_clause_id_clause")
        ),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], name=op.f("fk_disposition_comment_id_comment")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"], name=op.f("fk_disposition_recorded_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["user_account.id"], name=op.f("fk_disposition_released_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_disposition_round_id_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_disposition_comment_id")),
    )
    with op.batch_alter_table("disposition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposition_round_id"), ["round_id"], unique=False)

    op.create_table(
        "acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposition_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "satisfied",
                "objection",
                name="acknowledgementkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_acknowledgement_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["disposition_id"], ["disposition.id"], name=op.f("fk_acknowledgement_disposition_id_disposition")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgement")),
        sa.UniqueConstraint("disposition_id", name=op.f("uq_acknowledgement_disposition_id")),
    )


def downgrade() -> None:
    op.drop_table("acknowledgement")
    with op.batch_alter_table("disposition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disposition_round_id"))

    op.drop_table("disposition")
