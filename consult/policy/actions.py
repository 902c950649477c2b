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
    CommentStatus.REJECTED: (CommentStep.EDIT,),  # change it and submit it again (the reason stays shown)
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


class Task(enum.StrEnum):
    """A list of what waits for someone on their workspace (the signed-in home page)."""

    OPEN_ROUNDS = "open_rounds"  # rounds one can comment on now
    DRAFTS = "drafts"  # one's comments not yet submitted
    RETURNED = "returned"  # one's comments returned by the focal point or rejected by a moderator
    ANSWERS = "answers"  # released dispositions waiting for "satisfied / objection maintained"
    SIGNOFF = "signoff"  # the organisation's comments waiting for the focal point
    APPROVALS = "approvals"  # rounds waiting for approval
    PUBLICATIONS = "publications"  # closed rounds whose publication was requested
    PREMODERATION = "premoderation"  # comments waiting in pre-moderation
    REPORTS = "reports"  # open reports
    SENT_BACK = "sent_back"  # rounds sent back to the organisers, with the reason
    PUBLICATION_REQUESTS = "publication_requests"  # closed rounds to ask publication for, or asked
    DISPOSITIONS = "dispositions"  # closed rounds with dispositions to draft or release
    OBJECTIONS = "objections"  # open objections per round
    DIGESTS = "digests"  # organiser digests still being sent (or with failures)
    EXPIRED_INVITATIONS = "expired_invitations"  # invitations that expired unused
    DISABLED_WITH_WORK = "disabled_with_work"  # disabled accounts with tasks still open
    PROGRESS = "progress"  # staff: a progress line per round in progress


# Who sees which list: the permission that lets a person act on what it lists (the progress
# lines count unpublished input, so they are for those who read all of it).
TASK_PERMISSIONS: dict[Task, Permission] = {
    Task.OPEN_ROUNDS: Permission.COMMENT_CREATE,
    Task.DRAFTS: Permission.COMMENT_CREATE,
    Task.RETURNED: Permission.COMMENT_CREATE,
    Task.ANSWERS: Permission.DISPOSITION_ACKNOWLEDGE,
    Task.SIGNOFF: Permission.COMMENT_SIGNOFF,
    Task.APPROVALS: Permission.ROUND_APPROVE,
    Task.PUBLICATIONS: Permission.ROUND_PUBLISH,
    Task.PREMODERATION: Permission.COMMENT_MODERATE,
    Task.REPORTS: Permission.REPORT_HANDLE,
    Task.SENT_BACK: Permission.ROUND_PREPARE,
    Task.PUBLICATION_REQUESTS: Permission.ROUND_REQUEST_PUBLICATION,
    Task.DISPOSITIONS: Permission.DISPOSITION_MANAGE,
    Task.OBJECTIONS: Permission.DISPOSITION_MANAGE,
    Task.DIGESTS: Permission.DIGEST_SEND,
    Task.EXPIRED_INVITATIONS: Permission.USER_MANAGE,
    Task.DISABLED_WITH_WORK: Permission.USER_MANAGE,
    Task.PROGRESS: Permission.COMMENT_VIEW_ALL,
}


def workspace_tasks(user: Any) -> tuple[Task, ...]:
    """The lists `user`'s workspace shows, in the order it shows them."""
    if not authenticated(user):
        return ()
    tasks = [task for task in Task if has_permission(user, TASK_PERMISSIONS[task])]
    if getattr(user, "organisation_id", None) is None:  # only people of an organisation comment
        tasks = [t for t in tasks if t not in (Task.OPEN_ROUNDS, Task.DRAFTS, Task.RETURNED, Task.ANSWERS)]
    return tuple(tasks)
