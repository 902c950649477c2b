"""Full-text search indexes and personal access tokens for the API.

Search (`consult/search/`): what people search is indexed by the database itself, kept in
step by the transaction that writes the row, whoever writes it (ORM, Core, imports, SQL):

- SQLite: one FTS5 table per source, external content (the text stays in the source table;
  the index holds only tokens), kept in step by triggers on insert, on update of the indexed
  columns, and on delete. `flask search reindex` rebuilds them.
- PostgreSQL: a GIN index on `to_tsvector('simple', ...)` of the same columns; queries use the
  very same expression, so the planner uses the index. `flask search reindex` runs REINDEX.
  ('simple': no row has a known language yet; see consult/search/engines.py.)

The FTS5 tables and the GIN indexes are not in the models (they differ per engine, as the
triggers of 0007 do): Alembic's comparison skips names starting with `search_`/`ix_search_`
(`consult.search.models.is_search_object`).

API tokens: `api_token` holds a keyed SHA-256 of each token, never the token. A trigger on
`user_account` revokes a person's tokens when their role or organisation changes or their
account is disabled, in the same transaction, whoever makes the change.

No table that carries 0007's triggers is altered in batch mode (that would drop them).

Revision ID: 0011
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (search table / index suffix, source table, indexed columns): frozen here on purpose, the
# application's copy is consult/search/models.py SOURCES.
SOURCES = [
    ("consultation", "consultation", ["title", "summary"]),
    ("round", "round", ["title", "description"]),
    ("clause", "clause", ["number", "heading", "body"]),
    ("comment", "comment", ["body", "proposed_change"]),
    ("disposition", "disposition", ["observation"]),
]
TOKENIZE = "unicode61 remove_diacritics 2"


def _pg_document(columns: list[str]) -> str:
    return " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)


def _sqlite_upgrade() -> None:
    for name, table, columns in SOURCES:
        fts = f"search_{name}"
        cols = ", ".join(columns)
        new = ", ".join(f"NEW.{c}" for c in columns)
        old = ", ".join(f"OLD.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            f"tokenize='{TOKENIZE}')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ins AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (NEW.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_del AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', OLD.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_upd AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', OLD.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (NEW.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER user_account_revokes_api_tokens AFTER UPDATE OF role, organisation_id, is_active "
        "ON user_account WHEN NEW.role IS NOT OLD.role OR NEW.organisation_id IS NOT OLD.organisation_id "
        "OR (OLD.is_active AND NOT NEW.is_active) BEGIN "
        "UPDATE api_token SET revoked_at = strftime('%Y-%m-%d %H:%M:%f', 'now'), revoked_reason = 'access_changed' "
        "WHERE user_id = NEW.id AND revoked_at IS NULL; END"
    )


def _postgresql_upgrade() -> None:
    for name, table, columns in SOURCES:
        op.execute(
            f"CREATE INDEX ix_search_{name} ON {table} USING gin "
            f"(to_tsvector('simple'::regconfig, {_pg_document(columns)}))"
        )
    op.execute(
        "CREATE FUNCTION user_account_revokes_api_tokens() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE api_token SET revoked_at = now(), revoked_reason = 'access_changed' "
        "WHERE user_id = NEW.id AND revoked_at IS NULL; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER user_account_revokes_api_tokens AFTER UPDATE OF role, organisation_id, is_active "
        "ON user_account FOR EACH ROW WHEN (NEW.role IS DISTINCT FROM OLD.role "
        "OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id "
        "OR (OLD.is_active AND NOT NEW.is_active)) EXECUTE FUNCTION user_account_revokes_api_tokens()"
    )


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS user_account_revokes_api_tokens ON user_account")
        op.execute("DROP FUNCTION IF EXISTS user_account_revokes_api_tokens()")
        for name, _table, _columns in SOURCES:
            op.execute(f"DROP INDEX IF EXISTS ix_search_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS user_account_revokes_api_tokens")
        for name, _table, _columns in SOURCES:
            for suffix in ("ins", "upd", "del"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{name}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS search_{name}")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
