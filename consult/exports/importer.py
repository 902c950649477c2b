"""Import of comment tables in the ISO layout: an XLSX sheet or a Word table (`isotable`).

Two imports, both all or nothing (every row is checked and every problem listed with its row;
the caller commits only when none was found):

- a participant imports their organisation's comments into an open round, as submitted
  comments (`participant.py`), numbered at submission like comments written on the page; a
  table sent again to the same round replaces that person's earlier import there, once they
  have confirmed the list of what it adds, changes and withdraws;
- the secretariat imports a compiled table of many organisations into an open or closed round
  (`import_compiled`, in `compiled.py`): each MB/NC code is mapped to an organisation, the
  table's own numbers are kept, and its observations are recorded as dispositions (not
  released).

Texts are kept exactly as written (line breaks, trailing spaces); a clause reference is
resolved against the round's text (`drafts.references`) and kept as written when it says more
than a clause number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.auth.models import Organisation
from consult.comments import services as comments
from consult.comments.models import CommentType
from consult.drafts.models import Clause
from consult.drafts.references import ClauseIndex
from consult.errors import Invalid
from consult.exports import isoform, isotable
from consult.languages import CONTENT_LANGUAGES, native_name
from consult.rounds.models import Round

MAX_ROWS = 5_000
TYPE_WORDS = {
    **dict.fromkeys(("ge", "g", "gen", "general"), CommentType.GENERAL),
    **dict.fromkeys(("te", "t", "tech", "technical", "substantive", "substantial", "major"), CommentType.TECHNICAL),
    **dict.fromkeys(("ed", "e", "edit", "editorial", "typo", "typographical", "minor"), CommentType.EDITORIAL),
}


@dataclass
class Problem:
    row: int  # as the file numbers it (0: the whole file)
    reason: str


class ImportRefused(Invalid):
    """The table has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            ngettext("Nothing was imported: %(num)d problem.", "Nothing was imported: %(num)d problems.", len(problems))
        )
        self.problems = problems


@dataclass
class Checked:
    """One row of the table, checked: what the comment will hold."""

    row: int
    clause_key: str | None
    other_clause_keys: tuple[str, ...]
    clause_ref: str | None
    type: CommentType
    body: str
    proposed_change: str
    line_number: str
    paragraph: str
    mb: str  # the MB/NC cell as written
    number: str  # the number column as written ("" when the table has none)
    observation: str
    extra: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # None: no Language column, or blank (the importer's language)


def read(data: bytes) -> isotable.Table:
    """The table in `data`, or ImportRefused saying why it cannot be read."""
    try:
        table = isotable.read_table(data, MAX_ROWS, isoform.headings_in_every_language())
    except isotable.TableError as exc:
        if str(exc) == "too many rows":
            raise ImportRefused(
                [
                    Problem(
                        exc.row,
                        ngettext(
                            "A table may hold at most %(num)d comment.",
                            "A table may hold at most %(num)d comments.",
                            MAX_ROWS,
                        ),
                    )
                ]
            ) from None
        if str(exc) == "no heading row":
            raise ImportRefused(
                [
                    Problem(
                        0,
                        _(
                            "No row of column headings was found (such as “MB/NC”, “Clause/Subclause”, "
                            "“Type of comment”, “Comments”, “Proposed change”). Use the ISO comment template."
                        ),
                    )
                ]
            ) from None
        raise ImportRefused(
            [Problem(0, _("This file is neither an XLSX workbook nor a Word document. Use the ISO comment template."))]
        ) from None
    if not table.rows:
        raise ImportRefused([Problem(table.header_row + 1, _("The table holds no comments."))])
    return table


def clause_index(session: Session, round_: Round) -> ClauseIndex:
    return ClauseIndex(
        list(
            session.execute(
                select(Clause.key, Clause.number, Clause.heading, Clause.position).where(
                    Clause.version_id == round_.version_id
                )
            )
        )
    )


