"""Read model of the side-by-side page and the single-clause page: clauses × stakeholder groups,
each cell what the viewer may read of one group's positions on one clause, or what they may
know of the positions that have not reached them.

Positions are accepted, unhidden comments. What a viewer reads comes from
`policy.comment_visibility_in_round`, how far each group reaches them from
`policy.group_reach`, and the number of comments waiting for them from
`policy.waiting_comments`: all in SQL, in a fixed number of statements whatever the number of
comments and clauses (one for the counts, one for the divergence, one for the comments shown
with their dispositions).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import StakeholderGroup
from consult.comments.models import Comment, CommentStatus, CommentType
from consult.dispositions.models import Acknowledgement, Disposition
from consult.dispositions.services import changed_since
from consult.drafts.models import DraftVersion
from consult.drafts.texts import ShownClause, TextChoice, version_text
from consult.rounds.models import Phase, Round
from consult.rounds.queries import with_people

CELL_LIMIT = 3  # comments shown in a cell of the side-by-side page (newest first)
CLAUSE_LIMIT = 50  # per group on the single-clause page
EARLIER_LIMIT = 100  # comments of earlier rounds on the single-clause page
SHOW = ("all", "divergent", "keep_or_change", "uncommented")


@dataclass
class Position:
    """A comment shown in a cell, with its released disposition and the author's answer."""

    comment: Comment
    disposition: Disposition | None = None
    acknowledgement: Acknowledgement | None = None
    answer_reason_shown: bool = False


@dataclass
class Cell:
    """One group on one clause, as the viewer may see it.

    `state` says which one sentence the cell is: "comments" (it lists `shown`), "waiting"
    (comments exist that reach the viewer later; `waiting` is their number, or None where the
    viewer may not know it, and then the cell says "if any"), "none" (no comment from this
    group, known), "never" (this group's comments are not shared with the viewer's).
    `note`: with "comments", what is said of the rest ("waiting" or "never") or None.
    `pending`: said besides, whatever the state (comments on their way are not positions yet)."""

    group: StakeholderGroup
    reach: policy.GroupReach
    shown: list[Position]
    visible: int
    waiting: int | None
    pending: int = 0  # the viewer's organisation's (staff: all) comments awaiting sign-off or moderation

    @property
    def state(self) -> str:
        if self.shown:
            return "comments"
        return self.note or "none"

    @property
    def note(self) -> str | None:
        if self.reach.reach is policy.Reach.NEVER:
            return "never"
        if self.reach.reach is policy.Reach.LATER and (self.waiting is None or self.waiting > 0):
            return "waiting"
        return None

    @property
    def more(self) -> int:
        """Visible comments not shown in the cell."""
        return self.visible - len(self.shown)


@dataclass
class Row:
    clause: ShownClause | None  # None: general comments
    cells: list[Cell]
    by_type: dict[CommentType, int]
    divergent: bool  # two or more groups propose changes, and the changes differ
    keep_or_change: bool  # one group proposes a change, another says the text should stay

    @property
    def key(self) -> str | None:
        return self.clause.key if self.clause else None

    @property
    def visible(self) -> int:
        return sum(cell.visible for cell in self.cells)

    @property
    def uncommented(self) -> bool:
        """Known to have no position: nothing visible, nothing (possibly) waiting or on its way."""
        return all(cell.state in ("none", "never") and not cell.pending for cell in self.cells)


@dataclass
class SideBySide:
    groups: list[StakeholderGroup]  # the columns shown
    rows: list[Row]
    reaches: dict[int, policy.GroupReach] = field(default_factory=dict)
    text: TextChoice | None = None  # the language the clauses are shown in


def parse_columns(args: Any, groups: list[StakeholderGroup]) -> list[StakeholderGroup]:
    """The groups a URL chooses as columns (`group=<id>`, repeated); all when it names none."""
    wanted = {int(v) for v in args.getlist("group") if re.fullmatch(r"[0-9]{1,9}", v)}
    chosen = [g for g in groups if g.id in wanted]
    return chosen or groups


def parse_show(args: Mapping[str, str]) -> str:
    show = args.get("show", "all")
    return show if show in SHOW else "all"


