"""The comment table's rows as the viewer may see them, read in keyset batches.

Every row comes from `policy.comment_visibility` (the same condition as the round page) and
every disposition through `policy.disposition_visibility`; authorship is shown at the level the
viewer may see (`policy.attribution_shown`), an answer's reason where `policy.can_read_answer_reason`
allows. Rows are read `BATCH` at a time on a session of their own, so an export of any size holds
one batch in memory and the generator outlives the request's session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session, aliased

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.comments.models import Attribution, Comment
from consult.dispositions.models import Acknowledgement, Disposition
from consult.drafts.models import Clause
from consult.rounds.models import Round

BATCH = 1000
ORDERS = ("clause", "mb")  # clause order, or by MB/NC code then number


@dataclass(slots=True)
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
    language: str = "en"  # the language the comment is written in (consult.languages)

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
    # Who reads an answer's reason depends on the round's phase (`policy.can_read_answer_reason`).
    reasons = _AnswerReasons(policy.as_viewer(viewer), round_.phase(now))
    return _iterate(database(), stmt, round_.id, reasons, batch, columns)


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
            Comment.language,
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


def _iterate(db: Any, stmt: Any, round_id: int, reasons: Any, batch: int, order: list[Any]) -> Iterator[ExportRow]:
    session = db.new_session(read_only=True)
    try:
        yield from _batches(session, stmt, round_id, reasons, batch, order)
    finally:
        session.rollback()
        session.close()


@dataclass(frozen=True)
class _AnswerReasons:
    """The viewer of an export and the round's phase: who reads an answer's reason."""

    viewer: Any
    phase: Any

    def readable(self, row: Any) -> bool:
        return policy.can_read_answer_reason(self.viewer, row, self.phase)


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
    session: Session, stmt: Any, round_id: int, reasons: Any, batch: int, order: list[Any]
) -> Iterator[ExportRow]:
    viewer = reasons.viewer
    attribution_shown = policy.attribution_reader(viewer)
    after = None
    names = [column.key for column in order]
    while True:
        page = stmt if after is None else stmt.where(tuple_(*order) > tuple_(*after))
        found = session.connection().execute(page).all()  # plain rows: no ORM loading to pay for
        further = _further_clauses(session, [r.id for r in found])
        for r in found:
            shown = attribution_shown(r).value
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
                acknowledgement_reason=(r.ack_reason or "") if reasons.readable(r) else "",
                number=(r.number or "") if shown != "group" else "",
                member_code=_member_code(r) if shown != "group" else "",
                line_number=r.line_number,
                paragraph=r.paragraph,
                clause_ref=r.clause_ref,
                source_number=r.source_number if shown != "group" else "",
                duplicate_of_id=r.duplicate_of_id,
                duplicate_of_number=_duplicate_number(viewer, r),
                other_clause_keys=further.get(r.id, []),
                language=r.language,
            )
        if len(found) < batch:
            return
        after = tuple(getattr(found[-1], name) for name in names)


def _member_code(r: Any) -> str:
    """The code the comment was numbered under, or its organisation's code (a draft's)."""
    return r.member_code or (r.org_mb_code or r.org_country or "").upper()


def _duplicate_number(viewer: Any, r: Any) -> str:
    """The number of the comment a DUPLICATE disposition names; nothing where it is withheld
    (the machine-readable `duplicate_of_id` still links them). "#id" only for a comment that was
    never numbered, so that a table sent back in names it (`numbering.find_by_number`)."""
    if r.duplicate_of_id is None:
        return ""
    if not r.dup_number:
        return f"#{r.duplicate_of_id}"
    other = _Attributed(r.dup_author_id, r.dup_organisation_id, r.dup_attribution)
    return r.dup_number if policy.can_see_attribution(viewer, other, Attribution.ORGANISATION) else ""
