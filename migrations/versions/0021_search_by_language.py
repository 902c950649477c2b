"""PostgreSQL reads each comment with its own language's text search configuration.

The GIN index on comments becomes `to_tsvector(<configuration of the row's language>, ...)`
(English, French, Spanish, Russian, Arabic; 'simple' for Chinese and anything else), in step
with `consult.search.engines.pg_document`. SQLite's FTS5 index is language-neutral: unchanged.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy: the index expression as this migration creates it.
CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic"}
DOCUMENT = "coalesce(comment.body, '') || ' ' || coalesce(comment.proposed_change, '')"


def _config() -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in CONFIGS.items())
    return f"(CASE comment.language {whens} ELSE 'simple'::regconfig END)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_comment")
    op.execute(f"CREATE INDEX ix_search_comment ON comment USING gin (to_tsvector({_config()}, {DOCUMENT}))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_comment")
    op.execute(f"CREATE INDEX ix_search_comment ON comment USING gin (to_tsvector('simple'::regconfig, {DOCUMENT}))")
