"""What a person may do now: the steps a page offers on a round or a comment.

Templates list what these functions return instead of re-encoding the state machine (phase
and status comparisons) themselves; the services check the same rules again when the step is
taken (`require`, and the phase or status inside the transaction).
"""

from __future__ import annotations

import enum
from typing import Any

from consult.comments.models import CommentStatus
from consult.policy.permissions import Permission, authenticated, can, has_permission
from consult.rounds.models import Phase


class RoundStep(enum.StrEnum):
    """A step on a round, or a note about a step that waits for someone else."""

    SUBMIT = "submit"
    APPROVE = "approve"  # approve or send back
    AWAITS_OTHER_APPROVER = "awaits_other_approver"  # the preparer may not approve
    CLOSE_OR_EXTEND = "close_or_extend"
    REOPEN = "reopen"
    REQUEST_PUBLICATION = "request_publication"
    PUBLISH = "publish"  # publish or decline
    AWAITS_PUBLISHER = "awaits_publisher"
    ARCHIVE = "archive"
    DISPOSITIONS = "dispositions"  # the round has (or will have) the secretariat's answers
    DISPOSITION_TABLE = "disposition_table"  # the secretariat records answers in the ISO table
    IMPORT_COMPILED = "import_compiled"  # the secretariat imports a compiled comment table


def round_steps(user: Any, round_: Any, phase: Phase) -> frozenset[RoundStep]:
    """The steps `user` may take on `round_` in `phase`, and notes on steps waiting for others."""
    steps: set[RoundStep] = set()
    if phase in (Phase.CLOSED, Phase.PUBLISHED, Phase.ARCHIVED):
        steps.add(RoundStep.DISPOSITIONS)
    if not authenticated(user):
        return frozenset(steps)
    if has_permission(user, Permission.DISPOSITION_MANAGE):
        steps.add(RoundStep.DISPOSITION_TABLE)
        if phase in (Phase.OPEN, Phase.CLOSED):
            steps.add(RoundStep.IMPORT_COMPILED)
    if phase is Phase.DRAFT and can(user, Permission.ROUND_PREPARE):
        steps.add(RoundStep.SUBMIT)
    if phase is Phase.PENDING_APPROVAL:
        if can(user, Permission.ROUND_APPROVE, round_):
            steps.add(RoundStep.APPROVE)
        elif has_permission(user, Permission.ROUND_APPROVE):
            steps.add(RoundStep.AWAITS_OTHER_APPROVER)
    if phase in (Phase.OPEN, Phase.SCHEDULED) and has_permission(user, Permission.ROUND_MODERATE):
        steps.add(RoundStep.CLOSE_OR_EXTEND)
    if phase is Phase.CLOSED:
        if has_permission(user, Permission.ROUND_MODERATE):
            steps.add(RoundStep.REOPEN)
        requested = round_.publication_requested_at is not None
        if not requested and has_permission(user, Permission.ROUND_REQUEST_PUBLICATION):
            steps.add(RoundStep.REQUEST_PUBLICATION)
        if requested:
            steps.add(RoundStep.PUBLISH if can(user, Permission.ROUND_PUBLISH, round_) else RoundStep.AWAITS_PUBLISHER)
    if phase is Phase.PUBLISHED and has_permission(user, Permission.ROUND_REQUEST_PUBLICATION):
        steps.add(RoundStep.ARCHIVE)
    return frozenset(steps)


class CommentStep(enum.StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REPORT = "report"
    SIGN_OFF = "sign_off"
    MODERATE = "moderate"
    HIDE = "hide"  # hide, or show again
    READ_REASONS = "read_reasons"  # why it was returned, rejected or hidden


# What its author may do with a comment in each status while the round is open.
AUTHOR_STEPS = {
    CommentStatus.DRAFT: (CommentStep.EDIT, CommentStep.SUBMIT, CommentStep.WITHDRAW),
    CommentStatus.AWAITING_SIGNOFF: (CommentStep.EDIT, CommentStep.WITHDRAW),
    CommentStatus.AWAITING_MODERATION: (CommentStep.EDIT, CommentStep.WITHDRAW),
    CommentStatus.ACCEPTED: (CommentStep.EDIT, CommentStep.WITHDRAW),
    CommentStatus.REJECTED: (),
    CommentStatus.WITHDRAWN: (),
}
EDITABLE = frozenset(status for status, steps in AUTHOR_STEPS.items() if CommentStep.EDIT in steps)


def comment_steps(user: Any, comment: Any, round_open: bool) -> frozenset[CommentStep]:
    """The steps `user` may take on `comment` now (`round_open`: its round takes comments)."""
    if not authenticated(user):
        return frozenset()
    steps: set[CommentStep] = set()
    own = comment.author_id == user.id
    if own and round_open:
        steps.update(AUTHOR_STEPS[comment.status])
    if own or has_permission(user, Permission.COMMENT_VIEW_ALL):
        steps.add(CommentStep.READ_REASONS)
    if not own and has_permission(user, Permission.COMMENT_REPORT):
        steps.add(CommentStep.REPORT)
    if comment.status is CommentStatus.AWAITING_SIGNOFF and can(user, Permission.COMMENT_SIGNOFF, comment):
        steps.add(CommentStep.SIGN_OFF)
    if comment.status is CommentStatus.AWAITING_MODERATION and has_permission(user, Permission.COMMENT_MODERATE):
        steps.add(CommentStep.MODERATE)
    if has_permission(user, Permission.COMMENT_HIDE):
        steps.add(CommentStep.HIDE)
    return frozenset(steps)
