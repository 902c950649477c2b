"""What a digest says to a viewer: the new comments they may see, and round events.

Every comment comes through `policy.comment_visibility(viewer, now)` (the rule the pages use)
and every round through `policy.visible_rounds`: a person whose role or organisation changed
since a row was queued gets what they may see at the moment it is sent. Digests are built
once per visibility class (for a class member who wrote nothing); each person then loses only
their own comments (`DigestContent.without`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask import url_for
from sqlalchemy import and_, not_, or_, select, true
from sqlalchemy.orm import Session, aliased

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.comments.display import byline_text
from consult.comments.models import Comment
from consult.db import utcnow
from consult.digests.cursors import Period, Window
from consult.drafts.models import Clause
from consult.policy import Viewer
from consult.rounds.models import Round, RoundStatus

CLOSING_WINDOW = timedelta(hours=48)
DEFAULT_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class DigestItem:
    """One comment in a digest, with the byline its reader may see."""

    id: int
    author_id: int
    body: str
    proposed_change: str
    author: str
    url: str


class GroupSection(NamedTuple):
    name: str
    items: list[DigestItem]


@dataclass
class ClauseSection:
    label: str
    groups: list[GroupSection] = field(default_factory=list)


@dataclass
class RoundSection:
    round: Round
    url: str
    clauses: list[ClauseSection] = field(default_factory=list)


@dataclass
class DigestContent:
    rounds: list[RoundSection]
    opened: list[Round]
    closing: list[Round]
    published: list[Round]
    # Rounds whose comments are listed because the round closed or was published in the
    # digest's window (the reader could not see them before): the digest says so.
    revealed: list[Round] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.rounds or self.opened or self.closing or self.published)

    def own_comment_ids(self, user_id: int) -> tuple[int, ...]:
        return tuple(item.id for item in self._items() if item.author_id == user_id)

    def _items(self) -> Any:
        for section in self.rounds:
            for clause in section.clauses:
                for group in clause.groups:
                    yield from group.items

    def without(self, comment_ids: tuple[int, ...]) -> DigestContent:
        """The same content without these comments (a person's own are not news to them)."""
        if not comment_ids:
            return self
        rounds = []
        for section in self.rounds:
            clauses = []
            for clause in section.clauses:
                groups = [GroupSection(g.name, [i for i in g.items if i.id not in comment_ids]) for g in clause.groups]
                groups = [g for g in groups if g.items]
                if groups:
                    clauses.append(ClauseSection(clause.label, groups))
            if clauses:
                rounds.append(RoundSection(section.round, section.url, clauses))
        revealed = [r for r in self.revealed if any(section.round.id == r.id for section in rounds)]
        return DigestContent(rounds, self.opened, self.closing, self.published, revealed)


def build_digest(
    session: Session,
    viewer: Viewer,
    window: Window,
    period: Period,
    *,
    consultation_id: int | None = None,
    now: datetime | None = None,
) -> DigestContent:
    """What is new for `viewer`: the comments of `window` they may see now (not their own),
    by round (latest activity first) → clause (document order) → stakeholder group, newest
    first; and the rounds opened, closing soon or published in `period`."""
    now = now or utcnow()
    rows = session.execute(_new_comments(viewer, window, now, consultation_id))
    opened, closing, published = _round_events(session, viewer, period, consultation_id)
    sections = _sections(viewer, rows)
    moved = set(window.late.ranks) if window.late is not None and not window.late.everything else set()
    revealed = [section.round for section in sections if section.round.id in moved]
    return DigestContent(sections, opened, closing, published, revealed)


def _is_new(viewer: Viewer, window: Window) -> Any:
    """The comments new to `viewer` in `window`: a digest key (`policy.digest_key`: when it
    reached their audience) after the cursor, or, in a late window, not visible under the
    earlier state up to the cursor (`policy.comment_visibility_then`)."""
    key = policy.digest_key(viewer.visibility_class)
    # A prefilter the indexes answer: a comment new to anyone has a key after the cursor.
    candidates = [Comment.submitted_key > window.after, Comment.accepted_key > window.after]
    had = and_(key.is_not(None), key <= window.after)
    late = window.late
    if late is not None:
        key_then = policy.digest_key(late.then)
        then = policy.comment_visibility_then(viewer.id, late.then, late.ranks)
        had_then = and_(then, key_then.is_not(None), key_then <= window.after)
        if late.everything:
            had, candidates = had_then, [true()]
        else:
            widened = Comment.round_id.in_(list(late.ranks))
            had = or_(and_(not_(widened), had), and_(widened, had_then))
            candidates.append(widened)
    return and_(or_(*candidates), not_(had), key <= window.up_to)


def _new_comments(viewer: Viewer, window: Window, now: datetime, consultation_id: int | None) -> Any:
    author, org, group = aliased(User), aliased(Organisation), aliased(StakeholderGroup)
    # An alias: the policy's condition has its own subquery on `round`, which an outer `round`
    # would swallow by correlation.
    rnd = aliased(Round)
    stmt = (
        select(Comment, rnd, Clause, author, org, group)
        .join(rnd, rnd.id == Comment.round_id)
        .join(author, author.id == Comment.author_id)
        .join(org, org.id == Comment.organisation_id)
        .join(group, group.id == Comment.stakeholder_group_id)
        .outerjoin(Clause, and_(Clause.version_id == rnd.version_id, Clause.key == Comment.clause_key))
        .where(_is_new(viewer, window), policy.comment_visibility(viewer, now))
        .order_by(Comment.id.desc())
    )
    if viewer.id is not None:
        stmt = stmt.where(Comment.author_id != viewer.id)
    if consultation_id is not None:
        stmt = stmt.where(rnd.consultation_id == consultation_id)
    return stmt


def _sections(viewer: Viewer, rows: Any) -> list[RoundSection]:
    """Rows (newest first) grouped by round, clause (document order) and stakeholder group."""
    by_round: dict[int, RoundSection] = {}
    cells: dict[tuple[int, int], dict[int, GroupSection]] = {}
    labels: dict[tuple[int, int], str] = {}
    for comment, round_, clause, person, organisation, group in rows:
        if round_.id not in by_round:
            url = url_for("rounds.detail", round_id=round_.id, _external=True)
            by_round[round_.id] = RoundSection(round_, url)
        cell = (round_.id, comment.clause_position)
        labels[cell] = f"{clause.number} {clause.heading}" if clause is not None else ""
        order = group.position * 10_000 + group.id
        section = cells.setdefault(cell, {}).setdefault(order, GroupSection(group.name, []))
        shown = policy.attribution_shown(viewer, comment)
        section.items.append(
            DigestItem(
                id=comment.id,
                author_id=comment.author_id,
                body=comment.body,
                proposed_change=comment.proposed_change,
                author=byline_text(shown, person.display_name, organisation.name, group.name, with_group=False),
                url=url_for("comments.detail", comment_id=comment.id, _external=True),
            )
        )
    for (round_id, position), groups in sorted(cells.items(), key=lambda kv: kv[0][1]):
        by_round[round_id].clauses.append(
            ClauseSection(labels[(round_id, position)], [groups[k] for k in sorted(groups)])
        )
    return list(by_round.values())


def _round_events(
    session: Session, viewer: Viewer, period: Period, consultation_id: int | None
) -> tuple[list[Round], list[Round], list[Round]]:
    """The rounds `viewer` may see that opened, close within two days, or were published."""
    until = period.until
    since = period.since or until - DEFAULT_PERIOD
    rounds = policy.visible_rounds(select(Round), viewer)
    if consultation_id is not None:
        rounds = rounds.where(Round.consultation_id == consultation_id)
    approved = Round.status == RoundStatus.APPROVED
    # Opened in the period and still open at its end ("Rounds now open for comments").
    opened = session.scalars(
        rounds.where(approved, Round.opens_at >= since, Round.opens_at < until, Round.closes_at > until)
    )
    closing = session.scalars(
        rounds.where(
            approved,
            Round.opens_at <= until,
            Round.closes_at > until,
            Round.closes_at >= since + CLOSING_WINDOW,
            Round.closes_at < until + CLOSING_WINDOW,
        )
    )
    published = session.scalars(
        rounds.where(
            Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED]),
            Round.published_at >= since,
            Round.published_at < until,
        )
    )
    return list(opened), list(closing), list(published)
