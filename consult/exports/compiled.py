"""The secretariat's import of a compiled comment table: many organisations at once.

Each row's MB/NC cell names an organisation by its code (its MB/NC code, or its country code
where no other organisation shares it), or by its name; an unknown or shared code is a
problem of that row. The table's own numbers are kept as written ("US 021" in the MB/NC cell,
or a number column's "C-1", filed as "ACME C-1"), so that the exported table reads as the
imported one; rows without a number are numbered like submitted comments ("KR-004"). The
comments are stored as accepted comments of their organisations, attributed to the
organisation (the importer is their author of record). The secretariat's observations, when
the round has closed, are recorded as dispositions, kept private until released; the decision
is read from the observation's first words (`dispositions.vocabulary`), and "Duplicate of
US 021" links the other comment.

All or nothing, like every import: every row is checked and every problem listed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.auth.models import Organisation, User
from consult.comments import numbering
from consult.comments.models import Attribution, Comment, CommentClause, CommentStatus
from consult.db import utcnow
from consult.dispositions import services as dispositions
from consult.dispositions import vocabulary
from consult.dispositions.models import DispositionKind
from consult.errors import DomainError
from consult.exports.importer import Checked, ImportRefused, Problem, check_row, clause_index, read
from consult.languages import interface_language
from consult.policy import Permission
from consult.rounds.models import Phase, Round
from consult.rounds.services import lock_round

IMPORTABLE = (Phase.OPEN, Phase.CLOSED)
AMBIGUOUS = object()  # a code that more than one organisation has


@dataclass
class Filed:
    """A checked row with its organisation and number."""

    checked: Checked
    organisation: Organisation
    code: str
    number: str | None  # as written; None: give one
    source_number: str


class Codes:
    """Organisations by MB/NC code and by name, for reading MB/NC cells."""

    def __init__(self, organisations: list[Organisation]) -> None:
        self.by_code: dict[str, object] = {}
        self.by_name = {o.name.casefold(): o for o in organisations}
        for organisation in organisations:
            if organisation.mb_code:
                self.by_code[organisation.mb_code.casefold()] = organisation
        # An organisation without an MB/NC code goes by its country code (`member_code`), where
        # no other has that code.
        for organisation in organisations:
            country = (organisation.country or "").casefold()
            if organisation.mb_code or not country:
                continue
            if country in self.by_code and self.by_code[country] is not AMBIGUOUS:
                holder = self.by_code[country]
                if getattr(holder, "mb_code", None):
                    continue  # an MB/NC code wins over a country code
            self.by_code[country] = AMBIGUOUS if country in self.by_code else organisation
        self.longest_first = sorted(self.by_code, key=len, reverse=True)
        self.names_longest_first = sorted(self.by_name, key=len, reverse=True)

    def match(self, cell: str) -> tuple[object | None, str, str]:
        """(organisation, AMBIGUOUS or None; the code as found; what follows it in the cell)."""
        text = cell.strip()
        folded = text.casefold()
        if folded in self.by_code:
            return self.by_code[folded], text, ""
        if folded in self.by_name:
            organisation = self.by_name[folded]
            return organisation, organisation.member_code, ""
        for code in self.longest_first:
            if folded.startswith(code) and not folded[len(code)].isalpha():
                return self.by_code[code], text[: len(code)], text[len(code) :].lstrip(" -_/.:#")
        for name in self.names_longest_first:
            if folded.startswith(name) and not folded[len(name)].isalnum():
                organisation = self.by_name[name]
                return organisation, organisation.member_code, text[len(name) :].lstrip(" -_/.:#")
        return None, text, ""


def import_compiled(
    session: Session, *, actor: User, round_: Round, data: bytes, now: datetime | None = None
) -> list[Comment]:
    """Check every row of a compiled table and, when all are fine, store its comments (and its
    observations as drafted dispositions); ImportRefused lists every problem."""
    policy.require(actor, Permission.DISPOSITION_MANAGE)
    now = now or utcnow()
    phase = round_.phase(now)
    if phase not in IMPORTABLE:
        raise ImportRefused([Problem(0, _("A compiled table is imported into an open or a closed round."))])
    table = read(data)
    index = clause_index(session, round_)
    codes = Codes(list(session.scalars(select(Organisation).limit(10_000))))
    taken = {numbering.canonical(n) for n in session.scalars(
        select(Comment.number).where(Comment.round_id == round_.id, Comment.number.is_not(None))
    )}  # fmt: skip
    problems: list[Problem] = []
    filed: list[Filed] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        reasons: list[str] = []
        checked = check_row(row, index, reasons)
        mb = row.cells.get("mb", "")
        organisation, code, rest = codes.match(mb)
        if not mb.strip():
            reasons.append(_("the MB/NC cell is empty: it names the organisation the comment comes from"))
        elif organisation is None:
            reasons.append(
                _(
                    "no organisation has the MB/NC code “%(code)s” (set it on the organisation's page "
                    "in the administration)",
                    code=mb.strip()[:40],
                )
            )
        elif organisation is AMBIGUOUS:
            reasons.append(
                _(
                    "more than one organisation has the country code “%(code)s”: give each its own "
                    "MB/NC code in the administration",
                    code=code,
                )
            )
        column = row.cells.get("number", "").strip()
        number = source = ""
        if column:
            source = column
            # The number as written, after the MB/NC code when it does not start with it ("ACME C-1").
            prefix = code or mb.strip()
            starts = bool(code) and numbering.canonical(column).startswith(numbering.canonical(code))
            number = column if starts else f"{prefix} {column}"
        elif rest:
            number = source = mb.strip()
        if number:
            if len(number) > 40:
                reasons.append(_("a comment number may have at most 40 characters"))
            key = numbering.canonical(number)
            if key in seen:
                reasons.append(_("the number %(n)s is also on row %(row)d", n=number, row=seen[key]))
            elif key in taken:
                reasons.append(_("the number %(n)s is already in this round", n=number))
            seen.setdefault(key, row.row)
        if checked is not None and checked.observation.strip() and phase is not Phase.CLOSED:
            reasons.append(_("observations are recorded once the round has closed: leave that column empty for now"))
        if reasons:
            problems.append(Problem(row.row, "; ".join(reasons)))
            continue
        filed.append(Filed(checked, organisation, code.upper(), number or None, source))
    if problems:
        raise ImportRefused(problems)
    stored = _store(session, actor, round_, filed, data, now)
    _record_observations(session, actor, round_, filed, stored, now)
    return stored


def _store(
    session: Session, actor: User, round_: Round, filed: list[Filed], data: bytes, now: datetime
) -> list[Comment]:
    lock_round(session, round_.id, for_comments=True)  # as every comment writer: the round first
    event = audit.record(
        session,
        actor=actor,
        action="comment.import_compiled",
        subject=round_,
        summary=str(len(filed)),
        count=len(filed),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.flush()  # the event's id: the comments' digest keys (they reach everyone at once)
    positions = {key: pos for key, pos in _clause_positions(session, round_)}
    sequences: dict[str, int] = {}
    stored = []
    for item in filed:
        checked, organisation = item.checked, item.organisation
        code = organisation.member_code.upper() if item.number is None else item.code
        if item.number is None:
            if code not in sequences:
                sequences[code] = numbering.next_seq(session, round_.id, code) - 1
            sequences[code] += 1
            seq, number = sequences[code], numbering.format_number(code, sequences[code])
        else:
            seq, number = numbering.sequence_of(item.number), item.number
            sequences[code] = max(sequences.get(code, numbering.next_seq(session, round_.id, code) - 1), seq)
        comment = Comment(
            round_id=round_.id,
            clause_key=checked.clause_key,
            clause_position=positions.get(checked.clause_key, 0),
            type=checked.type,
            body=checked.body,
            proposed_change=checked.proposed_change,
            line_number=checked.line_number,
            paragraph=checked.paragraph,
            clause_ref=checked.clause_ref,
            language=checked.language or interface_language(),
            number=number,
            member_code=code,
            number_seq=seq,
            source_number=item.source_number,
            author_id=actor.id,
            organisation_id=organisation.id,
            stakeholder_group_id=organisation.stakeholder_group_id,
            attribution=Attribution.ORGANISATION,
            status=CommentStatus.ACCEPTED,
            nonce=f"compiled-{round_.id}-{event.id}-{checked.row}",  # one per import (a table may go to many rounds)
            created_at=now,
            updated_at=now,
            submitted_at=now,
            submitted_key=event.id,
            accepted_key=event.id,
        )
        session.add(comment)
        stored.append(comment)
    session.flush()
    for comment, item in zip(stored, filed, strict=True):
        for key in item.checked.other_clause_keys:
            session.add(CommentClause(comment_id=comment.id, clause_key=key))
    session.flush()
    return stored


def _clause_positions(session: Session, round_: Round) -> list[tuple[str, int]]:
    from consult.drafts.models import Clause

    return list(session.execute(select(Clause.key, Clause.position).where(Clause.version_id == round_.version_id)))


def _record_observations(
    session: Session, actor: User, round_: Round, filed: list[Filed], stored: list[Comment], now: datetime
) -> None:
    """The table's observations as drafted dispositions (the round has closed: checked above)."""
    from consult.dispositions.forms import decision_labels

    labels = decision_labels()
    # "Duplicate of C-1": the table's own numbers as filed ("ACME C-1"), as written in it, or
    # without the MB/NC code in front (a table exported here and imported again).
    by_number: dict[str, Comment | None] = {}
    for comment in stored:  # without the code first: a bare number two comments share names neither
        bare = comment.number[len(comment.member_code) :] if comment.number.startswith(comment.member_code) else ""
        if bare.strip(" -_/.:#"):
            key = numbering.canonical(bare)
            by_number[key] = None if key in by_number else comment
    for comment in stored:
        for number in (comment.source_number, comment.number):
            if number:
                by_number[numbering.canonical(number)] = comment
    problems: list[Problem] = []
    for comment, item in zip(stored, filed, strict=True):
        observation = item.checked.observation
        if not observation.strip():
            continue
        reading = vocabulary.read(observation, labels)
        duplicate_of = None
        if reading.kind is DispositionKind.DUPLICATE:
            duplicate_of = by_number.get(numbering.canonical(reading.duplicate_ref)) if reading.duplicate_ref else None
            if duplicate_of is None and reading.duplicate_ref:
                duplicate_of = numbering.find_by_number(session, round_.id, reading.duplicate_ref)
            if duplicate_of is None or duplicate_of.id == comment.id:
                problems.append(
                    Problem(
                        item.checked.row,
                        _(
                            "the observation says the comment is a duplicate, but names no other comment "
                            "of this table or round (write “Duplicate of US 021”)"
                        ),
                    )
                )
                continue
        try:
            dispositions.record_disposition(
                session,
                actor=actor,
                comment=comment,
                kind=reading.kind,
                observation=observation,
                now=now,
                duplicate_of=duplicate_of,
                exact=True,
            )
        except DomainError as exc:
            problems.append(Problem(item.checked.row, str(exc)))
    if problems:
        raise ImportRefused(problems)
