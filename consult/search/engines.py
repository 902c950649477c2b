"""The two full-text engines behind search: SQLite FTS5 and PostgreSQL text search.

Each engine answers the same questions for a source (`models.SOURCES`): how to join its
index and keep the rows that match a query, how well a row matches (higher is better), the
matched words of a row's columns with markers around them, and how to rebuild the index.

The query a person types is made safe for each engine: PostgreSQL's `websearch_to_tsquery`
takes any text (quoted phrases, `or`, `-word`); for FTS5 the same syntax is translated here
into an FTS5 expression in which every word or phrase is a quoted string, so no input is
ever read as FTS5 syntax.

Language: a comment records the language it is written in, and PostgreSQL reads each comment
with that language's configuration (`PG_CONFIGS`: stemming and stop words, so "developing"
finds "development" in English and « développement » finds « développer » in French; Chinese,
which PostgreSQL cannot segment, and rows without a language use 'simple'). The index
expression chooses the configuration per row (migration 0021); a query is parsed once per
configuration and each row is matched by the query of its own language, so the GIN index
still answers. FTS5 uses the language-neutral unicode61 tokenizer for every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Double, and_, cast, column, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from consult.search.models import SOURCES, Source

MAX_QUERY = 200
MAX_TERMS = 12
# Where a row's language is known: its text search configuration (PostgreSQL). In step with
# migration 0021, whose index expression spells this out.
PG_CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic"}
PG_DEFAULT_CONFIG = "simple"

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD_RE = re.compile(r"\w")


@dataclass(frozen=True)
class Query:
    """What a person typed, checked: `text` for PostgreSQL, `fts` the FTS5 expression."""

    text: str
    fts: str

    @property
    def empty(self) -> bool:
        return not self.fts


def parse_query(raw: str) -> Query:
    """Words (all must match), "quoted phrases", `or` between alternatives, `-word` to exclude."""
    raw = (raw or "").strip()[:MAX_QUERY]
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    terms = 0
    for match in _TOKEN_RE.finditer(raw):
        neg = bool(match.group(1) or match.group(3))
        word = match.group(2) if match.group(2) is not None else match.group(4)
        if match.group(2) is None and word.lower() == "or" and not neg:
            groups.append(([], []))
            continue
        if not _WORD_RE.search(word) or terms >= MAX_TERMS:
            continue
        terms += 1
        quoted = '"' + word.replace('"', '""') + '"'
        groups[-1][1 if neg else 0].append(quoted)
    parts = [" ".join(pos) + "".join(f" NOT {n}" for n in neg) for pos, neg in groups if pos]
    return Query(text=raw if parts else "", fts=" OR ".join(parts))


class Engine:
    """What differs between the databases; see the module docstring."""

    name = ""

    def matching(self, source: Source, query: Query) -> tuple[Any, Any, Any]:
        """(from clause, where condition, score expression) over the source's table."""
        raise NotImplementedError

    def snippets(
        self, session: Session, source: Source, query: Query, ids: list[int], marks: tuple[str, str]
    ) -> dict[int, dict[str, str]]:
        """For each id, each column's text around the matched words, `marks` around each match."""
        raise NotImplementedError

    def reindex(self, session: Session) -> None:
        raise NotImplementedError


class SQLiteEngine(Engine):
    """FTS5 external-content tables `search_<kind>` (migration 0011), ranked by bm25."""

    name = "sqlite"

    def matching(self, source: Source, query: Query) -> tuple[Any, Any, Any]:
        fts = table(source.fts, column("rowid"))
        model = source.model
        joined = fts.join(model, model.id == fts.c.rowid)
        condition = literal_column(source.fts).op("MATCH")(query.fts)
        # bm25 is lower for better matches.
        return joined, condition, -func.bm25(literal_column(source.fts))

    def snippets(self, session, source, query, ids, marks):
        if not ids:
            return {}
        start, end = marks
        parts = ", ".join(f"snippet({source.fts}, {i}, :start, :end, '…', 32)" for i in range(len(source.columns)))
        rows = session.execute(
            text(
                f"SELECT rowid, {parts} FROM {source.fts} WHERE {source.fts} MATCH :q "  # noqa: S608  # nosec B608 (our names)
                f"AND rowid IN ({', '.join(str(int(i)) for i in ids)})"
            ),
            {"q": query.fts, "start": start, "end": end},
        )
        return {row[0]: dict(zip(source.columns, row[1:], strict=True)) for row in rows}

    def reindex(self, session):
        for source in SOURCES.values():
            session.execute(text(f"INSERT INTO {source.fts}({source.fts}) VALUES ('rebuild')"))  # noqa: S608  # nosec B608 (our names)


