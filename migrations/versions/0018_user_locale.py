"""People choose their language: `user_account.locale` (NULL: the browser's, English for email).

A plain ADD COLUMN, not batch mode: SQLite's batch mode copies the table and would drop the
triggers on `user_account` (0007's revisions, 0011's token revocation).

Revision ID: 0018
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user_account", sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (no table copy, the triggers stay).
    op.drop_column("user_account", "locale")
