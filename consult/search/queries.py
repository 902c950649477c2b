"""Search across consultations, rounds, clauses, comments and dispositions, as the viewer may see.

One statement finds a page of hits: a UNION ALL of one arm per kind, each joining its full-text
index (`engines`), filtered in SQL by the policy's own conditions (`visible_consultations`,
`round_visibility`, `comment_visibility`, `disposition_visibility`, `attribution_visibility`),
ordered by relevance or date with a keyset cursor. Nothing is counted beyond the rows a
viewer may see: the page says only whether more follow. A fixed number of statements then
loads what the page shows (comments with their people, rounds, clauses, consultations) and
the matched words of each hit.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import and_, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from consult import policy
from consult.comments.models import Comment, CommentStatus, CommentType
from consult.consultations.models import Consultation
from consult.dispositions.models import Disposition
from consult.drafts.models import Clause, Draft, DraftVersion
from consult.rounds.models import Round
from consult.rounds.queries import with_people
from consult.search.engines import Engine, Query, engine_for
from consult.search.models import KINDS, SOURCES

PAGE_SIZE = 20
MAX_PAGE = 50
SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchFilters:
    """Narrowing a search; a kind takes part only when every filter set applies to it."""

    kind: str | None = None
    consultation_id: int | None = None
    round_id: int | None = None
    clause_key: str | None = None
    general_only: bool = False
    group_id: int | None = None
    organisation_id: int | None = None
    type: CommentType | None = None
    status: CommentStatus | None = None
    language: str | None = None  # the language a comment is written in (consult.languages)

    def kinds(self) -> tuple[str, ...]:
        allowed = set(KINDS) if self.kind is None else {self.kind}
        if self.round_id is not None:
            allowed -= {"consultation"}
        if self.clause_key is not None:
            allowed &= {"clause", "comment", "disposition"}
        if self.general_only:
            allowed &= {"comment", "disposition"}
        if self.group_id is not None or self.organisation_id is not None or self.type is not None:
            allowed &= {"comment", "disposition"}
        if self.status is not None or self.language is not None:
            allowed &= {"comment"}
        return tuple(k for k in KINDS if k in allowed)

    def as_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "kind": self.kind,
            "consultation": self.consultation_id,
            "round": self.round_id,
            "clause": "general" if self.general_only else self.clause_key,
            "group": self.group_id,
            "organisation": self.organisation_id,
            "type": self.type.value if self.type else None,
            "status": self.status.value if self.status else None,
            "language": self.language,
        }
        return {k: v for k, v in args.items() if v is not None}


# --- Cursors ---------------------------------------------------------------------------------


def encode_cursor(sort: str, key: tuple) -> str:
    value = key[0].isoformat() if isinstance(key[0], datetime) else key[0]
    raw = json.dumps([sort[0], value, key[1], key[2]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple | None:
    """The position a cursor names, or None when it is not one this search made."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        tag, value, kind, ident = data
        if tag != sort[0] or kind not in KINDS or type(ident) is not int or not 0 < ident < 2**31:
            return None
        if sort == "date":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                return None
        elif type(value) not in (int, float):
            return None
        return (value, kind, ident)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        return None


# --- The statement ---------------------------------------------------------------------------


