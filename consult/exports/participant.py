"""A participant's comment table: checked row by row, compared with what they imported into the
round before, and applied (all or nothing).

The first table a person imports into a round is stored at once. A table they send again to
the same round replaces that import: `plan_import` lists what it adds, changes and withdraws,
the file waits in `PendingImport` until they confirm that list (`receive_table`,
`confirm_pending`), and the confirmation applies exactly the list shown (its fingerprint) or
none. Texts are kept exactly as written.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete as sa_delete
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import Organisation, User
from consult.comments import services as comments
from consult.comments.models import Attribution, Comment, CommentClause, CommentStatus
from consult.db import utcnow
from consult.errors import Conflict, DomainError, NotFound
from consult.exports.importer import Checked, ImportRefused, Problem, check_row, clause_index, read, speaks_for
from consult.exports.models import PendingImport
from consult.policy import Permission
from consult.rounds.models import Round
from consult.rounds.queries import MAX_ID

# The nonce of a comment imported from a participant's table: "table-<round>-<import>-<row>"
# (before issue 11.12: "table-<file digest>-<row>", which made the same file into a second round
# store nothing). The row is always the last part: a corrected table is matched row by row.
IMPORTED = "table-"
PENDING_DAYS = 7  # a table sent again and never confirmed is dropped after this


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"  # withdrawn
    UNCHANGED = "unchanged"


@dataclass
class Change:
    """What importing the table does to one comment: a row of the table, an earlier imported
    comment, or both."""

    kind: ChangeKind
    checked: Checked | None = None  # the table's row (None: removed)
    source_number: str = ""
    comment: Comment | None = None  # the earlier comment (None: added; the new one once stored)

    @property
    def row(self) -> int | None:
        return self.checked.row if self.checked is not None else None


@dataclass
class ImportPlan:
    """What importing a table into a round does, against its sender's earlier import there."""

    changes: list[Change]
    earlier: int  # the sender's comments imported into this round before (not withdrawn)

    def of(self, kind: ChangeKind) -> list[Change]:
        return [c for c in self.changes if c.kind is kind]

    @property
    def has_changes(self) -> bool:
        return any(c.kind is not ChangeKind.UNCHANGED for c in self.changes)

    @property
    def fingerprint(self) -> str:
        """Names the plan: a confirmation applies the plan that was shown, or none."""
        parts = sorted(f"{c.kind}:{c.row}:{c.comment.id if c.comment else ''}" for c in self.changes)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


class PlanChanged(Conflict):
    """The comments changed since the plan was shown: it is shown again, nothing was done."""


def _check_table(session: Session, actor: User, round_: Round, data: bytes, now: datetime) -> list[tuple[Checked, str]]:
    """Every row of the table checked (ImportRefused listing each problem): (row, its number)."""
    policy.require(actor, Permission.COMMENT_CREATE)
    if actor.organisation_id is None:
        raise ImportRefused([Problem(0, _("Only people who speak for an organisation can import comments."))])
    if not round_.is_open(now):
        raise ImportRefused([Problem(0, _("This round is not open for comments."))])
    table = read(data)
    organisation = session.get(Organisation, actor.organisation_id)
    index = clause_index(session, round_)
    problems: list[Problem] = []
    accepted: list[tuple[Checked, str]] = []
    for row in table.rows:
        reasons: list[str] = []
        ours, number_in_mb = speaks_for(row.cells.get("mb", ""), organisation)
        if not ours:
            reasons.append(_("you cannot speak for “%(org)s”", org=row.cells.get("mb", "")[:60]))
        if row.cells.get("observation", "").strip():
            reasons.append(_("observations of the secretariat are written by the secretariat: leave that column empty"))
        checked = check_row(row, index, reasons)
        if reasons:
            problems.append(Problem(row.row, "; ".join(reasons)))
            continue
        accepted.append((checked, (row.cells.get("number", "") or number_in_mb)[:40]))
    if problems:
        raise ImportRefused(problems)
    return accepted