def side_by_side(
    session: Session,
    round_: Round,
    viewer: Any,
    now: datetime,
    groups: list[StakeholderGroup],
    *,
    public: bool,
    clause_key: str | None = None,
    limit: int = CELL_LIMIT,
    text_language: str | None = None,
) -> SideBySide:
    """The rows of the side-by-side page for the columns `groups` (every clause of the round's
    version, and the general comments where there are any); with `clause_key`, one clause
    ("general": the general comments) and up to `limit` comments per cell."""
    one = clause_key is not None
    # The clauses in the language asked for (`text_language`), else the reader's where translated.
    text, shown = version_text(session, round_.version_id, round_.version.language, text_language)
    clauses: list[ShownClause] = [] if clause_key == "general" else [c for c in shown if not one or c.key == clause_key]
    group_ids = [g.id for g in groups]
    reaches = policy.group_reach(session, viewer, round_, group_ids, now, public=public)
    visible = policy.comment_visibility_in_round(session, viewer, round_, now)
    waiting = policy.waiting_comments(session, viewer, round_, reaches, now, visible=visible)
    in_cells = and_(Comment.round_id == round_.id, Comment.stakeholder_group_id.in_(group_ids))
    if one:
        in_cells = and_(in_cells, Comment.clause_key == (None if clause_key == "general" else clause_key))
    accepted = and_(Comment.status == CommentStatus.ACCEPTED, Comment.hidden_at.is_(None))
    positions = and_(in_cells, accepted)
    shown_here = and_(positions, visible)
    # Comments on their way (sign-off, moderation) that the viewer reads: their organisation's,
    # or every one for staff. Not positions yet, but not silence either.
    pending = and_(visible, Comment.status.in_([CommentStatus.AWAITING_SIGNOFF, CommentStatus.AWAITING_MODERATION]))
    proposes = func.coalesce(func.length(func.trim(Comment.proposed_change)), 0) > 0

    # 1. Per clause, group and type: visible positions, those proposing a change, those
    # supporting the text, the waiting ones the viewer may count, the pending ones they read.
    stats = session.execute(
        select(
            Comment.clause_key,
            Comment.stakeholder_group_id,
            Comment.type,
            func.count(case((and_(accepted, visible), 1))),
            func.count(case((and_(accepted, visible, proposes), 1))),
            func.count(case((and_(accepted, visible, Comment.supports_text.is_(True)), 1))),
            func.count(case((waiting, 1))),
            func.count(case((pending, 1))),
        )
        .where(in_cells, or_(and_(accepted, or_(visible, waiting)), pending))
        .group_by(Comment.clause_key, Comment.stakeholder_group_id, Comment.type)
    ).all()
    # 2. Per clause, how many different changes are proposed (visible positions).
    different = dict(
        session.execute(
            select(Comment.clause_key, func.count(func.distinct(func.lower(func.trim(Comment.proposed_change)))))
            .where(shown_here, proposes)
            .group_by(Comment.clause_key)
        ).all()
    )
    # 3. The newest visible positions of each cell, with released dispositions and answers.
    ranked = (
        select(
            Comment.id.label("id"),
            func.row_number()
            .over(partition_by=(Comment.clause_key, Comment.stakeholder_group_id), order_by=Comment.id.desc())
            .label("rank"),
        )
        .where(shown_here)
        .subquery()
    )
    shown_stmt = (
        select(Comment, Disposition, Acknowledgement)
        .join(ranked, ranked.c.id == Comment.id)
        .outerjoin(Disposition, and_(Disposition.comment_id == Comment.id, policy.disposition_visibility(viewer)))
        .outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)
        .where(ranked.c.rank <= limit)
        .order_by(Comment.id.desc())
    )
    phase = round_.phase(now)
    cells: dict[tuple[str | None, int], list[Position]] = defaultdict(list)
    for comment, disposition, ack in session.execute(with_people(shown_stmt)).unique():
        cells[(comment.clause_key, comment.stakeholder_group_id)].append(
            Position(comment, disposition, ack, policy.can_read_answer_reason(viewer, comment, phase))
        )

    counts: dict[tuple[str | None, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    by_type: dict[str | None, dict[CommentType, int]] = defaultdict(lambda: defaultdict(int))
    for key, group_id, comment_type, *numbers in stats:
        total = counts[(key, group_id)]
        for i, n in enumerate(numbers):
            total[i] += n
        n_visible = numbers[0]
        if n_visible:
            by_type[key][CommentType(comment_type)] += n_visible

    def row(clause: ShownClause | None) -> Row:
        key = clause.key if clause else None
        row_cells = []
        proposing, supporting = set(), set()
        for group in groups:
            n_visible, n_proposing, n_supporting, n_waiting, n_pending = counts.get((key, group.id), (0,) * 5)
            reach = reaches[group.id]
            known = reach.reach is policy.Reach.LATER and reach.count_known
            row_cells.append(
                Cell(
                    group,
                    reach,
                    cells.get((key, group.id), []),
                    n_visible,
                    n_waiting if known or reach.reach is not policy.Reach.LATER else None,
                    n_pending,
                )
            )
            if n_proposing:
                proposing.add(group.id)
            if n_supporting:
                supporting.add(group.id)
        divergent = len(proposing) >= 2 and different.get(key, 0) >= 2
        keep_or_change = bool(proposing and supporting and len(proposing | supporting) >= 2)
        return Row(clause, row_cells, dict(by_type.get(key, {})), divergent, keep_or_change)

    rows = []
    if not one or clause_key == "general":
        general = row(None)
        if one or general.visible or any(c.waiting or c.pending for c in general.cells):
            rows.append(general)
    rows += [row(clause) for clause in clauses]
    return SideBySide(groups, rows, reaches, text)


def filter_rows(rows: list[Row], show: str) -> list[Row]:
    """The rows a `show=` filter keeps."""
    if show == "divergent":
        return [r for r in rows if r.divergent]
    if show == "keep_or_change":
        return [r for r in rows if r.keep_or_change]
    if show == "uncommented":
        return [r for r in rows if r.uncommented]
    return rows


# --- Earlier rounds on the same clause ------------------------------------------------------


@dataclass
class EarlierRound:
    round: Round
    version: DraftVersion
    carried: str  # the clause since then: changed, unchanged, deleted
    positions: list[Position]


def earlier_rounds(session: Session, round_: Round, viewer: Any, key: str, now: datetime) -> list[EarlierRound]:
    """The comments the viewer may see on clause `key` (by its stable key) in the rounds of the
    same draft that opened before `round_`, newest round first, each with its released
    disposition, and whether the clause changed from that round's version to this round's
    (`dispositions.services.changed_since`, the dispositions page's carry-forward)."""
    draft_id = round_.version.draft_id
    earlier = list(
        session.scalars(
            policy.visible_rounds(
                select(Round)
                .join(DraftVersion, DraftVersion.id == Round.version_id)
                .where(
                    Round.consultation_id == round_.consultation_id,
                    DraftVersion.draft_id == draft_id,
                    Round.id != round_.id,
                    Round.opens_at < round_.opens_at,
                ),
                viewer,
            ).order_by(Round.opens_at.desc())
        )
    )
    if not earlier:
        return []
    stmt = (
        select(Comment, Disposition, Acknowledgement)
        .outerjoin(Disposition, and_(Disposition.comment_id == Comment.id, policy.disposition_visibility(viewer)))
        .outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)
        .where(
            Comment.round_id.in_([r.id for r in earlier]),
            Comment.clause_key == key,
            Comment.status == CommentStatus.ACCEPTED,
            Comment.hidden_at.is_(None),
            policy.comment_visibility(viewer, now),
        )
        .order_by(Comment.id.desc())
        .limit(EARLIER_LIMIT)
    )
    by_round: dict[int, list[Position]] = defaultdict(list)
    phases = {r.id: r.phase(now) for r in earlier}
    for comment, disposition, ack in session.execute(with_people(stmt)).unique():
        reason = policy.can_read_answer_reason(viewer, comment, phases.get(comment.round_id, Phase.OPEN))
        by_round[comment.round_id].append(Position(comment, disposition, ack, reason))
    carried = changed_since(session, {r.version_id for r in earlier}, round_.version_id, key)
    return [
        EarlierRound(r, r.version, carried.get(r.version_id, "changed"), by_round[r.id])
        for r in earlier
        if by_round.get(r.id)
    ]
