"""A revision per section of a round (its general comments, each clause's comments), kept by
the database: the round page caches each clause's section per visibility class and keys it
on that section's own revision, so a new comment on clause 4 renders clause 4's section again
and leaves the other sections cached.

- `section_revision (round_id, section, revision)`: one row per round and section ('' for the
  general comments, else the clause key), created by the first write and bumped by triggers on
  every insert, update or delete of a comment (an update bumps the old and the new section).
- `round.comment_revision`: the part of `round.revision` that comment writes moved. The
  comment triggers of 0007 are replaced by ones that move both counters in the same statement,
  so `revision - comment_revision` moves only with what is not a comment (the round's settings,
  rule cells, texts, names): the key of everything on the page around the sections.

Revision ID: 0015
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ["comment_bumps_section_ins", "comment_bumps_section_upd", "comment_bumps_section_del"]

_ROUND = {"ins": ["NEW"], "upd": ["OLD", "NEW"], "del": ["OLD"]}
_EVENT = {"ins": "INSERT", "upd": "UPDATE", "del": "DELETE"}
# The section a row enters is created if new; the one it leaves exists (made by its insert,
# or by this migration for the comments before it).
_ENTER_SECTION = (
    "INSERT INTO section_revision (round_id, section, revision) "
    "VALUES ({row}.round_id, coalesce({row}.clause_key, ''), 1) "
    "ON CONFLICT (round_id, section) DO UPDATE SET revision = section_revision.revision + 1"
)
_LEAVE_SECTION = (
    "UPDATE section_revision SET revision = revision + 1 "
    "WHERE round_id = {row}.round_id AND section = coalesce({row}.clause_key, '')"
)


def _bump_round(rows: list[str], comment_revision: bool) -> str:
    condition = " OR ".join(f"id = {row}.round_id" for row in rows)
    also = ", comment_revision = comment_revision + 1" if comment_revision else ""
    return f"UPDATE round SET revision = revision + 1{also} WHERE {condition}"  # noqa: S608 (constant SQL)


def _create(comment_revision: bool) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, rows in _ROUND.items():
        bump = _bump_round(rows, comment_revision)
        function = f"comment_bumps_round_{name}"
        if postgresql:
            op.execute(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{bump}; RETURN NULL; END $$"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {function}")
            op.execute(f"CREATE TRIGGER {function} AFTER {_EVENT[name]} ON comment BEGIN {bump}; END")
        if not comment_revision:
            continue
        sections = "; ".join((_LEAVE_SECTION if row == "OLD" else _ENTER_SECTION).format(row=row) for row in rows)
        function = f"comment_bumps_section_{name}"
        if postgresql:
            op.execute(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{sections}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {function} AFTER {_EVENT[name]} ON comment FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        else:
            op.execute(f"CREATE TRIGGER {function} AFTER {_EVENT[name]} ON comment BEGIN {sections}; END")


def upgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment_revision", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "section_revision",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_section_revision_round_id_round"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("round_id", "section", name=op.f("pk_section_revision")),
    )
    op.execute(
        "INSERT INTO section_revision (round_id, section, revision) "
        "SELECT DISTINCT round_id, coalesce(clause_key, ''), 1 FROM comment"
    )
    _create(comment_revision=True)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON comment" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    _create(comment_revision=False)
    op.drop_table("section_revision")
    if postgresql:
        op.drop_column("round", "comment_revision")
    else:
        # SQLite's own DROP COLUMN: batch mode would copy the table (dropping 0007's triggers
        # on it, and failing on the triggers of other tables that name it).
        op.execute("ALTER TABLE round DROP COLUMN comment_revision")
