"""Briefing PDFs made as jobs: by an RQ worker when REDIS_URL is set, inline otherwise.

`start_briefing` records a job for the person who asked (a `BriefingJob` row) and hands it on;
`run` renders it as that person, with what they may see when it runs (`policy` filters, as the
briefing page does), in their language and timezone, writing its progress to the row after
every part (`briefing_pdf.render_pdf`) and the finished file into it. Only that person, or
staff, may read the row and download the file (`can_read`).

A job is claimed by an UPDATE from queued to running, so a job handed to two workers runs once.
"""

from __future__ import annotations

import contextvars
import traceback
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, has_app_context, render_template
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consult import policy
from consult.auth.models import User
from consult.consultations.models import Consultation
from consult.db import database, utcnow
from consult.errors import NotAllowed
from consult.exports import briefing, briefing_pdf
from consult.exports.models import BriefingJob, JobStatus
from consult.rounds.models import Round

KEEP = timedelta(days=1)  # a person's finished jobs are deleted after this, when they start another
KEEP_AT_MOST = 5  # and no more than this many are kept per person
STALLED = timedelta(minutes=30)  # a job running (or queued) longer than this has died
STAGE_LABELS = {
    "": _l("Waiting for its turn"),
    "reading": _l("Reading the comments you may see"),
    "rendering": _l("Laying out the pages"),
    "writing": _l("Writing the file"),
    "done": _l("Ready"),
    "failed": _l("Stopped"),
}


