"""A version's text in the language a reader asks for: the authoritative clauses, or their
translations where the secretariat has added them (`ClauseTranslation`), clause by clause.

Pages that show a draft (the round page, the side-by-side page, the briefing, the version page)
read it through `version_text`: two statements whatever the number of clauses. What they get
are plain values (`ShownClause`), never the ORM rows: a translated heading must not be written
back into the clause by an autoflush.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from consult.drafts.models import Clause, ClauseTranslation
from consult.languages import CONTENT_LANGUAGES, interface_language, parse_language


@dataclass(frozen=True)
class ShownClause:
    """A clause as a page shows it: in the chosen language, or in the authoritative one for
    want of a translation (`language` says which, for the element's `lang`)."""

    id: int
    key: str
    position: int
    number: str
    heading: str
    body_html: str
    language: str
    translated: bool

    @property
    def label(self) -> str:
        return f"{self.number} {self.heading}".strip()


@dataclass(frozen=True)
class TextChoice:
    """Which language a page shows a version in, and what else there is to choose from."""

    authoritative: str
    shown: str
    available: tuple[str, ...]  # the authoritative language and every translated one, in code order
    untranslated: int = 0  # clauses shown in the authoritative language for want of a translation

    @property
    def is_translation(self) -> bool:
        return self.shown != self.authoritative

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(code for code in self.available if code != self.shown)


def translated_languages(session: Session, version_id: int) -> list[str]:
    """The languages in which at least one clause of the version has a translation."""
    found = set(
        session.scalars(
            select(ClauseTranslation.language)
            .join(Clause, Clause.id == ClauseTranslation.clause_id)
            .where(Clause.version_id == version_id)
            .distinct()
        )
    )
    return [code for code in CONTENT_LANGUAGES if code in found]


def choose_language(requested: str | None, authoritative: str, translated: list[str]) -> str:
    """The asked-for language if the text exists in it, else the reader's interface language if
    it does, else the authoritative language."""
    available = {authoritative, *translated}
    for candidate in (parse_language(requested), interface_language()):
        if candidate in available:
            return candidate
    return authoritative


def version_text(
    session: Session, version_id: int, authoritative: str, requested: str | None = None
) -> tuple[TextChoice, list[ShownClause]]:
    """The version's clauses in order, in the language chosen by `choose_language`."""
    translated = translated_languages(session, version_id)
    shown = choose_language(requested, authoritative, translated)
    stmt = select(Clause.id, Clause.key, Clause.position, Clause.number, Clause.heading, Clause.body_html)
    if shown != authoritative:
        stmt = stmt.add_columns(ClauseTranslation.heading, ClauseTranslation.body_html).outerjoin(
            ClauseTranslation, and_(ClauseTranslation.clause_id == Clause.id, ClauseTranslation.language == shown)
        )
    clauses = []
    for row in session.execute(stmt.where(Clause.version_id == version_id).order_by(Clause.position)):
        translation = shown != authoritative and row[6] is not None
        clauses.append(
            ShownClause(
                id=row.id,
                key=row.key,
                position=row.position,
                number=row.number,
                heading=(row[6] or row.heading) if translation else row.heading,
                body_html=row[7] if translation else row.body_html,
                language=shown if translation else authoritative,
                translated=translation,
            )
        )
    untranslated = sum(1 for c in clauses if not c.translated) if shown != authoritative else 0
    available = tuple(code for code in CONTENT_LANGUAGES if code in {authoritative, *translated})
    return TextChoice(authoritative, shown, available, untranslated), clauses