def _arm(engine: Engine, kind: str, query: Query, viewer: Any, filters: SearchFilters, now: datetime) -> Any:
    """One kind's hits: (kind, id, score, at) of the rows that match and the viewer may see."""
    source = SOURCES[kind]
    joined, match, score = engine.matching(source, query)
    model = source.model
    at = {
        "consultation": Consultation.created_at,
        "round": Round.created_at,
        "clause": DraftVersion.created_at,
        "comment": func.coalesce(Comment.submitted_at, Comment.created_at),
        "disposition": Disposition.updated_at,
    }[kind]
    stmt = select(literal(kind).label("kind"), model.id.label("id"), score.label("score"), at.label("at")).select_from(
        joined
    )
    stmt = stmt.where(match)
    f = filters
    if kind == "consultation":
        stmt = policy.visible_consultations(stmt, viewer)
        if f.consultation_id is not None:
            stmt = stmt.where(Consultation.id == f.consultation_id)
    elif kind == "round":
        stmt = policy.visible_rounds(stmt, viewer)
        if f.consultation_id is not None:
            stmt = stmt.where(Round.consultation_id == f.consultation_id)
        if f.round_id is not None:
            stmt = stmt.where(Round.id == f.round_id)
    elif kind == "clause":
        stmt = (
            stmt.join(DraftVersion, DraftVersion.id == Clause.version_id)
            .join(Draft, Draft.id == DraftVersion.draft_id)
            .join(Consultation, Consultation.id == Draft.consultation_id)
        )
        stmt = policy.visible_consultations(stmt, viewer)
        if f.consultation_id is not None:
            stmt = stmt.where(Consultation.id == f.consultation_id)
        if f.round_id is not None:
            round_version = select(Round.version_id).where(Round.id == f.round_id, policy.round_visibility(viewer))
            stmt = stmt.where(Clause.version_id == round_version.scalar_subquery())
        if f.clause_key is not None:
            stmt = stmt.where(Clause.key == f.clause_key)
    else:
        if kind == "disposition":
            stmt = stmt.join(Comment, Comment.id == Disposition.comment_id).where(
                policy.disposition_visibility(viewer),
                Comment.status == CommentStatus.ACCEPTED,
                Comment.hidden_at.is_(None),
            )
        stmt = stmt.where(policy.comment_visibility(viewer, now))
        stmt = _comment_filters(stmt, viewer, f)
    return stmt


def _comment_filters(stmt: Any, viewer: Any, f: SearchFilters) -> Any:
    if f.consultation_id is not None:
        stmt = stmt.where(Comment.round_id.in_(select(Round.id).where(Round.consultation_id == f.consultation_id)))
    if f.round_id is not None:
        stmt = stmt.where(Comment.round_id == f.round_id)
    if f.general_only:
        stmt = stmt.where(Comment.clause_key.is_(None))
    elif f.clause_key is not None:
        stmt = stmt.where(Comment.clause_key == f.clause_key)
    if f.group_id is not None:
        stmt = stmt.where(Comment.stakeholder_group_id == f.group_id)
    if f.organisation_id is not None:
        # Only where the viewer may know the organisation: never behind a group-only comment.
        stmt = stmt.where(
            Comment.organisation_id == f.organisation_id, policy.attribution_visibility(viewer, "organisation")
        )
    if f.type is not None:
        stmt = stmt.where(Comment.type == f.type)
    if f.status is not None:
        stmt = stmt.where(Comment.status == f.status)
    if f.language is not None:
        stmt = stmt.where(Comment.language == f.language)
    return stmt


@dataclass
class Hit:
    kind: str
    id: int
    score: float
    at: datetime | None
    consultation: Consultation | None = None
    round: Round | None = None
    version: DraftVersion | None = None
    clause: Clause | None = None
    comment: Comment | None = None
    disposition: Disposition | None = None
    snippets: dict[str, Markup] = field(default_factory=dict)


@dataclass
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None


def search(
    session: Session,
    viewer: Any,
    query: Query,
    filters: SearchFilters,
    sort: str = "relevance",
    after: tuple | None = None,
    size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> SearchPage:
    """One page of what `viewer` may see that matches `query`, with what each hit shows."""
    from consult.db import utcnow

    now = now or utcnow()
    kinds = filters.kinds()
    if query.empty or not kinds:
        return SearchPage([], None)
    engine = engine_for(session)
    hits_q = union_all(*(_arm(engine, k, query, viewer, filters, now) for k in kinds)).subquery("hits")
    first = hits_q.c.score if sort == "relevance" else hits_q.c.at
    stmt = select(hits_q.c.kind, hits_q.c.id, hits_q.c.score, hits_q.c.at)
    if after is not None:
        value, kind, ident = after
        stmt = stmt.where(or_(first < value, and_(first == value, tuple_(hits_q.c.kind, hits_q.c.id) > (kind, ident))))
    stmt = stmt.order_by(first.desc(), hits_q.c.kind, hits_q.c.id).limit(size + 1)
    rows = session.execute(stmt).all()
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor(sort, (last.score if sort == "relevance" else last.at, last.kind, last.id))
    hits = [Hit(r.kind, r.id, r.score, r.at) for r in rows]
    _load(session, engine, query, hits)
    return SearchPage(hits, next_cursor)


# --- What the page shows ---------------------------------------------------------------------


def highlight(snippet: str | None, marks: tuple[str, str]) -> Markup:
    """The snippet escaped, then <mark> put where the engine marked the matched words: the
    markers are random per search, so no stored text can open or close a tag."""
    start, end = marks
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace(start, "<mark>").replace(end, "</mark>"))  # noqa: S704  # nosec B704


