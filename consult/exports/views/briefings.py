"""The conference briefing: the page, and its PDF made as a job with a progress page."""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from consult import policy
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions.forms import ACK_LABELS, KIND_LABELS
from consult.errors import NotAllowed
from consult.exports import bp, briefing, jobs
from consult.exports.models import BriefingJob, JobStatus
from consult.extensions import limiter
from consult.forms import OnceForm
from consult.rounds.models import Round
from consult.rounds.queries import visible_round
from consult.web import create_once, current_actor


def _visible_consultation(db, consultation_id: int) -> Consultation:
    if not 0 < consultation_id < 2**62:
        abort(404)
    consultation = db.get(Consultation, consultation_id)
    if consultation is None or not policy.can_read_consultation(current_user, consultation):
        abort(404)
    return consultation


def _page(consultation, briefs, pdf_url: str) -> str:
    return render_template(
        "exports/briefing.html",
        consultation=consultation,
        briefs=briefs,
        pdf_url=pdf_url,
        generated_at=utcnow(),
        KIND_LABELS=KIND_LABELS,
        ACK_LABELS=ACK_LABELS,
    )


@bp.route("/rounds/<int:round_id>/briefing")
def round_briefing(round_id: int):
    """The conference briefing for one round (HTML)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    consultation = db.get(Consultation, round_.consultation_id)
    briefs = [briefing.round_brief(db, round_, current_user, utcnow())]
    return _page(consultation, briefs, url_for("exports.round_briefing_pdf", round_id=round_id))


@bp.route("/consultations/<int:consultation_id>/briefing")
def consultation_briefing(consultation_id: int):
    """The conference briefing for every round of a consultation the viewer may see (HTML)."""
    db = get_session()
    consultation = _visible_consultation(db, consultation_id)
    rounds = db.scalars(
        policy.visible_rounds(select(Round).where(Round.consultation_id == consultation.id), current_user)
        .order_by(Round.opens_at, Round.id)
        .limit(50)
    )
    now = utcnow()
    briefs = [briefing.round_brief(db, r, current_user, now) for r in rounds]
    return _page(consultation, briefs, url_for("exports.consultation_briefing_pdf", consultation_id=consultation_id))


# --- The PDF, as a job --------------------------------------------------------------------------


class StartForm(OnceForm):
    """Only the CSRF token: asking for the PDF needs no input."""


def _person_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr or ""


def _start_page(consultation, round_, status: int = 200):
    recent = []
    if current_user.is_authenticated:
        subject = BriefingJob.round_id == round_.id if round_ else BriefingJob.consultation_id == consultation.id
        recent = get_session().scalars(
            select(BriefingJob)
            .where(BriefingJob.requested_by_id == current_user.id, subject)
            .order_by(BriefingJob.id.desc())
            .limit(jobs.KEEP_AT_MOST)
        )
    return render_template(
        "exports/briefing_pdf.html",
        consultation=consultation,
        round=round_,
        form=StartForm(formdata=None),
        recent=list(recent),
        now=utcnow(),
        STAGE_LABELS=jobs.STAGE_LABELS,
    ), status


def _start(consultation, round_):
    if not current_user.is_authenticated:
        from consult.extensions import login_manager

        return login_manager.unauthorized()
    form = StartForm()
    if not form.validate_on_submit():
        return _start_page(consultation, round_, 400)
    db = get_session()
    try:
        done = create_once(
            form,
            lambda: jobs.start_briefing(
                db,
                actor=current_actor(),
                round_=round_,
                consultation=consultation,
                locale=str(get_locale()),
                timezone=str(get_timezone()),
            ),
            purpose="briefing",
            url_of=lambda started: url_for("exports.briefing_job", job_id=started[0].id),
            success=_("The PDF is being made."),
        )
    except NotAllowed:
        abort(403)
    if done.value is not None and done.value[1]:  # a new job (not the same form again, nor one running)
        jobs.dispatch(current_app._get_current_object(), done.value[0].id)
    return redirect(done.url)


@bp.route("/rounds/<int:round_id>/briefing.pdf", methods=["GET", "POST"])
@limiter.limit("20 per hour", key_func=_person_key, methods=["POST"])
def round_briefing_pdf(round_id: int):
    """The briefing of one round as PDF: GET explains and offers it, POST has it made (a job)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    consultation = db.get(Consultation, round_.consultation_id)
    if request.method == "POST":
        return _start(consultation, round_)
    return _start_page(consultation, round_)


@bp.route("/consultations/<int:consultation_id>/briefing.pdf", methods=["GET", "POST"])
@limiter.limit("20 per hour", key_func=_person_key, methods=["POST"])
def consultation_briefing_pdf(consultation_id: int):
    """The briefing of a consultation as PDF: GET explains and offers it, POST has it made (a job)."""
    db = get_session()
    consultation = _visible_consultation(db, consultation_id)
    if request.method == "POST":
        return _start(consultation, None)
    return _start_page(consultation, None)


def _readable_job(db, job_id: int, with_file: bool = False) -> BriefingJob:
    """The job if the viewer asked for it (or is staff), else 404."""
    if not 0 < job_id < 2**62 or not current_user.is_authenticated:
        abort(404)
    stmt = select(BriefingJob).where(BriefingJob.id == job_id)
    if with_file:
        stmt = stmt.options(undefer(BriefingJob.pdf))
    job = db.scalar(stmt)
    if job is None or not jobs.can_read(current_user, job):
        abort(404)
    return job


@bp.route("/briefing-jobs/<int:job_id>")
def briefing_job(job_id: int):
    """A briefing PDF's progress; its download once ready (the page reloads itself until then)."""
    db = get_session()
    job = _readable_job(db, job_id)
    subject = db.get(Round, job.round_id) if job.round_id else None
    consultation = db.get(Consultation, subject.consultation_id if subject else job.consultation_id)
    return render_template(
        "exports/briefing_job.html",
        job=job,
        round=subject,
        consultation=consultation,
        stalled=jobs.is_stalled(job, utcnow()),
        STAGE_LABELS=jobs.STAGE_LABELS,
    )


@bp.route("/briefing-jobs/<int:job_id>/briefing.pdf")
def briefing_job_file(job_id: int):
    """The finished PDF, for the person who asked for it (or staff)."""
    db = get_session()
    job = _readable_job(db, job_id, with_file=True)
    if job.status is not JobStatus.DONE or job.pdf is None:
        abort(404)
    response = Response(job.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
