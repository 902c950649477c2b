"""The comment table as the viewer may see it, read in keyset batches, and its serialisations.

Every row comes from `policy.comment_visibility` (the same condition as the round page) and
every disposition through `policy.disposition_visibility`; authorship is shown at the level the
viewer may see (`policy.can_see_attribution`). Rows are read `BATCH` at a time so an export of
any size holds one batch in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session, aliased

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.comments.models import Comment
from consult.dispositions.models import Acknowledgement, Disposition
from consult.drafts.models import Clause
from consult.rounds.models import Round

BATCH = 1000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


ORDERS = ("clause", "mb")  # clause order, or by MB/NC code then number


def header() -> list[str]:
    """The CSV's columns: the ISO/IEC template's eight, then what a spreadsheet user needs besides."""
    from consult.exports.isoform import headings

    return [*headings(), _("Disposition"), _("Organisation"), _("Stakeholder group"), _("Comment id")]


@dataclass
class ExportRow:
    id: int
    round_id: int
    clause_key: str | None
    clause_id: int | None
    clause_number: str
    clause_heading: str
    type: str
    body: str
    proposed_change: str
    status: str
    attribution_shown: str  # "person" | "organisation" | "group"
    organisation: str
    author: str
    group: str
    disposition_id: int | None
    disposition_kind: str
    observation: str
    answer_clause_id: int | None
    released: bool
    acknowledgement: str
    acknowledgement_reason: str
    number: str = ""  # "" where the viewer may not see the organisation (the number starts with its code)
    member_code: str = ""
    line_number: str = ""
    paragraph: str = ""
    clause_ref: str | None = None
    source_number: str = ""
    duplicate_of_id: int | None = None
    duplicate_of_number: str = ""
    other_clause_keys: list[str] = field(default_factory=list)

    @property
    def who(self) -> str:
        return self.organisation if self.attribution_shown != "group" else self.group

    @property
    def mb_cell(self) -> str:
        """The MB/NC cell: the comment's number ("KR-003"), its organisation's code while it has
        none (a draft), or only the stakeholder group where the viewer may not see more."""
        if self.attribution_shown == "group":
            return self.group
        return self.number or self.member_code

    def clause_cell(self, general: str) -> str:
        """The clause reference as written (blank too), else the clause's number, else `general`."""
        if self.clause_ref is not None:
            return self.clause_ref
        return self.clause_number or general


@dataclass(frozen=True)
class Viewer:
    """What policy needs to know of a signed-in viewer, detached from any session (a streamed
    response outlives the request's session)."""

    id: int
    role: Any
    organisation_id: int | None
    is_authenticated: bool = True
    is_active: bool = True


def snapshot(viewer: Any) -> Any:
    if not getattr(viewer, "is_authenticated", False):
        return viewer
    return Viewer(viewer.id, viewer.role, viewer.organisation_id, True, viewer.is_active)


def _order_columns(order: str) -> list[Any]:
    if order == "mb":
        return [Comment.member_code, Comment.number_seq, Comment.id]
    return [Comment.clause_position, Comment.member_code, Comment.number_seq, Comment.id]


def rows(round_: Round, viewer: Any, now: Any, batch: int = BATCH, order: str = "clause") -> Iterator[ExportRow]:
    """Every comment of `round_` that `viewer` sees on the round page: in document order (within
    a clause by MB/NC code and number), or with `order="mb"` by MB/NC code, then number.

    The statement is built now (with the viewer's visibility); the rows are read later, in
    keyset batches, on a session of their own that is closed when the iteration ends.
    """
    from consult.db import database

    columns = _order_columns(order if order in ORDERS else "clause")
    stmt = _statement(round_, viewer, now, batch, columns)
    return _iterate(database(), stmt, round_.id, snapshot(viewer), batch, columns)