def type_of(text: str) -> CommentType | None:
    """The type a "Type of comment" cell names: ge/te/ed and the words committees use."""
    from consult.comments.forms import TYPE_LABELS

    word = text.strip().casefold().rstrip(".")
    if word in TYPE_WORDS:
        return TYPE_WORDS[word]
    for kind, label in TYPE_LABELS.items():
        if word == str(label).casefold():
            return kind
    return None


def check_row(row: isotable.TableRow, index: ClauseIndex, reasons: list[str]) -> Checked | None:
    """The fields every import checks; problems are added to `reasons`."""
    cells = row.cells
    body = cells.get("comment", "")
    proposed = cells.get("proposed", "")
    clause_text = cells.get("clause", "")
    resolved = index.resolve(clause_text)
    for part in resolved.unknown:
        reasons.append(_("there is no clause “%(clause)s” in the text under comment", clause=part[:60]))
    primary = resolved.primary
    # Kept as written unless it is just the clause's number (then the number says it).
    clause_ref = None if primary is not None and clause_text == index.number_of[primary] else clause_text
    comment_type = type_of(cells.get("type", ""))
    if comment_type is None:
        if "type" not in cells:
            comment_type = CommentType.GENERAL if primary is None else CommentType.TECHNICAL
        else:
            reasons.append(_("the type of comment must be ge, te or ed (general, technical, editorial)"))
    if not body.strip():
        reasons.append(_("the comment is empty"))
    elif len(body) > comments.MAX_BODY or len(proposed) > comments.MAX_BODY:
        reasons.append(
            ngettext(
                "a comment may have at most %(num)d character",
                "a comment may have at most %(num)d characters",
                comments.MAX_BODY,
            )
        )
    line, paragraph = cells.get("line", ""), cells.get("paragraph", "")
    if len(line) > comments.MAX_LINE:
        reasons.append(
            ngettext(
                "a line number may have at most %(num)d character",
                "a line number may have at most %(num)d characters",
                comments.MAX_LINE,
            )
        )
    if len(paragraph) > comments.MAX_PARAGRAPH:
        reasons.append(
            ngettext(
                "a paragraph, figure or table may have at most %(num)d character",
                "a paragraph, figure or table may have at most %(num)d characters",
                comments.MAX_PARAGRAPH,
            )
        )
    if clause_ref is not None and len(clause_ref) > 200:
        reasons.append(_("a clause reference may have at most 200 characters"))
    language = language_of(cells.get("language", ""))
    if language == "":
        reasons.append(_("the language must be one of ar, en, es, fr, ru, zh"))
    if reasons or comment_type is None:
        return None
    return Checked(
        row=row.row,
        clause_key=primary,
        other_clause_keys=tuple(resolved.others),
        clause_ref=clause_ref,
        type=comment_type,
        body=body,
        proposed_change=proposed,
        line_number=line,
        paragraph=paragraph,
        mb=cells.get("mb", ""),
        number=cells.get("number", ""),
        observation=cells.get("observation", ""),
        language=language,
    )


def language_of(text: str) -> str | None:
    """The content language a "Language" cell names (its code, or its name in itself or in
    English: "fr", "français", "French"); None for a blank cell, "" for anything else."""
    word = text.strip().casefold()
    if not word:
        return None
    for code in CONTENT_LANGUAGES:
        if word in (code, native_name(code).casefold(), Locale.parse(code).get_display_name("en").casefold()):
            return code
    return ""


def speaks_for(cell: str, organisation: Organisation) -> tuple[bool, str]:
    """Whether an MB/NC cell names `organisation` (its name, its code, or its code and a number);
    and the number it holds after the code ("" if none)."""
    text = cell.strip()
    if not text or text.casefold() == organisation.name.casefold():
        return True, ""
    code = organisation.member_code.casefold()
    folded = text.casefold()
    if code and folded == code:
        return True, ""
    if code and folded.startswith(code) and not folded[len(code)].isalpha():
        return True, text
    return False, ""