def can_read(user: Any, job: BriefingJob) -> bool:
    """The person who asked for it, or staff (who see every submitted comment anyway)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return job.requested_by_id == user.id or policy.sees_all_comments(user)


def is_stalled(job: BriefingJob, now: datetime) -> bool:
    """A job its worker has left: queued or running for longer than STALLED."""
    return not job.is_finished and (job.started_at or job.created_at) < now - STALLED


def start_briefing(
    session: Session,
    *,
    actor: User,
    round_: Round | None = None,
    consultation: Consultation | None = None,
    locale: str = "en",
    timezone: str = "UTC",
) -> tuple[BriefingJob, bool]:
    """Record a briefing job for `actor`: (job, created). The caller commits, then calls
    `dispatch` for a new job; an unfinished job of the same person for the same briefing is
    returned instead of a new one."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_l("Sign in to have a briefing PDF made."))
    now = utcnow()
    if round_ is not None:
        subject = BriefingJob.round_id == round_.id
    else:
        subject = BriefingJob.consultation_id == consultation.id
    same = select(BriefingJob).where(
        BriefingJob.requested_by_id == actor.id,
        subject,
        BriefingJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        BriefingJob.created_at > now - STALLED,
    )
    existing = session.scalar(same.order_by(BriefingJob.id.desc()).limit(1))
    if existing is not None:
        return existing, False
    _forget_old_jobs(session, actor.id, now)
    if round_ is not None:
        filename = f"briefing-round-{round_.id}.pdf"
    else:
        filename = f"briefing-consultation-{consultation.id}.pdf"
    job = BriefingJob(
        requested_by_id=actor.id,
        round_id=round_.id if round_ else None,
        consultation_id=None if round_ else consultation.id,
        locale=locale[:16],
        timezone=timezone[:64],
        filename=filename,
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job, True


def _forget_old_jobs(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        delete(BriefingJob).where(BriefingJob.requested_by_id == user_id, BriefingJob.created_at < now - KEEP)
    )
    kept = session.scalars(
        select(BriefingJob.id)
        .where(BriefingJob.requested_by_id == user_id)
        .order_by(BriefingJob.id.desc())
        .offset(KEEP_AT_MOST - 1)
    ).all()
    if kept:
        session.execute(delete(BriefingJob).where(BriefingJob.id.in_(kept)))


def dispatch(app: Flask, job_id: int) -> None:
    """Hand the (committed) job on: to an RQ worker with REDIS_URL, else run it now."""
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        queue = Queue(app.config["BRIEFING_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
        queue.enqueue(run_briefing_job, job_id, job_timeout=3600, result_ttl=3600)
        return
    # Inline: in a context of its own (its own app context, `g` and sessions), as a worker would.
    contextvars.Context().run(run, app, job_id)


def run_briefing_job(job_id: int) -> str:
    """Run by an RQ worker (`rq worker briefings`)."""
    from consult import create_app

    app = current_app._get_current_object() if has_app_context() else create_app()
    return run(app, job_id)


def run(app: Flask, job_id: int) -> str:
    """Claim the job, render the briefing as its owner, store the file; the job's final status."""
    db_ = app.extensions["consult.db"]
    with app.app_context():
        writer = db_.new_session()
        try:
            claimed = writer.execute(
                update(BriefingJob)
                .where(BriefingJob.id == job_id, BriefingJob.status == JobStatus.QUEUED)
                .values(status=JobStatus.RUNNING, started_at=utcnow(), stage="reading", progress=1)
            ).rowcount
            writer.commit()
            if not claimed:
                return "skipped"
            job = writer.get(BriefingJob, job_id)
            try:
                pdf = _render(app, writer, job)
            except Exception as exc:  # the person sees that it stopped; the log has the details
                writer.rollback()
                app.logger.error("briefing job %s failed:\n%s", job_id, traceback.format_exc())
                _finish(writer, job_id, JobStatus.FAILED, error=_reason(exc))
                return "failed"
            _finish(writer, job_id, JobStatus.DONE, pdf=pdf)
            return "done"
        finally:
            writer.close()


def _reason(exc: Exception) -> str:
    from flask_babel import gettext as _

    if isinstance(exc, NotAllowed):
        return str(exc)
    return _("The briefing could not be made. Try again; if it fails again, tell the secretariat.")


def _finish(writer: Session, job_id: int, status: JobStatus, pdf: bytes | None = None, error: str = "") -> None:
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "error": error[:2000]}
    if pdf is not None:
        values |= {"pdf": pdf, "size": len(pdf), "progress": 100, "stage": "done"}
    else:
        values["stage"] = "failed"
    writer.execute(update(BriefingJob).where(BriefingJob.id == job_id).values(**values))
    writer.commit()


def _set_progress(writer: Session, job_id: int, stage: str, percent: int) -> None:
    writer.execute(
        update(BriefingJob).where(BriefingJob.id == job_id).values(stage=stage, progress=max(1, min(99, percent)))
    )
    writer.commit()


def _render(app: Flask, writer: Session, job: BriefingJob) -> bytes:
    """The PDF, rendered as the job's owner sees things now."""
    from consult.comments.display import byline
    from consult.comments.forms import TYPE_LABELS
    from consult.dispositions.forms import ACK_LABELS, KIND_LABELS

    reader = database().new_session(read_only=True)
    headers = {"Accept-Language": job.locale}
    try:
        with app.test_request_context("/", headers=headers, base_url=app.config.get("PUBLIC_URL")):
            g.email_timezone = job.timezone  # times in the owner's timezone (consult._select_timezone)
            viewer = reader.get(User, job.requested_by_id) if job.requested_by_id else None
            if viewer is None or not viewer.is_active:
                viewer = AnonymousUserMixin()
            now = utcnow()
            consultation, rounds = _subject(reader, job, viewer)
            briefs = [briefing.round_brief(reader, r, viewer, now) for r in rounds]
            _set_progress(writer, job.id, "rendering", 5)
            context = {
                "consultation": consultation,
                "briefs": briefs,
                "generated_at": now,
                "KIND_LABELS": KIND_LABELS,
                "ACK_LABELS": ACK_LABELS,
                "TYPE_LABELS": TYPE_LABELS,
                "byline": lambda comment: byline(comment, viewer),
            }

            def html_of(part: briefing_pdf.Part):
                return lambda: render_template("exports/briefing_part.html", part=part, **context)

            parts = [(html_of(part), part.weight) for part in briefing_pdf.plan(briefs)]

            def progress(done: int, total: int) -> None:
                _set_progress(writer, job.id, "rendering" if done < total else "writing", 5 + 90 * done // total)

            return briefing_pdf.render_pdf(parts, app.static_folder, title=consultation.title, progress=progress)
    finally:
        reader.rollback()
        reader.close()


def _subject(session: Session, job: BriefingJob, viewer: Any) -> tuple[Consultation, list[Round]]:
    """The consultation and the rounds the briefing covers, as `viewer` may see them now."""
    from flask_babel import gettext as _

    gone = NotAllowed(_("This briefing is no longer available to you."))
    if job.round_id is not None:
        round_ = session.scalar(policy.visible_rounds(select(Round).where(Round.id == job.round_id), viewer))
        if round_ is None:
            raise gone
        return session.get(Consultation, round_.consultation_id), [round_]
    consultation = session.get(Consultation, job.consultation_id)
    if consultation is None or not policy.can_read_consultation(viewer, consultation):
        raise gone
    rounds = session.scalars(
        policy.visible_rounds(select(Round).where(Round.consultation_id == consultation.id), viewer)
        .order_by(Round.opens_at, Round.id)
        .limit(50)
    )
    return consultation, list(rounds)
