"""The round page's comments part, put together from pieces cached on what each one shows.

In the hour before a deadline hundreds of people reload one round while comments keep coming.
A cache per person helps only that person's reloads, and a cache of the whole part is undone
by every comment. So the part is cut where the data is cut:

- **the frame**: the clauses, the stakeholder groups and the filter form, keyed on the round's
  `frame_revision` (everything but its comments, migration 0015);
- **one section per clause** (and one for the general comments), keyed on that section's own
  revision (`SectionRevision`, moved by triggers on every comment write), the viewer's
  visibility class, and how many of the page's comments are left for it (its *budget*: a page
  shows the first `size` comments in document order, so a section shows what the sections
  before it left over). A new comment on clause 4 renders clause 4's section again, once per
  class, and nothing else; when it lands before the page's end it moves the budgets after it,
  and those sections are rendered again too.
- **the pager**, from the last section that showed a comment.

Who it is rendered for: the viewer's class (`Viewer.class_member()`) unless the viewer wrote
comments in the round that the class does not see as they do (drafts, withdrawn, returned,
hidden: `policy.authored_beyond_class`); then for the viewer alone, keyed on their id. One
statement reads the sections' revisions and that test together. When any piece is missing,
the round page's queries (`rounds.queries.round_page`) run once for the class and every missing
piece is rendered from their rows; the pieces read from memory are used only where they agree
with them, so a response never mixes two moments.

Pages after the first (`after=`) and pages with the comment form open are put together from
the same pieces, rendered afresh (the form carries the session's token; a later page's
budgets depend on the cursor), the former cached whole on the round's `revision`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import get_template_attribute, render_template, url_for
from flask_babel import get_locale, get_timezone, get_translations
from markupsafe import Markup
from sqlalchemy import bindparam, exists, false, literal, select, true, union_all
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.queries import stakeholder_groups
from consult.comments.display import comment_html
from consult.comments.forms import TYPE_LABELS, comment_form_maker
from consult.comments.models import Comment, CommentType
from consult.consultations.models import Consultation
from consult.drafts.models import Clause
from consult.pagecache import fragment_cache, page_cache, section_cache
from consult.rounds.models import Phase, Round, SectionRevision
from consult.rounds.queries import CommentFilters, parse_filters, round_page, section_counts, section_rows

TEMPLATE = "rounds/_sections.html"
GENERAL = ""  # the general comments' section in `section_revision`


@dataclass(frozen=True, slots=True)
class ClauseText:
    key: str
    number: str
    heading: str
    body_html: str


@dataclass(frozen=True, slots=True)
class GroupName:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ConsultationName:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class Frame:
    """What the page shows around its comments that only the round's frame revision moves."""

    clauses: tuple[ClauseText, ...]
    groups: tuple[GroupName, ...]
    consultation: ConsultationName


