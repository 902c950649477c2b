"""Drafts and their versions: create, import from Markdown, compare clause by clause."""

from __future__ import annotations

import difflib
import html
import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.auth.models import User
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.drafts.importer import ClauseText, parse_markdown, trim_body
from consult.drafts.models import Clause, ClauseTranslation, Draft, DraftVersion
from consult.errors import Invalid
from consult.languages import DEFAULT_LANGUAGE, language_name, parse_language
from consult.markup import render_markdown
from consult.policy import Permission

MAX_BODY = 50_000


def new_clause_key() -> str:
    """A fresh stable key for a clause that did not exist before."""
    return secrets.token_hex(8)


def create_draft(
    session: Session, *, actor: User, consultation: Consultation, title: str, reference: str = ""
) -> Draft:
    """Add a draft (a norm document) to a consultation; its versions follow."""
    policy.require(actor, Permission.DRAFT_MANAGE)
    title = title.strip()
    if not title:
        raise Invalid(_("Give the draft a title."), "title")
    draft = Draft(
        consultation_id=consultation.id, title=title, reference=_check_reference(reference), created_by_id=actor.id
    )
    session.add(draft)
    audit.record(session, actor=actor, action="draft.create", subject=draft, summary=title)
    return draft


def _check_reference(reference: str) -> str:
    reference = " ".join(reference.split())
    if len(reference) > 60:
        raise Invalid(_("A document reference may have at most 60 characters."), "reference")
    return reference


def set_reference(session: Session, *, actor: User, draft: Draft, reference: str) -> Draft:
    """Set the document reference committees know the draft by ("ISO/IEC DIS 27099")."""
    policy.require(actor, Permission.DRAFT_MANAGE)
    draft.reference = _check_reference(reference)
    audit.record(session, actor=actor, action="draft.reference", subject=draft, summary=draft.reference)
    return draft


def clauses_of(session: Session, version: DraftVersion) -> list[Clause]:
    """The clauses of `version` in order."""
    return list(session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.position)))


def latest_version(session: Session, draft: Draft) -> DraftVersion | None:
    return session.scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft.id).order_by(DraftVersion.number.desc()).limit(1)
    )


def _check_clauses(clauses: list[ClauseText], known_keys: set[str]) -> None:
    if not clauses:
        raise Invalid(_("A version needs at least one clause."))
    numbers: set[str] = set()
    keys: set[str] = set()
    for clause in clauses:
        number = clause.number.strip()
        if not number or len(number) > 20:
            raise Invalid(_("Every clause needs a number of at most 20 characters."))
        if number in numbers:
            raise Invalid(_("Clause number %(n)s is used twice.", n=number))
        numbers.add(number)
        if len(clause.heading) > 300:
            raise Invalid(_("The heading of clause %(n)s is longer than 300 characters.", n=number))
        if len(clause.body) > MAX_BODY:
            raise Invalid(
                ngettext(
                    "The text of clause %(n)s is longer than %(num)d character.",
                    "The text of clause %(n)s is longer than %(num)d characters.",
                    MAX_BODY,
                    n=number,
                )
            )
        if clause.key is not None:
            if clause.key not in known_keys or clause.key in keys:
                raise Invalid(
                    _(
                        "Clause %(n)s refers to a clause of the previous version that does not exist.",
                        n=number,
                    )
                )
            keys.add(clause.key)


