"""Search upkeep: rebuilding the index (`flask search reindex`).

The index is kept in step by the database (migration 0011: FTS5 triggers on SQLite, GIN
expression indexes on PostgreSQL) in the transaction that writes each row, so nothing here
runs on a write; a rebuild is for after a restore from a copy without the index, or after
changing the tokenizer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.search.engines import engine_for


def reindex(session: Session) -> str:
    """Rebuild every search index; the name of the engine that did it."""
    engine = engine_for(session)
    engine.reindex(session)
    return engine.name
