"""The RQ path: with REDIS_URL set, outbox rows are sent by workers (`rq worker mail`).

A job only names rows (or "every due row"); the worker claims them from the database outbox
like the inline sender, so a job run twice, or two workers, send nothing twice.
"""

from __future__ import annotations

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue


def queue_for(app: Flask) -> Queue:
    return Queue(app.config["MAIL_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


def enqueue_delivery(app: Flask, ids: list[int] | None) -> None:
    """Ask a worker to send these outbox rows (None: every due row)."""
    queue_for(app).enqueue(deliver_job, ids, job_timeout=3600, result_ttl=3600)


def deliver_job(ids: list[int] | None) -> dict:
    """Run by a worker: send the rows and report what happened."""
    from consult import create_app
    from consult.mail.sender import deliver

    if has_app_context():
        report = deliver(current_app._get_current_object(), ids=ids)
    else:
        app = create_app()
        with app.app_context():
            report = deliver(app, ids=ids)
    return {"sent": report.sent, "skipped": report.skipped, "retried": report.retried, "failed": report.failed}