def create_version(
    session: Session,
    *,
    actor: User,
    draft: Draft,
    clauses: list[ClauseText],
    note: str = "",
    language: str | None = None,
) -> DraftVersion:
    """Add the next immutable version of `draft`; clauses with a key carry it forward.
    `language`: the text's (authoritative) language; by default the previous version's."""
    policy.require(actor, Permission.DRAFT_MANAGE)
    previous = latest_version(session, draft)
    if language is not None and parse_language(language) is None:
        raise Invalid(_("Choose the language the text is written in."), "language")
    language = language or (previous.language if previous else DEFAULT_LANGUAGE)
    known = {c.key for c in clauses_of(session, previous)} if previous else set()
    _check_clauses(clauses, known)
    version = DraftVersion(
        draft_id=draft.id,
        number=(previous.number + 1) if previous else 1,
        note=note.strip(),
        created_by_id=actor.id,
        language=language,
    )
    session.add(version)
    session.flush()
    for position, clause in enumerate(clauses, start=1):
        session.add(
            Clause(
                version_id=version.id,
                key=clause.key or new_clause_key(),
                position=position,
                number=clause.number.strip(),
                heading=clause.heading.strip(),
                body=trim_body(clause.body),
                body_html=render_markdown(trim_body(clause.body)),
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draft.version_create",
        subject=version,
        summary=f"{draft.title} v{version.number}",
        clauses=len(clauses),
        language=language,
    )
    return version


def match_previous_keys(session: Session, draft: Draft, clauses: list[ClauseText]) -> list[ClauseText]:
    """Give imported clauses the keys of the previous version's clauses they continue.

    A clause continues the previous clause with the same heading, or else the same number.
    """
    previous = latest_version(session, draft)
    if previous is None:
        return clauses
    old = clauses_of(session, previous)
    by_heading = {_norm(c.heading): c.key for c in old if c.heading}
    by_number = {c.number: c.key for c in old}
    used: set[str] = set()
    for clause in clauses:
        key = by_heading.get(_norm(clause.heading))
        if key is None or key in used:
            key = by_number.get(clause.number)
        if key is not None and key not in used:
            clause.key = key
            used.add(key)
    return clauses


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def import_version(
    session: Session, *, actor: User, draft: Draft, data: bytes, note: str = "", language: str | None = None
) -> DraftVersion:
    """Create the next version from a Markdown file (MarkdownImportError lists every problem)."""
    policy.require(actor, Permission.DRAFT_MANAGE)
    clauses = match_previous_keys(session, draft, parse_markdown(data))
    return create_version(session, actor=actor, draft=draft, clauses=clauses, note=note, language=language)


# --- Translations ----------------------------------------------------------------------------


def translations_of(session: Session, version: DraftVersion, language: str) -> dict[str, ClauseTranslation]:
    """The version's translated clauses in `language`, by clause key."""
    rows = session.execute(
        select(Clause.key, ClauseTranslation)
        .join(ClauseTranslation, ClauseTranslation.clause_id == Clause.id)
        .where(Clause.version_id == version.id, ClauseTranslation.language == language)
    )
    return {key: text for key, text in rows}


def translation_counts(session: Session, version: DraftVersion) -> dict[str, int]:
    """How many of the version's clauses each language has a translation of."""
    rows = session.execute(
        select(ClauseTranslation.language, func.count(ClauseTranslation.id))
        .join(Clause, Clause.id == ClauseTranslation.clause_id)
        .where(Clause.version_id == version.id)
        .group_by(ClauseTranslation.language)
    )
    return {language: n for language, n in rows}


def save_translation(
    session: Session, *, actor: User, version: DraftVersion, language: str, texts: list[ClauseText]
) -> int:
    """Add or correct the translation of a version's clauses into `language`, matched by clause
    key; a clause left blank has no translation (readers get the authoritative text). Returns
    the number of clauses changed. The version's own text stays as it is: it is authoritative."""
    policy.require(actor, Permission.DRAFT_MANAGE)
    if parse_language(language) is None:
        raise Invalid(_("Choose the language of the translation."), "language")
    if language == version.language:
        raise Invalid(
            _(
                "%(language)s is the language of the version itself: edit a new version instead.",
                language=language_name(language),
            ),
            "language",
        )
    clauses = {c.key: c for c in clauses_of(session, version)}
    existing = translations_of(session, version, language)
    changed = 0
    seen: set[str] = set()
    for text in texts:
        clause = clauses.get(text.key or "")
        if clause is None or clause.key in seen:
            raise Invalid(_("The translation names a clause this version does not have. Reload the page."))
        seen.add(clause.key)
        heading, body = text.heading.strip(), trim_body(text.body)
        if len(heading) > 300:
            raise Invalid(_("The heading of clause %(n)s is longer than 300 characters.", n=clause.number))
        if len(body) > MAX_BODY:
            raise Invalid(
                ngettext(
                    "The text of clause %(n)s is longer than %(num)d character.",
                    "The text of clause %(n)s is longer than %(num)d characters.",
                    MAX_BODY,
                    n=clause.number,
                )
            )
        row = existing.get(clause.key)
        if (heading or body) and ((clause.heading and not heading) or (clause.body and not body)):
            # Half a translation would show readers a heading without its text (or the reverse).
            raise Invalid(
                _("Translate both the heading and the text of clause %(n)s, or leave both blank.", n=clause.number)
            )
        if not heading and not body:
            if row is not None:
                session.delete(row)
                changed += 1
            continue
        if row is None:
            row = ClauseTranslation(clause_id=clause.id, language=language)
            session.add(row)
        elif (row.heading, row.body) == (heading, body):
            continue
        row.heading, row.body, row.body_html = heading, body, render_markdown(body)
        row.updated_at, row.updated_by_id = utcnow(), actor.id
        changed += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draft.translation_save",
        subject=version,
        summary=f"{version.draft.title} v{version.number} ({language})",
        language=language,
        clauses=changed,
    )
    return changed