def _statement(round_: Round, viewer: Any, now: Any, batch: int, order: list[Any]) -> Any:
    clause = aliased(Clause)
    duplicate = aliased(Comment)
    stmt = (
        select(
            Comment.id,
            Comment.clause_position,
            Comment.clause_key,
            Comment.type,
            Comment.body,
            Comment.proposed_change,
            Comment.status,
            Comment.attribution,
            Comment.author_id,
            Comment.organisation_id,
            Comment.number,
            Comment.member_code,
            Comment.number_seq,
            Comment.line_number,
            Comment.paragraph,
            Comment.clause_ref,
            Comment.source_number,
            Organisation.mb_code.label("org_mb_code"),
            Organisation.country.label("org_country"),
            Disposition.duplicate_of_id,
            duplicate.number.label("dup_number"),
            duplicate.attribution.label("dup_attribution"),
            duplicate.author_id.label("dup_author_id"),
            duplicate.organisation_id.label("dup_organisation_id"),
            clause.id.label("clause_id"),
            clause.number.label("clause_number"),
            clause.heading.label("clause_heading"),
            Organisation.name.label("organisation_name"),
            User.display_name.label("author_name"),
            StakeholderGroup.name.label("group_name"),
            Disposition.id.label("disposition_id"),
            Disposition.kind.label("disposition_kind"),
            Disposition.observation,
            Disposition.answer_clause_id,
            Disposition.released_at,
            Acknowledgement.kind.label("ack_kind"),
            Acknowledgement.reason.label("ack_reason"),
        )
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .join(User, User.id == Comment.author_id)
        .join(StakeholderGroup, StakeholderGroup.id == Comment.stakeholder_group_id)
        .outerjoin(clause, and_(clause.version_id == round_.version_id, clause.key == Comment.clause_key))
        .outerjoin(Disposition, and_(Disposition.comment_id == Comment.id, policy.disposition_visibility(viewer)))
        .outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)
        .outerjoin(duplicate, duplicate.id == Disposition.duplicate_of_id)
        .where(Comment.round_id == round_.id, policy.comment_visibility(viewer, now))
        .order_by(*order)
        .limit(batch)
    )
    return stmt


def _iterate(db: Any, stmt: Any, round_id: int, viewer: Any, batch: int, order: list[Any]) -> Iterator[ExportRow]:
    session = db.new_session(read_only=True)
    try:
        yield from _batches(session, stmt, round_id, viewer, batch, order)
    finally:
        session.rollback()
        session.close()


@dataclass(frozen=True)
class _Attributed:
    """What `policy.can_see_attribution` reads of a comment."""

    author_id: int
    organisation_id: int
    attribution: Any


def _further_clauses(session: Session, ids: list[int]) -> dict[int, list[str]]:
    from consult.comments.models import CommentClause

    found: dict[int, list[str]] = {}
    if ids:
        for comment_id, key in session.execute(
            select(CommentClause.comment_id, CommentClause.clause_key)
            .where(CommentClause.comment_id.in_(ids))
            .order_by(CommentClause.comment_id, CommentClause.clause_key)
        ):
            found.setdefault(comment_id, []).append(key)
    return found


def _batches(
    session: Session, stmt: Any, round_id: int, viewer: Any, batch: int, order: list[Any]
) -> Iterator[ExportRow]:
    after = None
    names = [column.key for column in order]
    while True:
        page = stmt if after is None else stmt.where(tuple_(*order) > tuple_(*after))
        found = session.execute(page).all()
        further = _further_clauses(session, [r.id for r in found])
        for r in found:
            if policy.can_see_attribution(viewer, r, "person"):
                shown = "person"
            elif policy.can_see_attribution(viewer, r, "organisation"):
                shown = "organisation"
            else:
                shown = "group"
            yield ExportRow(
                id=r.id,
                round_id=round_id,
                clause_key=r.clause_key,
                clause_id=r.clause_id,
                clause_number=r.clause_number or "",
                clause_heading=r.clause_heading or "",
                type=r.type.value,
                body=r.body,
                proposed_change=r.proposed_change,
                status=r.status.value,
                attribution_shown=shown,
                organisation=r.organisation_name if shown != "group" else "",
                author=r.author_name if shown == "person" else "",
                group=r.group_name,
                disposition_id=r.disposition_id,
                disposition_kind=r.disposition_kind.value if r.disposition_kind else "",
                observation=r.observation or "",
                answer_clause_id=r.answer_clause_id,
                released=r.released_at is not None,
                acknowledgement=r.ack_kind.value if r.ack_kind else "",
                acknowledgement_reason=r.ack_reason or "",
                number=(r.number or "") if shown != "group" else "",
                member_code=_member_code(r) if shown != "group" else "",
                line_number=r.line_number,
                paragraph=r.paragraph,
                clause_ref=r.clause_ref,
                source_number=r.source_number if shown != "group" else "",
                duplicate_of_id=r.duplicate_of_id,
                duplicate_of_number=_duplicate_number(viewer, r),
                other_clause_keys=further.get(r.id, []),
            )
        if len(found) < batch:
            return
        after = tuple(getattr(found[-1], name) for name in names)


def _member_code(r: Any) -> str:
    """The code the comment was numbered under, or its organisation's code (a draft's)."""
    return r.member_code or (r.org_mb_code or r.org_country or "").upper()


