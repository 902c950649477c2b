"""Digest keys on comments: digests choose comments by when they became visible, not by id.

`comment.submitted_key` and `comment.accepted_key` hold the id of the audit entry of the moment
a comment became visible to its organisation and staff (submitted) and to other organisations
(accepted). The digest cursors (`email_preference.last_digest_comment_key`, the organiser
digests' `from_comment_key`/`to_comment_key`, renamed from `..._comment_id`) become audit-id
cursors.

Existing comments get the newest of their audit entries that could have made them visible, or
0 where the log has none; every cursor becomes the newest audit id now. An approximation on
purpose: everything existing is behind every cursor, so what digests listed before this
migration is not listed again (and what was not yet listed by comment id is not listed either,
apart from what becomes visible later through a round's stage or a person's class). Digests
sent before it list no comments if their failed messages are sent again; personal digests
queued before it and not yet sent are read by comment id (`params` without "keys").

`comment` carries triggers (0007): its columns are added and indexed outside batch mode, which
would recreate the table and drop them.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEWEST = "(SELECT COALESCE(MAX(id), 0) FROM audit_event)"


def _key(actions: str) -> str:
    return (
        "COALESCE((SELECT MAX(a.id) FROM audit_event a WHERE a.subject_type = 'Comment' "
        f"AND a.subject_id = comment.id AND a.action IN ({actions})), 0)"
    )


def upgrade() -> None:
    op.add_column("comment", sa.Column("submitted_key", sa.Integer(), nullable=True))
    op.add_column("comment", sa.Column("accepted_key", sa.Integer(), nullable=True))
    op.create_index("ix_comment_submitted_key", "comment", ["submitted_key"], unique=False)
    op.create_index("ix_comment_accepted_key", "comment", ["accepted_key"], unique=False)
    actions = "'comment.submit', 'comment.edit', 'comment.signoff', 'comment.accept'"
    op.execute(
        f"UPDATE comment SET submitted_key = {_key(actions)} WHERE status NOT IN ('draft', 'withdrawn')"
    )
    op.execute(f"UPDATE comment SET accepted_key = {_key(actions)} WHERE status = 'accepted'")
    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        batch_op.alter_column("last_digest_comment_id", new_column_name="last_digest_comment_key")
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.alter_column("from_comment_id", new_column_name="from_comment_key")
        batch_op.alter_column("to_comment_id", new_column_name="to_comment_key")
    op.execute(f"UPDATE email_preference SET last_digest_comment_key = {_NEWEST}")
    op.execute(f"UPDATE digest SET from_comment_key = {_NEWEST}, to_comment_key = {_NEWEST}")


def downgrade() -> None:
    # The cursors go back to comment ids: the newest comment (nothing older is listed again).
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.alter_column("from_comment_key", new_column_name="from_comment_id")
        batch_op.alter_column("to_comment_key", new_column_name="to_comment_id")
    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        batch_op.alter_column("last_digest_comment_key", new_column_name="last_digest_comment_id")
    newest = "(SELECT COALESCE(MAX(id), 0) FROM comment)"
    op.execute(f"UPDATE email_preference SET last_digest_comment_id = {newest}")
    op.execute(f"UPDATE digest SET from_comment_id = {newest}, to_comment_id = {newest}")
    op.drop_index("ix_comment_accepted_key", table_name="comment")
    op.drop_index("ix_comment_submitted_key", table_name="comment")
    op.drop_column("comment", "accepted_key")
    op.drop_column("comment", "submitted_key")
