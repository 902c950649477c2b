"""The comment table's serialisations: CSV (formula injection neutralised), JSON with stable
ids, and the words they use. The rows themselves, as the viewer may see them, come from
`consult.exports.rows`; the ISO form (XLSX, Word) from `consult.exports.isoform`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.drafts.models import Clause
from consult.exports.rows import ExportRow, rows
from consult.rounds.labels import PHASE_LABELS
from consult.rounds.models import Round


def header() -> list[str]:
    """The CSV's columns: the ISO/IEC template's eight, then what a spreadsheet user needs besides."""
    from consult.exports.isoform import headings, language_heading

    return [
        *headings(),
        _("Disposition"),
        _("Organisation"),
        _("Stakeholder group"),
        language_heading(),
        _("Comment id"),
    ]


# A formula lead at the start of a field, or after anything a spreadsheet may cut a field at:
# the separators of the common locales (`,` `;` tab) and line breaks (a program that splits on
# another separator no longer sees the quotes, and a line break inside a field ends its row).
_FORMULA_AT_A_CUT = re.compile(r"(^|[,;\t\r\n])([ ]*)(?=[=+\-@])")


def neutralise(value: Any) -> Any:
    """A text a spreadsheet could read as a formula, whatever separator it splits on, gets a
    quote before each formula lead that could begin a cell (CSV injection)."""
    if not isinstance(value, str):
        return value
    if value.startswith(("\t", "\r")):
        value = "'" + value
    if "=" not in value and "+" not in value and "-" not in value and "@" not in value:
        return value  # no formula lead anywhere (most cells): the pattern need not run
    return _FORMULA_AT_A_CUT.sub(lambda m: f"{m.group(1)}{m.group(2)}'", value)


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
    """A CSV line: the ISO form's eight cells, the disposition, organisation, group, the comment's
    language (its ISO 639-1 code) and its id."""
    from consult.exports.isoform import cells

    return [
        *cells(row, words),
        words.kinds.get(row.disposition_kind, row.disposition_kind),
        row.organisation,
        row.group,
        row.language,
        row.id,
    ]


def csv_chunks(rows_: Iterator[ExportRow], words: Labels) -> Iterator[str]:
    """The CSV file, a batch of lines at a time (UTF-8 with a BOM so spreadsheets read it right).

    Every field is quoted: a spreadsheet set to split on `;` or a tab (Excel in German or French
    settings, LibreOffice) would otherwise cut `a;=1+1` into a formula cell. A field that starts
    like a formula is neutralised as well (`neutralise`), since quoting alone does not stop that."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
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
    head = _json_head(session, round_, now)
    return _json_stream(head, rows(round_, viewer, now))


def _json_stream(head: dict[str, Any], rows_: Iterator[ExportRow]) -> Iterator[str]:
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "comments": ['
    for n, row in enumerate(rows_):
        yield ("," if n else "") + "\n" + json.dumps(_json_comment(row), ensure_ascii=False)
    yield "\n]}\n"


def _json_head(session: Session, round_: Round, now: Any) -> dict[str, Any]:
    # The round's phase as the pages give it ("closed", not the stored step "approved" of a
    # round closed early): the clock is part of it (`Round.phase`).
    phase = round_.phase(now)
    version = round_.version
    clauses = session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.position))
    head = {
        "round": {
            "id": round_.id,
            "title": round_.title,
            "consultation_id": round_.consultation_id,
            "opens_at": round_.opens_at.isoformat(),
            "closes_at": round_.closes_at.isoformat(),
            "phase": phase.value,
            "phase_label": str(PHASE_LABELS[phase]),
        },
        "version": {
            "id": version.id,
            "draft_id": version.draft_id,
            "number": version.number,
            "language": version.language,
        },
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
        "language": row.language,
        "body": row.body,
        "proposed_change": row.proposed_change,
        "stakeholder_group": row.group,
        "organisation": row.organisation or None,
        "author": row.author or None,
        "disposition": disposition,
    }