@dataclass(slots=True)
class SectionEntry:
    """One section for one class at one revision: its count, and its HTML per budget with the
    position of the last comment shown (`(clause_position, id)`, for the pager)."""

    count: int
    rendered: dict[int, tuple[Markup, tuple[int, int] | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Part:
    html: Markup
    total: int
    comment_on: str
    consultation: ConsultationName


def frame(session: Session, round_: Round) -> Frame:
    """The round's clauses, its consultation's title and the stakeholder groups, read once per
    frame revision. Kept with the rendered comments (`fragment_cache`): like them, a change of
    comments leaves them as they are, so the first view after a change reads them from memory."""
    key = ("frame", round_.id, round_.created_at, round_.version_id, round_.frame_revision)
    return fragment_cache().get_or_make(key, lambda: _read_frame(session, round_))


def section_state(session: Session, round_: Round, viewer: policy.Viewer, now: datetime) -> tuple[dict[str, int], bool]:
    """Each section's revision, and whether the viewer wrote comments in the round that their
    class does not see as they do (one statement)."""
    stmt = _state_statement(viewer) if viewer.organisation_id is not None else _build_state(viewer, now)
    found: dict[str, int] = {}
    private = False
    for section, revision, is_private in session.execute(stmt, {"round_id": round_.id}):
        if is_private:
            private = True
        else:
            found[section] = revision
    return found, private


def _build_state(viewer: policy.Viewer, now: datetime | None) -> Any:
    round_id = bindparam("round_id")
    revisions = select(SectionRevision.section, SectionRevision.revision, literal(False)).where(
        SectionRevision.round_id == round_id
    )
    beyond = policy.authored_beyond_class(viewer, now)
    if beyond is false():
        return revisions
    own = exists(select(Comment.id).where(Comment.round_id == round_id, beyond))
    return union_all(revisions, select(literal(GENERAL), literal(0), true()).where(own))


@lru_cache(maxsize=4096)
def _state_statement(viewer: policy.Viewer) -> Any:
    """Built once per viewer: for members of an organisation the condition does not read the
    clock (`policy.authored_beyond_class`), and building it cost more than running it."""
    return _build_state(viewer, None)


def comments_part(
    session: Session,
    round_: Round,
    viewer: policy.Viewer,
    now: datetime,
    args: Any,
    *,
    phase: Phase,
    can_comment: bool,
    size: int,
    after: tuple[int, int] | None,
    comment_on: str,
) -> Part:
    """The comments part of the round page for `viewer` (see the module's docstring)."""
    the_frame = frame(session, round_)
    filters = parse_filters(args, list(the_frame.groups))
    on = comment_on if comment_on == "general" or comment_on in {c.key for c in the_frame.clauses} else ""
    cache = section_cache() if section_cache().max_entries > 0 and not on else None
    revisions, private = section_state(session, round_, viewer, now) if cache is not None else ({}, True)
    # Rendered for the class where it is shared; with nothing to share (the cache off, or the
    # viewer's own comments in it) for the person, through their own visibility: the reference
    # the cache tests compare the shared pieces with.
    who = viewer.class_member() if cache is not None and not private else viewer
    context = (
        round_.id,
        round_.created_at,
        round_.frame_revision,
        phase,
        can_comment,
        viewer.cache_key if private else viewer.visibility_class,
        str(get_locale()),
        str(get_timezone()),
        filters.type,
        filters.group_id,
        filters.clause_key,
        filters.general_only,
        size,
    )
    if after is not None:
        whole = (*context, "after", after, round_.revision)
        cache_ = page_cache() if not on else None
        make = lambda: _assemble(session, round_, who, now, the_frame, filters, size, after, on, can_comment, None, ())  # noqa: E731
        return cache_.get_or_make(whole, make) if cache_ is not None else make()
    return _assemble(
        session, round_, who, now, the_frame, filters, size, None, on, can_comment, cache, context, revisions
    )


def _read_frame(session: Session, round_: Round) -> Frame:
    clauses = session.scalars(select(Clause).where(Clause.version_id == round_.version_id).order_by(Clause.position))
    consultation = session.get(Consultation, round_.consultation_id)
    return Frame(
        tuple(ClauseText(c.key, c.number, c.heading, c.body_html) for c in clauses),
        tuple(GroupName(g.id, g.name) for g in stakeholder_groups(session)),
        ConsultationName(consultation.id, consultation.title),
    )


def _assemble(
    session: Session,
    round_: Round,
    who: policy.Viewer,
    now: datetime,
    the_frame: Frame,
    filters: CommentFilters,
    size: int,
    after: tuple[int, int] | None,
    on: str,
    can_comment: bool,
    cache: Any,
    context: tuple,
    revisions: dict[str, int] | None = None,
) -> Part:
    sections: list[ClauseText | None] = [None, *the_frame.clauses]
    names = [None if s is None else s.key for s in sections]
    keys: list[tuple] = []
    rows: dict[str | None, list[Comment]] = {}
    page = None
    if cache is None or after is not None:
        # Nothing shared: the round page's own queries, every section rendered.
        page = round_page(
            session, round_, who, filters, after, size, now, list(the_frame.groups), list(the_frame.clauses)
        )
        entries = [SectionEntry(page.counts.get(name, 0)) for name in names]
        counts = [e.count for e in entries]
        budgets = [size] * len(sections) if after is not None else _budgets(counts, size)
        rows = page.comments_by_clause
    else:
        keys = [(*context, name or GENERAL, (revisions or {}).get(name or GENERAL, 0)) for name in names]
        cached = [cache.get(k) for k in keys]
        visible = None
        found: dict[str | None, int] = {}
        missing = [name for name, e in zip(names, cached, strict=True) if e is None]
        if missing:  # counted afresh: only the sections whose revision moved
            visible = policy.comment_visibility_in_round(session, who, round_, now)
            found = section_counts(session, round_, visible, filters, missing)
        entries = [
            e if e is not None else SectionEntry(found.get(name, 0)) for name, e in zip(names, cached, strict=True)
        ]
        for key, entry, e in zip(keys, entries, cached, strict=True):
            if e is None:
                cache.put(key, entry)
        counts = [e.count for e in entries]
        budgets = _budgets(counts, size)
        wanted = {
            name: min(budget, entry.count)
            for name, entry, budget in zip(names, entries, budgets, strict=True)
            if budget not in entry.rendered and budget > 0 and entry.count > 0
        }
        if wanted:  # the comments of the sections to render that the page's budget reaches
            if visible is None:
                visible = policy.comment_visibility_in_round(session, who, round_, now)
            rows = section_rows(session, round_, visible, filters, wanted)

    # What rendering needs, made on the first section that is rendered (none, on a hit).
    section_macro = labels = links = None
    form_maker = comment_form_maker(session, round_, who) if on else None
    parts: list[str] = [_filters_html(cache, context, the_frame, filters, size)]
    last: tuple[int, int] | None = None
    for clause, name, entry, budget in zip(sections, names, entries, budgets, strict=True):
        rendered = entry.rendered.get(budget)
        if rendered is None:
            comments = rows.get(name, [])[:budget] if budget else []
            form = None
            if form_maker is not None and on == (name or "general"):
                form = Markup(render_template("comments/_form_fields.html", form=form_maker(name), round=round_))  # noqa: S704  # nosec B704
            if section_macro is None:
                section_macro = get_template_attribute(TEMPLATE, "section")
                labels, links = _Labels(), _links(round_, filters)
            count_label, comment_label = labels(clause, entry.count)
            html = section_macro(
                clause,
                count_label,
                comment_label,
                entry.count,
                comments,
                links,
                filters,
                can_comment,
                form,
                comment_html,
            )
            shown = (comments[-1].clause_position, comments[-1].id) if comments else None
            rendered = (Markup(html), shown)  # noqa: S704 (a rendered, autoescaped macro)  # nosec B704
            if cache is not None:
                entry.rendered[budget] = rendered
        parts.append(rendered[0])
        if rendered[1] is not None:
            last = rendered[1]
    total = sum(counts)
    if page is not None:
        next_after = page.next_after
    else:
        next_after = f"{last[0]}.{last[1]}" if total > size and last is not None else None
    if next_after:
        pager = get_template_attribute(TEMPLATE, "pager")
        parts.append(pager(round_.id, next_after, size, filters.as_args()))
    return Part(Markup("".join(parts)), total, on, the_frame.consultation)  # noqa: S704 (rendered pieces)  # nosec B704


def _budgets(counts: list[int], size: int) -> list[int]:
    """How many of the page's `size` comments are left for each section in document order."""
    budgets, left = [], size
    for n in counts:
        budgets.append(left)
        left = max(0, left - n)
    return budgets


class _Labels:
    """Each section's "n comments you can see" and "Comment on ..." texts (through the template's
    gettext they cost more than the rest of the section)."""

    def __init__(self) -> None:
        translations = get_translations()
        self.ngettext, gettext = translations.ngettext, translations.gettext
        self.comment_on = gettext("Comment on %(what)s")
        self.whole = gettext("the whole text")

    def __call__(self, clause: ClauseText | None, n: int) -> tuple[str, str]:
        count = self.ngettext("%(num)d comment you can see", "%(num)d comments you can see", n) % {"num": n}
        return count, self.comment_on % {"what": self.whole if clause is None else clause.number}


def _links(round_: Round, filters: CommentFilters) -> dict[str, str]:
    here = url_for("rounds.detail", round_id=round_.id, **filters.as_args())
    return {
        "here": here,
        "here_sep": "&" if "?" in here else "?",
        "round_url": url_for("rounds.detail", round_id=round_.id),
        "only_this_clause": get_translations().gettext("only this clause"),
    }


def _filters_html(cache: Any, context: tuple, the_frame: Frame, filters: CommentFilters, size: int) -> Markup:
    def render() -> Markup:
        form = get_template_attribute(TEMPLATE, "filters_form")
        return Markup(form(the_frame, filters, size, list(CommentType), TYPE_LABELS))  # noqa: S704  # nosec B704

    if cache is None:
        return render()
    return cache.get_or_make((*context, "filters"), render)
