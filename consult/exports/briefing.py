"""The conference briefing: per clause, its text, each stakeholder group's positions side by
side, dispositions and open objections; participation figures drawn as bar charts.

Positions are the round's accepted comments the viewer may see (`policy.comment_visibility`),
dispositions those the viewer may see (`policy.disposition_visibility`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import StakeholderGroup
from consult.auth.queries import stakeholder_groups
from consult.comments.forms import TYPE_LABELS
from consult.comments.models import Attribution, Comment, CommentType
from consult.dispositions.models import Acknowledgement, AcknowledgementKind, Disposition
from consult.dispositions.queries import answerable
from consult.drafts.texts import ShownClause, TextChoice, version_text
from consult.rounds.models import Round
from consult.rounds.queries import with_people

PATTERNS = ("solid", "hatch", "dots", "cross")


@dataclass
class Bar:
    label: str
    value: int
    share: float  # of the largest bar, 0..1
    pattern: str


@dataclass
class Chart:
    title: str
    bars: list[Bar]

    @property
    def height(self) -> int:
        return 28 * len(self.bars) + 8


@dataclass
class Position:
    comment: Comment
    disposition: Disposition | None
    acknowledgement: Acknowledgement | None
    reason_shown: bool = False  # the answer's reason, for its readers only (policy.can_read_answer_reason)


@dataclass
class ClauseBrief:
    clause: ShownClause | None  # None: general comments
    by_group: dict[int, list[Position]] = field(default_factory=dict)
    objections: int = 0
    answered: int = 0

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.by_group.values())


@dataclass
class RoundBrief:
    round: Round
    groups: list[StakeholderGroup]
    clauses: list[ClauseBrief]
    charts: list[Chart]
    total: int
    answered: int
    objections: int
    text: TextChoice | None = None  # the language the draft's text is given in


def chart(title: str, counts: list[tuple[str, int]]) -> Chart:
    top = max((n for _label, n in counts), default=0) or 1
    bars = [Bar(label, n, n / top, PATTERNS[i % len(PATTERNS)]) for i, (label, n) in enumerate(counts)]
    return Chart(title, bars)


def round_brief(session: Session, round_: Round, viewer: Any, now: Any, text_language: str | None = None) -> RoundBrief:
    """Everything the briefing shows for one round; the draft's text in the reader's language
    where translated (`text_language`: the one asked for), else the authoritative text."""
    groups = stakeholder_groups(session)
    text, clauses = version_text(session, round_.version_id, round_.version.language, text_language)
    stmt = (
        select(Comment, Disposition, Acknowledgement)
        .outerjoin(Disposition, and_(Disposition.comment_id == Comment.id, policy.disposition_visibility(viewer)))
        .outerjoin(Acknowledgement, Acknowledgement.disposition_id == Disposition.id)
        .where(answerable(round_, viewer, now))
        .order_by(Comment.clause_position, Comment.id)
    )
    briefs: dict[str | None, ClauseBrief] = {None: ClauseBrief(None)}
    for clause in clauses:
        briefs[clause.key] = ClauseBrief(clause)
    by_group: Counter[str] = Counter()
    by_type: Counter[CommentType] = Counter()
    by_org: Counter[str] = Counter()
    answered = objections = 0
    phase = round_.phase(now)
    for comment, disposition, ack in session.execute(with_people(stmt)).unique():
        brief = briefs.setdefault(comment.clause_key, ClauseBrief(None))
        brief.by_group.setdefault(comment.stakeholder_group_id, []).append(
            Position(
                comment, disposition, ack, ack is not None and policy.can_read_answer_reason(viewer, comment, phase)
            )
        )
        by_group[comment.stakeholder_group.name] += 1
        by_type[comment.type] += 1
        if policy.can_see_attribution(viewer, comment, Attribution.ORGANISATION):
            by_org[comment.organisation.name] += 1
        else:
            by_org[_("Not attributed (%(group)s)", group=comment.stakeholder_group.name)] += 1
        answered += disposition is not None
        brief.answered += disposition is not None
        if ack is not None and ack.kind is AcknowledgementKind.OBJECTION:
            brief.objections += 1
            objections += 1
    ordered = [briefs[None]] if briefs[None].total else []
    ordered += [briefs[c.key] for c in clauses]
    charts = [
        chart(_("Comments by stakeholder group"), [(g.name, by_group.get(g.name, 0)) for g in groups]),
        chart(_("Comments by type"), [(str(TYPE_LABELS[t]), by_type.get(t, 0)) for t in CommentType]),
        chart(_("Comments by organisation"), sorted(by_org.items(), key=lambda kv: (-kv[1], kv[0]))[:20]),
    ]
    total = sum(by_group.values())
    return RoundBrief(round_, groups, ordered, charts, total, answered, objections, text)
