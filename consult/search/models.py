"""What search indexes: the sources, their text columns, and the names of the engine objects.

Search has no tables of its own in the models: the index lives beside each source table and
differs per engine (SQLite: FTS5 tables `search_<source>` kept in step by triggers;
PostgreSQL: GIN indexes `ix_search_<source>` on a `to_tsvector` expression), created by
migration 0011. Alembic's model comparison skips them (`is_search_object`).
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.comments.models import Comment
from consult.consultations.models import Consultation
from consult.dispositions.models import Disposition
from consult.drafts.models import Clause
from consult.rounds.models import Round


@dataclass(frozen=True)
class Source:
    kind: str  # consultation, round, clause, comment, disposition
    model: type
    columns: tuple[str, ...]
    language: str | None = None  # the column naming each row's language, where rows have one

    @property
    def table(self) -> str:
        return self.model.__tablename__

    @property
    def fts(self) -> str:
        """The SQLite FTS5 table of this source."""
        return f"search_{self.kind}"

    @property
    def gin_index(self) -> str:
        """The PostgreSQL GIN index of this source."""
        return f"ix_search_{self.kind}"


# In step with migrations 0011 and 0021 (which keep frozen copies).
SOURCES = {
    s.kind: s
    for s in (
        Source("consultation", Consultation, ("title", "summary")),
        Source("round", Round, ("title", "description")),
        Source("clause", Clause, ("number", "heading", "body")),
        Source("comment", Comment, ("body", "proposed_change"), language="language"),
        Source("disposition", Disposition, ("observation",)),
    )
}
KINDS = tuple(SOURCES)


def is_search_object(name: str | None) -> bool:
    """Whether a table or index name belongs to the search indexes (not in the models)."""
    return bool(name) and (name.startswith("search_") or name.startswith("ix_search_"))
