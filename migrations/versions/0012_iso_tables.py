"""The ISO/IEC comment template's fields, committee disposition words, briefing jobs.

- organisation.mb_code: the MB/NC code (unique, in capitals);
- comment: number (unique per round), member_code, number_seq, source_number, line_number,
  paragraph, clause_ref; comment_clause: further clauses a comment names;
- draft.reference: the document reference ("ISO/IEC DIS 27099");
- disposition: the kinds accepted_with_modifications, duplicate, deferred, completed, and
  duplicate_of_id;
- briefing_job: a briefing PDF made in the background, with its progress and file.

Columns are added to `comment`, `organisation` and `draft` without recreating those tables
(SQLite's batch mode copies a table, which drops the round-revision triggers of 0007); only
`disposition`, which has none, is recreated on SQLite to widen its kind constraint.

Existing submitted comments get numbers here, in id order per round and code: the code of
their organisation (its country code, the only code there was), then a sequence.

Revision ID: 0012
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("accepted", "accepted_in_principle", "partially_accepted", "noted", "not_accepted")
NEW_KINDS = (*OLD_KINDS, "accepted_with_modifications", "duplicate", "deferred", "completed")


def _kind(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="dispositionkind", native_enum=False, create_constraint=True, length=32)


def _text_column(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), server_default="", nullable=False)


def upgrade() -> None:
    op.add_column("organisation", sa.Column("mb_code", sa.String(length=16), nullable=True))
    op.create_index("uq_organisation_mb_code", "organisation", ["mb_code"], unique=True)
    op.add_column("draft", _text_column("reference", 60))

    op.add_column("comment", sa.Column("number", sa.String(length=40), nullable=True))
    op.add_column("comment", _text_column("member_code", 16))
    op.add_column("comment", sa.Column("number_seq", sa.Integer(), server_default="0", nullable=False))
    op.add_column("comment", _text_column("source_number", 40))
    op.add_column("comment", _text_column("line_number", 40))
    op.add_column("comment", _text_column("paragraph", 200))
    op.add_column("comment", sa.Column("clause_ref", sa.String(length=200), nullable=True))
    op.create_index("uq_comment_round_id_number", "comment", ["round_id", "number"], unique=True)
    op.create_table(
        "comment_clause",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("clause_key", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_comment_clause_comment_id_comment"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", "clause_key", name=op.f("pk_comment_clause")),
    )

    with op.batch_alter_table("disposition", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_kind(OLD_KINDS), type_=_kind(NEW_KINDS), existing_nullable=False)
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_disposition_duplicate_of_id_comment"), "comment", ["duplicate_of_id"], ["id"]
        )

    op.create_table(
        "briefing_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "running", "done", "failed",
                name="jobstatus", native_enum=False, create_constraint=True, length=32,
            ),
            nullable=False,
        ),  # fmt: skip
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_briefing_job_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_briefing_job_requested_by_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_briefing_job_round_id_round"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefing_job")),
    )
    op.create_index(op.f("ix_briefing_job_requested_by_id"), "briefing_job", ["requested_by_id"], unique=False)
    _number_existing_comments()


def _number_existing_comments() -> None:
    """Submitted comments (not drafts) get "<code>-<nnn>" per round and code, in id order."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.round_id, o.country FROM comment c JOIN organisation o ON o.id = c.organisation_id "
            "WHERE c.status <> 'draft' ORDER BY c.round_id, c.id"
        )
    ).all()
    sequences: dict[tuple[int, str], int] = {}
    update = sa.text("UPDATE comment SET number = :number, member_code = :code, number_seq = :seq WHERE id = :id")
    for comment_id, round_id, country in rows:
        code = (country or "").upper()
        seq = sequences[(round_id, code)] = sequences.get((round_id, code), 0) + 1
        number = f"{code}-{seq:03d}" if code else f"{seq:03d}"
        bind.execute(update, {"number": number, "code": code, "seq": seq, "id": comment_id})


def downgrade() -> None:
    op.drop_index(op.f("ix_briefing_job_requested_by_id"), table_name="briefing_job")
    op.drop_table("briefing_job")
    op.execute("DELETE FROM disposition WHERE kind NOT IN (" + ", ".join(f"'{k}'" for k in OLD_KINDS) + ")")
    with op.batch_alter_table("disposition", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_disposition_duplicate_of_id_comment"), type_="foreignkey")
        batch_op.drop_column("duplicate_of_id")
        batch_op.alter_column("kind", existing_type=_kind(NEW_KINDS), type_=_kind(OLD_KINDS), existing_nullable=False)
    op.drop_table("comment_clause")
    op.drop_index("uq_comment_round_id_number", table_name="comment")
    # Dropping columns: SQLite (3.35+) drops them in place; a column with no index or constraint
    # of its own leaves the table and its triggers alone.
    for column in ("clause_ref", "paragraph", "line_number", "source_number", "number_seq", "member_code", "number"):
        op.drop_column("comment", column)
    op.drop_column("draft", "reference")
    op.drop_index("uq_organisation_mb_code", table_name="organisation")
    op.drop_column("organisation", "mb_code")
