"""Every authorization and visibility decision of consult.

- `permissions`: the Permission enum, the role table, `can()` and `require()`.
- `viewer`: the typed `Viewer` value (who is looking), its visibility class and cache key.
- `visibility`: who sees which comments, rounds and dispositions, as SQL conditions, and the
  audiences (`SUBMITTED`, `ACCEPTED`) and stages they are built from.
- `attribution`: how much of a comment's authorship a viewer sees.
- `reach`: how far each group's comments reach a viewer in a round, and which waiting ones
  they may count (the side-by-side page).
- `actions`: the steps a person may take on a round or a comment now.
- `signin`: who must sign in with a second factor, who may have a browser remembered.

Import from `consult.policy`; the modules are its chapters.
"""

from consult.policy.actions import (
    AUTHOR_STEPS,
    EDITABLE,
    TASK_PERMISSIONS,
    CommentStep,
    RoundStep,
    Task,
    comment_steps,
    round_steps,
    workspace_tasks,
)
from consult.policy.attribution import (
    attribution_choices,
    attribution_reader,
    attribution_shown,
    attribution_visibility,
    can_see_attribution,
    default_attribution,
)
from consult.policy.permissions import (
    ASSIGNABLE_ROLES,
    ORGANISATION_ROLES,
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    Permission,
    assignable_roles,
    authenticated,
    can,
    has_permission,
    require,
    roles_with,
)
from consult.policy.reach import GroupReach, Reach, group_reach, waiting_comments
from consult.policy.signin import (
    DEFAULT_SECOND_FACTOR_ROLES,
    may_remember_browser,
    requires_second_factor,
    second_factor_roles,
)
from consult.policy.viewer import ANONYMOUS, Viewer, VisibilityClass, as_viewer
from consult.policy.visibility import (
    ACCEPTED,
    NOTICE_READERS,
    PUBLISHED_RANK,
    STAGE_ORDER,
    SUBMITTED,
    acknowledgeable,
    authored_beyond_class,
    can_read_answer_reason,
    can_read_consultation,
    class_round_visibility,
    comment_visibility,
    comment_visibility_in_round,
    comment_visibility_then,
    digest_key,
    disposition_visibility,
    notification_visibility,
    public_rule,
    round_visibility,
    sees_all_comments,
    stage_rank,
    stages_reached,
    visible_comments,
    visible_consultations,
    visible_rounds,
)

__all__ = [
    "DEFAULT_SECOND_FACTOR_ROLES",
    "GroupReach",
    "Reach",
    "group_reach",
    "waiting_comments",
    "may_remember_browser",
    "requires_second_factor",
    "second_factor_roles",
    "ACCEPTED",
    "ANONYMOUS",
    "ASSIGNABLE_ROLES",
    "AUTHOR_STEPS",
    "EDITABLE",
    "NOTICE_READERS",
    "ORGANISATION_ROLES",
    "PUBLISHED_RANK",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "STAGE_ORDER",
    "SUBMITTED",
    "TASK_PERMISSIONS",
    "CommentStep",
    "Permission",
    "RoundStep",
    "Task",
    "Viewer",
    "VisibilityClass",
    "acknowledgeable",
    "authored_beyond_class",
    "as_viewer",
    "assignable_roles",
    "attribution_choices",
    "attribution_reader",
    "attribution_shown",
    "attribution_visibility",
    "authenticated",
    "can",
    "can_read_answer_reason",
    "can_read_consultation",
    "class_round_visibility",
    "can_see_attribution",
    "default_attribution",
    "comment_steps",
    "comment_visibility",
    "comment_visibility_in_round",
    "comment_visibility_then",
    "digest_key",
    "disposition_visibility",
    "has_permission",
    "notification_visibility",
    "require",
    "roles_with",
    "public_rule",
    "round_steps",
    "round_visibility",
    "sees_all_comments",
    "stage_rank",
    "stages_reached",
    "visible_comments",
    "visible_consultations",
    "visible_rounds",
    "workspace_tasks",
]
