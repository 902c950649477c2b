"""A comment may say the text should stay as it is.

`comment.supports_text`: the commenter supports the clause as drafted (no change wanted). The
side-by-side page finds the clauses where one group proposes a change and another group says
the text should stay. A column with a server default is added in place (no table copy on
SQLite, so no trigger of migration 0007 is touched).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("comment", sa.Column("supports_text", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # In place (SQLite 3.35+): a batch copy of `comment` would drop the triggers of 0007.
    op.drop_column("comment", "supports_text")
