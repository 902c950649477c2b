"""Content in several languages: a version's authoritative language, clause translations, a
comment's language.

- draft_version.language: the language of the version's own clause texts (authoritative);
- clause_translation: a clause's heading and text in another language (one row per clause and language);
- comment.language: the language the comment is written in.

Existing versions and comments were written in English (the only language the product had).
Columns are added in place (no batch copy: `comment`, `clause` and `draft_version` carry the
round-revision triggers of 0007 and the search triggers of 0011). A translation changes what
the round page shows, so `clause_translation` bumps the revision of the rounds on its clause's version,
as 0007's triggers do for the clauses themselves.

Revision ID: 0017
Revises: 0019 (written on 0013; chained after main's 0019 when main was merged in)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = [f"clause_translation_bumps_round_{name}" for name in ("ins", "upd", "del")]
_WHERE = "version_id IN (SELECT version_id FROM clause WHERE id = {row}.clause_id)"
_EVENTS = (("ins", "INSERT", ["NEW"]), ("upd", "UPDATE", ["OLD", "NEW"]), ("del", "DELETE", ["OLD"]))


def _language_column() -> sa.Column:
    return sa.Column("language", sa.String(length=8), server_default="en", nullable=False)


def upgrade() -> None:
    op.add_column("draft_version", _language_column())
    op.add_column("comment", _language_column())
    op.create_table(
        "clause_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clause_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("heading", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clause.id"], name=op.f("fk_clause_translation_clause_id_clause"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"], name=op.f("fk_clause_translation_updated_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause_translation")),
        sa.UniqueConstraint("clause_id", "language", name=op.f("uq_clause_translation_clause_id")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, event, rows in _EVENTS:
        condition = " OR ".join(_WHERE.format(row=row) for row in rows)
        trigger = f"clause_translation_bumps_round_{name}"
        if postgresql:
            op.execute(
                f"CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"UPDATE round SET revision = revision + 1 WHERE {condition}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON clause_translation FOR EACH ROW EXECUTE FUNCTION {trigger}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON clause_translation "
                f"BEGIN UPDATE round SET revision = revision + 1 WHERE {condition}; END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON clause_translation" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    op.drop_table("clause_translation")
    # SQLite (3.35+) drops a column with no index or constraint of its own in place.
    op.drop_column("comment", "language")
    op.drop_column("draft_version", "language")