# --- Comparison ------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\s+|[^\s]+")


@dataclass
class ClauseChange:
    """One row of a comparison: `status` is added, removed, changed or unchanged."""

    status: str
    old: Clause | None
    new: Clause | None
    heading_diff: Markup
    body_diff: Markup


def word_diff(old: str, new: str) -> Markup:
    """HTML of `new` against `old`, words removed in <del> and added in <ins> (escaped)."""
    a, b = _TOKEN_RE.findall(old or ""), _TOKEN_RE.findall(new or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))  # noqa: S704 (every piece escaped above)  # nosec B704


def compare(session: Session, old: DraftVersion, new: DraftVersion) -> list[ClauseChange]:
    """Clause-by-clause comparison of two versions of one draft, in the new version's order."""
    old_clauses = {c.key: c for c in clauses_of(session, old)}
    rows: list[ClauseChange] = []
    for clause in clauses_of(session, new):
        before = old_clauses.pop(clause.key, None)
        if before is None:
            rows.append(ClauseChange("added", None, clause, word_diff("", clause.label), word_diff("", clause.body)))
            continue
        same = before.body == clause.body and before.heading == clause.heading and before.number == clause.number
        rows.append(
            ClauseChange(
                "unchanged" if same else "changed",
                before,
                clause,
                word_diff(before.label, clause.label),
                word_diff(before.body, clause.body),
            )
        )
    for before in sorted(old_clauses.values(), key=lambda c: c.position):
        rows.append(ClauseChange("removed", before, None, word_diff(before.label, ""), word_diff(before.body, "")))
    return rows


def clause_status(session: Session, clause_key: str | None, old: DraftVersion, new: DraftVersion) -> str:
    """Whether the clause `clause_key` of `old` is unchanged, changed or deleted in `new`."""
    if clause_key is None:
        return "general"
    pair = session.execute(
        select(Clause.version_id, Clause.heading, Clause.body, Clause.number).where(
            Clause.key == clause_key, Clause.version_id.in_([old.id, new.id])
        )
    ).all()
    by_version = {row.version_id: row for row in pair}
    if new.id not in by_version:
        return "deleted"
    a, b = by_version.get(old.id), by_version[new.id]
    if a is None:
        return "added"
    return "unchanged" if (a.heading, a.body, a.number) == (b.heading, b.body, b.number) else "changed"
