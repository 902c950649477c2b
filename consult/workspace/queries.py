"""What waits for a person, one list per task (`policy.Task`), one statement per list.

Every list goes through policy: rounds with `policy.visible_rounds`, comments with
`policy.comment_visibility`, dispositions with `policy.disposition_visibility` and
`policy.acknowledgeable`, so a participant never sees a count that includes input they may not
see. Each list shows at most `LIMIT` items and counts all of them in the same statement (a
window count), so the page runs the same number of statements whatever the data.

Order: what has a deadline, the nearest deadline first ("closes in 2 days" before "in 3
weeks"); what waits for a moderator, the oldest first, with how long it has waited; answers in
closed rounds, the most recently closed first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consult import policy
from consult.policy import Task
from consult.workspace.accounts import disabled_with_work, expired_invitations
from consult.workspace.lists import TaskList
from consult.workspace.speakers import answers, drafts, open_rounds, returned, signoff
from consult.workspace.staff import (
    approvals,
    digests,
    dispositions,
    objections,
    premoderation,
    publication_requests,
    publications,
    reports,
    sent_back,
)

LISTS: dict[Task, Callable[[Session, Any, datetime], TaskList]] = {
    Task.OPEN_ROUNDS: open_rounds,
    Task.DRAFTS: drafts,
    Task.RETURNED: returned,
    Task.ANSWERS: answers,
    Task.SIGNOFF: signoff,
    Task.APPROVALS: approvals,
    Task.PUBLICATIONS: publications,
    Task.PREMODERATION: premoderation,
    Task.REPORTS: reports,
    Task.SENT_BACK: sent_back,
    Task.PUBLICATION_REQUESTS: publication_requests,
    Task.DISPOSITIONS: dispositions,
    Task.OBJECTIONS: objections,
    Task.DIGESTS: digests,
    Task.EXPIRED_INVITATIONS: expired_invitations,
    Task.DISABLED_WITH_WORK: disabled_with_work,
}


def workspace(db: Session, user: Any, now: datetime) -> list[TaskList]:
    """The lists of what waits for `user`, in the order `policy.workspace_tasks` gives."""
    viewer = policy.as_viewer(user)
    return [LISTS[task](db, viewer, now) for task in policy.workspace_tasks(viewer) if task in LISTS]
