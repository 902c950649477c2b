"""The RQ path: with REDIS_URL set, outbox rows are sent by workers (`flask mail worker`).

A job only names rows (or "every due row"); the worker claims them from the database outbox
like the inline sender, so a job run twice, or two workers, send nothing twice. The worker
runs inside the application (`flask mail worker` builds it once and works in its context), so a
job needs no app factory of its own.
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
    from consult.mail.sender import deliver

    if not has_app_context():
        raise RuntimeError("run mail jobs with `flask mail worker`: a job needs the application's context")
    report = deliver(current_app._get_current_object(), ids=ids)
    return {"sent": report.sent, "skipped": report.skipped, "retried": report.retried, "failed": report.failed}


def work(app: Flask, *, burst: bool = False) -> bool:
    """Work the mail queue in this process, in `app`'s context (RQ's SimpleWorker: no fork, so
    jobs share the application and its database engine); `burst`: stop when the queue is empty."""
    from rq import SimpleWorker

    queue = queue_for(app)
    with app.app_context():
        return SimpleWorker([queue], connection=queue.connection).work(burst=burst)
