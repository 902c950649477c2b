"""Import of comments from an ISO-style XLSX sheet, filled offline by a delegation.

All or nothing: every row is checked (clause exists, type known, round open, the importer may
speak for the organisation named) and every problem is listed with its row number; the
comments are stored only when no row has a problem, in the caller's one transaction.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import Organisation, User
from consult.comments import services as comments
from consult.comments.models import Attribution, Comment, CommentType
from consult.db import utcnow
from consult.drafts.models import Clause
from consult.errors import DomainError, Invalid
from consult.exports.services import header
from consult.policy import Permission
from consult.rounds.models import Round

MAX_ROWS = 5_000
TYPE_WORDS = {
    "general": CommentType.GENERAL,
    "ge": CommentType.GENERAL,
    "technical": CommentType.TECHNICAL,
    "te": CommentType.TECHNICAL,
    "editorial": CommentType.EDITORIAL,
    "ed": CommentType.EDITORIAL,
}


@dataclass
class Problem:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    reason: str


class ImportRefused(Invalid):
    """The sheet has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(_("Nothing was imported: %(n)d problems.", n=len(problems)))
        self.problems = problems


def template_file(round_: Round, session: Session) -> Any:
    """An empty sheet with the template's columns and a row of example values."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Comments"
    sheet.append(header())
    first = session.scalar(
        select(Clause.number).where(Clause.version_id == round_.version_id).order_by(Clause.position).limit(1)
    )
    example = [_("Your organisation"), "", first or "", "", "technical", _("Your comment"), _("Your proposed text"), ""]
    for col, value in enumerate(example, start=1):
        sheet.cell(row=2, column=col, value=value).data_type = "s"
    spool = tempfile.SpooledTemporaryFile()  # noqa: SIM115 (streamed, then closed)
    workbook.save(spool)
    spool.seek(0)
    return spool


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def import_comments(
    session: Session, *, actor: User, round_: Round, data: bytes, now: datetime | None = None
) -> list[Comment]:
    """Check every row of the sheet and, when all are fine, store them as submitted comments."""
    from openpyxl import load_workbook

    policy.require(actor, Permission.COMMENT_CREATE)
    now = now or utcnow()
    problems: list[Problem] = []
    if actor.organisation_id is None:
        raise ImportRefused([Problem(0, _("Only people who speak for an organisation can import comments."))])
    if not round_.is_open(now):
        raise ImportRefused([Problem(0, _("This round is not open for comments."))])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on files that are not workbooks
        raise ImportRefused([Problem(0, _("This file is not an XLSX workbook. Use the template."))]) from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        first = [_text(v) for v in next(lines, ())][:8]
        if [v.lower() for v in first] != [h.lower() for h in header()]:
            raise ImportRefused([Problem(1, _("The first row must hold the template's column headings."))])
        organisation = session.get(Organisation, actor.organisation_id)
        clauses = {
            number: key
            for number, key in session.execute(
                select(Clause.number, Clause.key).where(Clause.version_id == round_.version_id)
            )
        }
        accepted: list[tuple[int, comments.CommentInput]] = []
        for n, values in enumerate(lines, start=2):
            cells = [_text(v) for v in (list(values) + [None] * 8)[:8]]
            if not any(cells):
                continue
            if n - 1 > MAX_ROWS:
                problems.append(Problem(n, _("A sheet may hold at most %(n)d comments.", n=MAX_ROWS)))
                break
            org, _number, clause, paragraph, kind, body, change, _observations = cells
            reasons = []
            if org.casefold() != organisation.name.casefold():
                reasons.append(_("you cannot speak for the organisation “%(org)s”", org=org or "—"))
            if clause.lower() in ("", "general", _("general").lower()):
                key = None
            elif clause in clauses:
                key = clauses[clause]
            else:
                key = None
                reasons.append(_("there is no clause “%(clause)s” in the text under comment", clause=clause))
            comment_type = TYPE_WORDS.get(kind.lower())
            if comment_type is None:
                reasons.append(_("the type must be general, technical or editorial (ge, te, ed)"))
            if not body:
                reasons.append(_("the comment is empty"))
            elif len(body) > comments.MAX_BODY or len(change) > comments.MAX_BODY:
                reasons.append(_("a comment may have at most %(n)d characters", n=comments.MAX_BODY))
            if reasons:
                problems.append(Problem(n, "; ".join(reasons)))
                continue
            if paragraph:
                body = _("Paragraph %(p)s: %(body)s", p=paragraph, body=body)
            accepted.append((n, comments.CommentInput(key, comment_type, body, change, Attribution.ORGANISATION)))
    finally:
        workbook.close()
    if problems:
        raise ImportRefused(problems)
    if not accepted:
        raise ImportRefused([Problem(2, _("The sheet holds no comments."))])
    digest = hashlib.sha256(data).hexdigest()[:40]
    stored = []
    for n, item in accepted:
        try:
            comment, _created = comments.save_comment(
                session, actor=actor, round_=round_, data=item, nonce=f"xlsx-{digest}-{n}", submit=True, now=now
            )
        except DomainError as exc:
            problems.append(Problem(n, str(exc)))
            continue
        stored.append(comment)
    if problems:
        raise ImportRefused(problems)  # the caller does not commit: nothing is kept
    return stored
