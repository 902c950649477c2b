"""The mail wing: everything on the way out, and nothing of the domain.

| module | holds |
|---|---|
| `models.py` | the outbox (`OutboxMessage`): one row per recipient and email event |
| `outbox.py` | queueing in the caller's transaction (`queue_email`, `enqueue`), sending after commit (`dispatch`) |
| `render.py` | email templates, the recipient's language and timezone, the renderer registry rooms fill at `init_app` |
| `sender.py` | `deliver()`: claim due rows, render, send over one SMTP connection, record each |
| `smtp.py` | each message's bytes and the run's SMTP exchange |
| `jobs.py` | the RQ path: with REDIS_URL set, workers on the mail queue run `deliver` |

Rooms import from here; this package imports no room (a test checks it).
"""

from __future__ import annotations

from flask import Flask

from consult.mail.outbox import QUEUED_IDS, dispatch, enqueue, forget_queued, queue_email, send_after_commit
from consult.mail.render import (
    Registry,
    Rendered,
    Run,
    end_recipient_context,
    recipient_locale,
    recipient_timezone,
    register_batch_hook,
    register_renderer,
    render_parts,
)

__all__ = [
    "QUEUED_IDS",
    "Rendered",
    "Run",
    "dispatch",
    "end_recipient_context",
    "enqueue",
    "forget_queued",
    "init_app",
    "queue_email",
    "recipient_locale",
    "recipient_timezone",
    "register_batch_hook",
    "register_renderer",
    "render_parts",
    "send_after_commit",
]


def init_app(app: Flask) -> None:
    """An empty renderer registry; rooms register theirs at their own `init_app`."""
    app.extensions["consult.mail"] = Registry()