def pg_config(source: Source) -> str:
    """The text search configuration of a row of `source`: by its language where it has one."""
    if source.language is None:
        return f"'{PG_DEFAULT_CONFIG}'::regconfig"
    whens = " ".join(f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in PG_CONFIGS.items())
    return f"(CASE {source.table}.{source.language} {whens} ELSE '{PG_DEFAULT_CONFIG}'::regconfig END)"


def pg_document(source: Source) -> str:
    """The indexed expression, exactly as migrations 0011 and 0021 wrote it (or the index is
    not used)."""
    joined = " || ' ' || ".join(f"coalesce({source.table}.{c}, '')" for c in source.columns)
    return f"to_tsvector({pg_config(source)}, {joined})"


def _tsquery(config: str, query: Query) -> Any:
    return func.websearch_to_tsquery(literal_column(f"'{config}'::regconfig"), query.text)


class PostgreSQLEngine(Engine):
    """GIN indexes on `to_tsvector(<the row's configuration>, ...)` (migrations 0011, 0021),
    ranked by ts_rank_cd."""

    name = "postgresql"

    def matching(self, source: Source, query: Query) -> tuple[Any, Any, Any]:
        document = literal_column(pg_document(source))
        if source.language is None:
            tsquery = _tsquery(PG_DEFAULT_CONFIG, query)
            condition = document.op("@@")(tsquery)
        else:
            # One indexable test per configuration (`document @@ <constant query>`), each kept
            # to the rows of its languages: the planner ORs the index scans.
            language = source.model.__table__.c[source.language]
            arms = [
                and_(language == code, document.op("@@")(_tsquery(config, query)))
                for code, config in PG_CONFIGS.items()
            ]
            arms.append(
                and_(
                    or_(language.is_(None), language.not_in(list(PG_CONFIGS))),
                    document.op("@@")(_tsquery(PG_DEFAULT_CONFIG, query)),
                )
            )
            condition = or_(*arms)
            tsquery = func.websearch_to_tsquery(literal_column(pg_config(source)), query.text)
        # As double precision: a real (float4) read back as a Python float is rounded, and the
        # cursor could then never compare equal to the row it came from.
        score = cast(func.ts_rank_cd(document, tsquery), Double)
        return source.model.__table__, condition, score

    def snippets(self, session, source, query, ids, marks):
        if not ids:
            return {}
        start, end = marks
        options = (
            f'StartSel="{start}", StopSel="{end}", MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
        )
        config = literal_column(pg_config(source))
        tsquery = func.websearch_to_tsquery(config, query.text)
        model = source.model
        # ts_headline's parser reads <...> as markup and leaves it out: hand it the text with
        # the angle brackets swapped for stand-ins, and put them back after.
        lt, gt = "\ue010", "\ue011"

        def plain(name: str) -> Any:
            return func.replace(func.replace(func.coalesce(getattr(model, name), ""), "<", lt), ">", gt)

        columns = [func.ts_headline(config, plain(c), tsquery, options) for c in source.columns]
        rows = session.execute(select(model.id, *columns).where(model.id.in_(ids)))
        return {
            row[0]: {c: v.replace(lt, "<").replace(gt, ">") for c, v in zip(source.columns, row[1:], strict=True)}
            for row in rows
        }

    def reindex(self, session):
        for source in SOURCES.values():
            session.execute(text(f"REINDEX INDEX {source.gin_index}"))


def engine_for(session: Session) -> Engine:
    """The engine of the session's database."""
    name = session.get_bind().dialect.name
    return PostgreSQLEngine() if name == "postgresql" else SQLiteEngine()
