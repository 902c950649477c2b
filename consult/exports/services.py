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
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
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


def header() -> list[str]:
    """The ISO/IEC commenting template's columns."""
    return [
        _("Organisation"),
        _("Number"),
        _("Clause"),
        _("Paragraph"),
        _("Type"),
        _("Comment"),
        _("Proposed change"),
        _("Observations (disposition)"),
    ]


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

    @property
    def who(self) -> str:
        return self.organisation if self.attribution_shown != "group" else self.group

    def observations(self, labels: dict) -> str:
        if not self.disposition_kind:
            return ""
        label = str(labels.get(self.disposition_kind, self.disposition_kind))
        return f"{label}: {self.observation}" if self.observation else label


def rows(round_: Round, viewer: Any, now: Any, batch: int = BATCH) -> Iterator[ExportRow]:
    """Every comment of `round_` that `viewer` sees on the round page, in document order.

    The statement is built now (with the viewer's visibility); the rows are read later, in
    keyset batches, on a session of their own that is closed when the iteration ends.
    """
    from consult.db import database

    stmt = _statement(round_, viewer, now, batch)
    return _iterate(database(), stmt, round_.id, policy.as_viewer(viewer), batch)


def _statement(round_: Round, viewer: Any, now: Any, batch: int) -> Any:
    clause = aliased(Clause)
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
        .where(Comment.round_id == round_.id, policy.comment_visibility(viewer, now))
        .order_by(Comment.clause_position, Comment.id)
        .limit(batch)
    )
    return stmt


def _iterate(db: Any, stmt: Any, round_id: int, viewer: Any, batch: int) -> Iterator[ExportRow]:
    session = db.new_session(read_only=True)
    try:
        yield from _batches(session, stmt, round_id, viewer, batch)
    finally:
        session.rollback()
        session.close()


def _batches(session: Session, stmt: Any, round_id: int, viewer: Any, batch: int) -> Iterator[ExportRow]:
    after = None
    while True:
        page = stmt if after is None else stmt.where(tuple_(Comment.clause_position, Comment.id) > tuple_(*after))
        found = session.execute(page).all()
        for r in found:
            shown = policy.attribution_shown(viewer, r).value
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
            )
        if len(found) < batch:
            return
        after = (found[-1].clause_position, found[-1].id)


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


def labels(kinds: dict, types: dict) -> Labels:
    return Labels(
        header(),
        {k.value: str(v) for k, v in kinds.items()},
        {k.value: str(v) for k, v in types.items()},
        _("general"),
    )


def table_row(row: ExportRow, words: Labels) -> list[Any]:
    return [
        row.who,
        row.id,
        row.clause_number or words.general,
        "",
        words.types.get(row.type, row.type),
        row.body,
        row.proposed_change,
        row.observations(words.kinds),
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


def xlsx_file(rows_: Iterator[ExportRow], words: Labels, title: str) -> Any:
    """The XLSX workbook in a temporary file (write-only mode: rows go straight to disk)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))

    def cells(values: list[Any]) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            out.append(cell)
        return out

    sheet.append(cells(words.header))
    for row in rows_:
        sheet.append(cells(table_row(row, words)))
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 (streamed, then closed)
    workbook.save(spool)
    spool.seek(0)
    return spool


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    return cleaned or "Comments"


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
        }
    return {
        "id": row.id,
        "round_id": row.round_id,
        "clause_id": row.clause_id,
        "clause_key": row.clause_key,
        "clause_number": row.clause_number or None,
        "type": row.type,
        "status": row.status,
        "body": row.body,
        "proposed_change": row.proposed_change,
        "stakeholder_group": row.group,
        "organisation": row.organisation or None,
        "author": row.author or None,
        "disposition": disposition,
    }