def _load(session: Session, engine: Engine, query: Query, hits: list[Hit]) -> None:
    ids: dict[str, list[int]] = {k: [h.id for h in hits if h.kind == k] for k in KINDS}
    dispositions = {d.id: d for d in session.scalars(select(Disposition).where(Disposition.id.in_(ids["disposition"])))}
    comment_ids = set(ids["comment"]) | {d.comment_id for d in dispositions.values()}
    comments = {
        c.id: c for c in session.scalars(with_people(select(Comment).where(Comment.id.in_(comment_ids)))).unique()
    }
    clause_hits = {c.id: c for c in session.scalars(select(Clause).where(Clause.id.in_(ids["clause"])))}
    round_ids = set(ids["round"]) | {c.round_id for c in comments.values()}
    rounds = {r.id: r for r in session.scalars(select(Round).where(Round.id.in_(round_ids)))}
    versions = {
        v.id: v
        for v in session.scalars(
            select(DraftVersion).where(DraftVersion.id.in_({c.version_id for c in clause_hits.values()}))
        )
    }
    keys = {(rounds[c.round_id].version_id, c.clause_key) for c in comments.values() if c.clause_key}
    clauses_by_key = {}
    if keys:
        clauses_by_key = {
            (c.version_id, c.key): c
            for c in session.scalars(select(Clause).where(tuple_(Clause.version_id, Clause.key).in_(list(keys))))
        }
    consultation_ids = (
        set(ids["consultation"])
        | {r.consultation_id for r in rounds.values()}
        | {v.draft.consultation_id for v in versions.values()}
    )
    consultations = {
        c.id: c for c in session.scalars(select(Consultation).where(Consultation.id.in_(consultation_ids)))
    }
    token = secrets.token_hex(8)
    marks = (f"\ue000{token}\ue001", f"\ue002{token}\ue001")
    snippets = {
        kind: engine.snippets(session, SOURCES[kind], query, kind_ids, marks)
        for kind, kind_ids in ids.items()
        if kind_ids
    }
    for hit in hits:
        texts = snippets.get(hit.kind, {}).get(hit.id, {})
        hit.snippets = {column: highlight(value, marks) for column, value in texts.items()}
        if hit.kind == "consultation":
            hit.consultation = consultations.get(hit.id)
        elif hit.kind == "round":
            hit.round = rounds.get(hit.id)
        elif hit.kind == "clause":
            hit.clause = clause_hits.get(hit.id)
            hit.version = versions.get(hit.clause.version_id) if hit.clause else None
            hit.consultation = consultations.get(hit.version.draft.consultation_id) if hit.version else None
        else:
            if hit.kind == "disposition":
                hit.disposition = dispositions.get(hit.id)
                hit.comment = comments.get(hit.disposition.comment_id) if hit.disposition else None
            else:
                hit.comment = comments.get(hit.id)
            if hit.comment is not None:
                hit.round = rounds.get(hit.comment.round_id)
                if hit.round is not None and hit.comment.clause_key:
                    hit.clause = clauses_by_key.get((hit.round.version_id, hit.comment.clause_key))
        if hit.round is not None and hit.consultation is None:
            hit.consultation = consultations.get(hit.round.consultation_id)
