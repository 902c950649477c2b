"""Notifications in the app: what reaches a person by email reaches them here too, once.

| module | holds |
|---|---|
| `models.py` | `Notification`: one row per person and event; `TASK_KINDS`, the ones that ask something |
| `services.py` | `record` (by `digests.notices`, with the outbox row), `mark_read`, `mark_all_read`, `resolve` |
| `tasks.py` | receivers of `consult.signals`: a task's notifications are done when the task is |
| `queries.py` | the bell's unread count, a page of notifications (`policy.notification_visibility`) |
| `display.py` | what a notification says to its reader now, through policy |
| `bell.py` | the bell in the header, filled in per response |
| `views.py` | the notifications page, marking one or all read |
"""

from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    """Subscribe to the announcements that finish tasks, and put the bell into every page."""
    from consult.notifications import bell, tasks

    tasks.init_app()
    app.context_processor(bell.context)
    app.after_request(bell.fill)