def _row_of(nonce: str) -> int | None:
    tail = nonce.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def plan_import(
    session: Session, *, actor: User, round_: Round, data: bytes, now: datetime | None = None
) -> ImportPlan:
    """Check the table and say what importing it does: its rows against the comments its sender
    imported into this round before (a corrected table replaces them). A row equal to an earlier
    comment leaves it unchanged; a row with the number of an earlier comment (in a table without
    numbers: at its row) changes it; other rows are added; earlier comments the table no longer holds are withdrawn
    (a rejected one is left as it is)."""
    rows = _check_table(session, actor, round_, data, now or utcnow())
    earlier = list(
        session.scalars(
            select(Comment)
            .where(
                Comment.author_id == actor.id,
                Comment.round_id == round_.id,
                Comment.nonce.startswith(IMPORTED, autoescape=True),
                Comment.status != CommentStatus.WITHDRAWN,
            )
            .order_by(Comment.id)
        )
    )
    others: dict[int, list[str]] = {}
    if earlier:
        for comment_id, key in session.execute(
            select(CommentClause.comment_id, CommentClause.clause_key).where(
                CommentClause.comment_id.in_([c.id for c in earlier])
            )
        ):
            others.setdefault(comment_id, []).append(key)

    def stored_key(c: Comment) -> tuple:
        return (c.clause_key, tuple(sorted(others.get(c.id, ()))), c.clause_ref, c.type, c.body,
                c.proposed_change, c.line_number, c.paragraph, c.source_number)  # fmt: skip

    def row_key(item: Checked, number: str) -> tuple:
        return (item.clause_key, tuple(sorted(item.other_clause_keys)), item.clause_ref, item.type, item.body,
                item.proposed_change, item.line_number, item.paragraph, number)  # fmt: skip

    left = list(earlier)
    changes: list[Change | None] = [None] * len(rows)

    def take(i: int, kind: ChangeKind, found: Comment | None) -> None:
        item, number = rows[i]
        changes[i] = Change(kind, item, number, found)
        if found is not None:
            left.remove(found)

    for i, (item, number) in enumerate(rows):  # unchanged rows first, wherever they moved
        found = next((c for c in left if stored_key(c) == row_key(item, number)), None)
        if found is not None:
            take(i, ChangeKind.UNCHANGED, found)
    for i, (_item, number) in enumerate(rows):  # then by the table's own number
        if changes[i] is None and number:
            found = next((c for c in left if c.source_number == number), None)
            if found is not None:
                take(i, ChangeKind.CHANGED, found)
    for i, (item, number) in enumerate(rows):  # then, in a table without numbers, by the row
        if changes[i] is None:
            found = None
            if not number:
                found = next((c for c in left if not c.source_number and _row_of(c.nonce) == item.row), None)
            take(i, ChangeKind.ADDED if found is None else ChangeKind.CHANGED, found)
    result = [c for c in changes if c is not None]
    result += [Change(ChangeKind.REMOVED, comment=c) for c in left if c.status is not CommentStatus.REJECTED]
    return ImportPlan(result, len(earlier))


def _input(item: Checked, number: str) -> comments.CommentInput:
    return comments.CommentInput(
        item.clause_key,
        item.type,
        item.body,
        item.proposed_change,
        Attribution.ORGANISATION,
        line_number=item.line_number,
        paragraph=item.paragraph,
        clause_ref=item.clause_ref,
        other_clause_keys=item.other_clause_keys,
        source_number=number,
    )


def import_comments(
    session: Session,
    *,
    actor: User,
    round_: Round,
    data: bytes,
    now: datetime | None = None,
    expected: str | None = None,
) -> ImportPlan:
    """Check every row and, when all are fine, make the actor's organisation's submitted comments
    what the table holds (`plan_import`): rows added, earlier imported comments changed or
    withdrawn. `expected`: the fingerprint of the plan the person confirmed (PlanChanged when the
    plan is no longer that one). The caller commits only when nothing was refused."""
    now = now or utcnow()
    plan = plan_import(session, actor=actor, round_=round_, data=data, now=now)
    if expected is not None and plan.fingerprint != expected:
        raise PlanChanged(_("Your comments changed since this list was made. Check the new list and confirm again."))
    return _apply_plan(session, actor, round_, plan, now)


