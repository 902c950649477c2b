"""Drafts with versions and clauses, rounds with visibility rules, comments and reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:45:27.000380
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_draft_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_draft_created_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft")),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_consultation_id"), ["consultation_id"], unique=False)

    op.create_table(
        "draft_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_draft_version_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], name=op.f("fk_draft_version_draft_id_draft")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_version")),
        sa.UniqueConstraint("draft_id", "number", name=op.f("uq_draft_version_draft_id")),
    )
    with op.batch_alter_table("draft_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_version_draft_id"), ["draft_id"], unique=False)

    op.create_table(
        "clause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("heading", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["draft_version.id"], name=op.f("fk_clause_version_id_draft_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_clause_version_id_key")),
        sa.UniqueConstraint("version_id", "position", name=op.f("uq_clause_version_id_position")),
    )
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clause_version_id"), ["version_id"], unique=False)

    op.create_table(
        "round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_approval",
                "approved",
                "published",
                "archived",
                name="roundstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "preset",
            sa.Enum(
                "sealed",
                "group_dialogue",
                "open_dialogue",
                "custom",
                name="preset",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requires_signoff", sa.Boolean(), nullable=False),
        sa.Column("premoderation", sa.Boolean(), nullable=False),
        sa.Column("results_public", sa.Boolean(), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_back_reason", sa.Text(), nullable=False),
        sa.Column("publication_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publication_requested_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user_account.id"], name=op.f("fk_round_approved_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_round_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by_id"], ["user_account.id"], name=op.f("fk_round_prepared_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["publication_requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_round_publication_requested_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["draft_version.id"], name=op.f("fk_round_version_id_draft_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
    )
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_version_id"), ["version_id"], unique=False)

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("clause_key", sa.String(length=32), nullable=True),
        sa.Column("clause_position", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "general",
                "technical",
                "editorial",
                name="commenttype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("proposed_change", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_group_id", sa.Integer(), nullable=False),
        sa.Column(
            "attribution",
            sa.Enum(
                "person",
                "organisation",
                "group",
                name="attribution",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "awaiting_signoff",
                "awaiting_moderation",
                "accepted",
                "rejected",
                "withdrawn",
                name="commentstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_reason", sa.Text(), nullable=False),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_comment_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"], ["user_account.id"], name=op.f("fk_comment_hidden_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"], ["user_account.id"], name=op.f("fk_comment_moderated_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_comment_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_comment_round_id_round")),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"], ["user_account.id"], name=op.f("fk_comment_signed_off_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_group_id"],
            ["stakeholder_group.id"],
            name=op.f("fk_comment_stakeholder_group_id_stakeholder_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
        sa.UniqueConstraint("author_id", "nonce", name=op.f("uq_comment_author_id")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_round_id"), ["round_id"], unique=False)
        batch_op.create_index(
            "ix_comment_round_position_id", ["round_id", "clause_position", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_comment_stakeholder_group_id"), ["stakeholder_group_id"], unique=False
        )

    op.create_table(
        "round_visibility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("viewer_group_id", sa.Integer(), nullable=False),
        sa.Column("author_group_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "while_open",
                "after_close",
                "after_publication",
                "never",
                name="stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_group_id"],
            ["stakeholder_group.id"],
            name=op.f("fk_round_visibility_author_group_id_stakeholder_group"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_round_visibility_round_id_round"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["viewer_group_id"],
            ["stakeholder_group.id"],
            name=op.f("fk_round_visibility_viewer_group_id_stakeholder_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_visibility")),
        sa.UniqueConstraint(
            "round_id", "viewer_group_id", "author_group_id", name=op.f("uq_round_visibility_round_id")
        ),
    )
    with op.batch_alter_table("round_visibility", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_visibility_round_id"), ["round_id"], unique=False)

    op.create_table(
        "comment_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_comment_report_comment_id_comment")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user_account.id"], name=op.f("fk_comment_report_reporter_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_comment_report_resolved_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_report")),
    )
    with op.batch_alter_table("comment_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_report_comment_id"), ["comment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_report_reporter_id"), ["reporter_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comment_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_report_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_comment_report_comment_id"))

    op.drop_table("comment_report")
    with op.batch_alter_table("round_visibility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_visibility_round_id"))

    op.drop_table("round_visibility")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_stakeholder_group_id"))
        batch_op.drop_index("ix_comment_round_position_id")
        batch_op.drop_index(batch_op.f("ix_comment_round_id"))
        batch_op.drop_index(batch_op.f("ix_comment_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_comment_author_id"))

    op.drop_table("comment")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_version_id"))
        batch_op.drop_index(batch_op.f("ix_round_consultation_id"))

    op.drop_table("round")
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_version_id"))

    op.drop_table("clause")
    with op.batch_alter_table("draft_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_version_draft_id"))

    op.drop_table("draft_version")
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_consultation_id"))

    op.drop_table("draft")