def _duplicate_number(viewer: Any, r: Any) -> str:
    """The number of the comment a DUPLICATE disposition names, or "#id" where it is withheld."""
    if r.duplicate_of_id is None:
        return ""
    other = _Attributed(r.dup_author_id, r.dup_organisation_id, r.dup_attribution)
    if r.dup_number and policy.can_see_attribution(viewer, other, "organisation"):
        return r.dup_number
    return f"#{r.duplicate_of_id}"


def neutralise(value: Any) -> Any:
    """A cell that a spreadsheet would read as a formula gets a leading quote (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Labels:
    """The words an export uses, translated up front: the rows are written after the request."""

    header: list[str]
    kinds: dict[str, str]
    types: dict[str, str]
    general: str
    cell_kinds: dict[str, str] = field(default_factory=dict)  # how an observation cell names a kind
    general_clause: str = "General"  # the clause cell of a general comment


def labels(kinds: dict, types: dict, cell_kinds: dict | None = None) -> Labels:
    return Labels(
        header(),
        {k.value: str(v) for k, v in kinds.items()},
        {k.value: str(v) for k, v in types.items()},
        _("general"),
        {k.value: str(v) for k, v in (cell_kinds or kinds).items()},
        _("General"),
    )


def table_row(row: ExportRow, words: Labels) -> list[Any]:
    """A CSV line: the ISO form's eight cells, the disposition, organisation, group and id."""
    from consult.exports.isoform import cells

    return [
        *cells(row, words),
        words.kinds.get(row.disposition_kind, row.disposition_kind),
        row.organisation,
        row.group,
        row.id,
    ]


def csv_chunks(rows_: Iterator[ExportRow], words: Labels) -> Iterator[str]:
    """The CSV file, a batch of lines at a time (UTF-8 with a BOM so spreadsheets read it right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in words.header])
    for n, row in enumerate(rows_, start=1):
        writer.writerow([neutralise(v) for v in table_row(row, words)])
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def file_chunks(spool: Any, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := spool.read(size):
            yield chunk
    finally:
        spool.close()


def json_chunks(session: Session, round_: Round, viewer: Any, now: Any) -> Iterator[str]:
    """The round, its version and clauses, then every visible comment, with stable ids."""
    head = _json_head(session, round_)
    return _json_stream(head, rows(round_, viewer, now))


def _json_stream(head: dict[str, Any], rows_: Iterator[ExportRow]) -> Iterator[str]:
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "comments": ['
    for n, row in enumerate(rows_):
        yield ("," if n else "") + "\n" + json.dumps(_json_comment(row), ensure_ascii=False)
    yield "\n]}\n"


def _json_head(session: Session, round_: Round) -> dict[str, Any]:
    version = round_.version
    clauses = session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.position))
    head = {
        "round": {
            "id": round_.id,
            "title": round_.title,
            "consultation_id": round_.consultation_id,
            "opens_at": round_.opens_at.isoformat(),
            "closes_at": round_.closes_at.isoformat(),
            "status": round_.status.value,
        },
        "version": {"id": version.id, "draft_id": version.draft_id, "number": version.number},
        "clauses": [
            {"id": c.id, "key": c.key, "number": c.number, "heading": c.heading, "position": c.position}
            for c in clauses
        ],
    }
    return head


def _json_comment(row: ExportRow) -> dict[str, Any]:
    disposition = None
    if row.disposition_id is not None:
        disposition = {
            "id": row.disposition_id,
            "kind": row.disposition_kind,
            "observation": row.observation,
            "answer_clause_id": row.answer_clause_id,
            "released": row.released,
            "acknowledgement": row.acknowledgement or None,
            "acknowledgement_reason": row.acknowledgement_reason,
            "duplicate_of": row.duplicate_of_id,
        }
    return {
        "id": row.id,
        "round_id": row.round_id,
        "clause_id": row.clause_id,
        "clause_key": row.clause_key,
        "clause_number": row.clause_number or None,
        "clause_ref": row.clause_ref,
        "other_clause_keys": row.other_clause_keys,
        "number": row.number or None,
        "mb_code": row.member_code or None,
        "source_number": row.source_number or None,
        "line_number": row.line_number or None,
        "paragraph": row.paragraph or None,
        "type": row.type,
        "status": row.status,
        "body": row.body,
        "proposed_change": row.proposed_change,
        "stakeholder_group": row.group,
        "organisation": row.organisation or None,
        "author": row.author or None,
        "disposition": disposition,
    }