def _apply_plan(session: Session, actor: User, round_: Round, plan: ImportPlan, now: datetime) -> ImportPlan:
    batch = secrets.token_hex(6)
    problems: list[Problem] = []
    for change in plan.changes:
        try:
            _apply(session, actor, round_, change, f"{IMPORTED}{round_.id}-{batch}-{change.row}", now)
        except DomainError as exc:
            problems.append(Problem(change.row or 0, str(exc)))
    if problems:
        raise ImportRefused(problems)  # the caller does not commit: nothing is kept
    return plan


def _apply(session: Session, actor: User, round_: Round, change: Change, nonce: str, now: datetime) -> None:
    if change.kind is ChangeKind.REMOVED:
        comments.withdraw_comment(session, actor=actor, comment=change.comment, now=now)
        return
    if change.kind is ChangeKind.UNCHANGED:
        return
    item, number = change.checked, change.source_number
    if change.kind is ChangeKind.ADDED:
        change.comment, _created = comments.save_comment(
            session,
            actor=actor,
            round_=round_,
            data=_input(item, number),
            nonce=nonce,
            submit=True,
            now=now,
            exact=True,
        )
        return
    comment = change.comment
    comments.update_comment(
        session, actor=actor, comment=comment, data=_input(item, number), submit=True, now=now, exact=True
    )
    comment.clause_ref, comment.source_number, comment.nonce = item.clause_ref, number, nonce
    session.execute(sa_delete(CommentClause).where(CommentClause.comment_id == comment.id))
    for key in item.other_clause_keys:
        session.add(CommentClause(comment_id=comment.id, clause_key=key))
    session.flush()


@dataclass
class Received:
    """What became of a table sent to the import page: imported at once (no earlier import in
    the round), kept for its sender to confirm the changes it makes, or nothing to change."""

    plan: ImportPlan
    pending: PendingImport | None = None

    @property
    def applied(self) -> bool:
        return self.pending is None and self.plan.has_changes


def receive_table(
    session: Session, *, actor: User, round_: Round, data: bytes, now: datetime | None = None
) -> Received:
    """A table sent to the import page: the first into a round is imported; one sent again is
    kept until its sender confirms what it changes (`confirm_pending`)."""
    now = now or utcnow()
    plan = plan_import(session, actor=actor, round_=round_, data=data, now=now)
    if not plan.earlier:
        return Received(_apply_plan(session, actor, round_, plan, now))
    if not plan.has_changes:
        return Received(plan)
    session.execute(  # one at a time per person; nobody's waits longer than PENDING_DAYS
        sa_delete(PendingImport).where(
            or_(PendingImport.user_id == actor.id, PendingImport.created_at < now - timedelta(days=PENDING_DAYS))
        )
    )
    pending = PendingImport(user_id=actor.id, round_id=round_.id, data=data, created_at=now)
    session.add(pending)
    session.flush()
    return Received(plan, pending)


def pending_import(session: Session, actor: User, round_: Round, pending_id: int) -> PendingImport | None:
    """The actor's table waiting for confirmation in this round, if it still waits."""
    if not 0 < pending_id < MAX_ID:
        return None
    return session.scalar(
        select(PendingImport).where(
            PendingImport.id == pending_id, PendingImport.user_id == actor.id, PendingImport.round_id == round_.id
        )
    )


def confirm_pending(
    session: Session,
    *,
    actor: User,
    round_: Round,
    pending: PendingImport | None,
    expected: str,
    now: datetime | None = None,
) -> ImportPlan:
    """Apply the changes of a table its sender confirmed (the plan they saw: `expected`)."""
    if pending is None:
        raise NotFound(_("This import is no longer waiting: send the table again."))
    plan = import_comments(session, actor=actor, round_=round_, data=pending.data, now=now, expected=expected)
    session.delete(pending)
    session.flush()
    return plan
