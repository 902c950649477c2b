"""The home page (consultations one may see), a consultation's timeline, and its forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult import policy
from consult.consultations import bp, services
from consult.consultations.forms import ConsultationForm
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.drafts.models import Draft, DraftVersion
from consult.pagination import paginate
from consult.policy import Permission
from consult.rounds.models import Phase, Round
from consult.timeutil import localtime
from consult.web import commit_or_refuse, create_once, csrf_in_form, current_actor, get_or_404, permission_required
from consult.workspace.progress import progress
from consult.workspace.queries import workspace

PAGE = 20


@dataclass
class Entry:
    """One line of a consultation's timeline."""

    kind: str  # "draft" or "round"
    at: datetime
    subject: Any
    versions: list[DraftVersion] = field(default_factory=list)
    phase: Phase | None = None
    url: str | None = None
    period: str = ""


def _visible_or_404(db, consultation_id: int) -> Consultation:
    stmt = policy.visible_consultations(select(Consultation).where(Consultation.id == consultation_id), current_user)
    consultation = db.scalar(stmt) if 0 < consultation_id < 2**62 else None
    if consultation is None:
        abort(404)  # the same answer whether it is missing or hidden
    return consultation


def round_period(round_: Round, phase: Phase) -> str:
    """When a round takes comments, in the tense its phase calls for."""
    opens, closes = localtime(round_.opens_at), localtime(round_.closes_at)
    if phase is Phase.OPEN:
        return _("Open for comments until %(closes)s (opened %(opens)s).", opens=opens, closes=closes)
    if phase is Phase.SCHEDULED:
        return _("Opens for comments on %(opens)s, until %(closes)s.", opens=opens, closes=closes)
    if phase in (Phase.DRAFT, Phase.PENDING_APPROVAL):
        return _("Planned to be open from %(opens)s to %(closes)s.", opens=opens, closes=closes)
    return _("Was open for comments from %(opens)s to %(closes)s.", opens=opens, closes=closes)


def timeline(db, consultation: Consultation, now: datetime) -> list[Entry]:
    """Drafts (with their versions) and the rounds the viewer may see, by date."""
    drafts = list(db.scalars(select(Draft).where(Draft.consultation_id == consultation.id)))
    versions: dict[int, list[DraftVersion]] = {d.id: [] for d in drafts}
    if drafts:
        rows = db.scalars(
            select(DraftVersion).where(DraftVersion.draft_id.in_(list(versions))).order_by(DraftVersion.number)
        )
        for version in rows:
            versions[version.draft_id].append(version)
    entries = [
        Entry("draft", d.created_at, d, versions=versions[d.id], url=url_for("drafts.detail", draft_id=d.id))
        for d in drafts
    ]
    rounds = db.scalars(
        policy.visible_rounds(select(Round).where(Round.consultation_id == consultation.id), current_user)
    )
    entries += [
        Entry(
            "round",
            r.opens_at,
            r,
            phase=r.phase(now),
            url=url_for("rounds.detail", round_id=r.id),
            period=round_period(r, r.phase(now)),
        )
        for r in rounds
    ]
    entries.sort(key=lambda e: (e.at, e.kind, e.subject.id))
    return entries


@bp.route("/")
def index():
    """Signed in: the workspace (what waits for the person, then the consultations); otherwise
    the consultations the visitor may see, most recent conference first."""
    db = get_session()
    stmt = policy.visible_consultations(
        select(Consultation).order_by(Consultation.conference_date.desc(), Consultation.id.desc()),
        current_user,
    )
    page = paginate(db, stmt, PAGE)
    if not current_user.is_authenticated:
        return render_template("consultations/index.html", page=page)
    now = utcnow()
    tasks = policy.workspace_tasks(current_user)
    return render_template(
        "workspace/index.html",
        page=page,
        lists=workspace(db, current_user, now),
        progress=progress(db, current_user, now) if policy.Task.PROGRESS in tasks else None,
        now=now,
        Task=policy.Task,
    )


@bp.route("/consultations/<int:consultation_id>")
def detail(consultation_id: int):
    """A consultation's timeline: drafts, rounds and, last, the conference."""
    db = get_session()
    consultation = _visible_or_404(db, consultation_id)
    return render_template(
        "consultations/detail.html",
        consultation=consultation,
        entries=timeline(db, consultation, utcnow()),
        new_round_url=url_for("rounds.create", consultation_id=consultation.id),
    )


def _form_page(form: ConsultationForm, consultation: Consultation | None, status: int = 200):
    return render_template("consultations/form.html", form=form, consultation=consultation), status


def _values(form: ConsultationForm) -> dict[str, Any]:
    return {
        "title": form.title.data or "",
        "summary": form.summary.data or "",
        "conference_name": form.conference_name.data or "",
        "conference_place": form.conference_place.data or "",
        "conference_date": form.conference_date.data,
        "is_public": bool(form.is_public.data),
    }


@bp.route("/consultations/new", methods=["GET", "POST"])
@permission_required(Permission.CONSULTATION_MANAGE)
@csrf_in_form
def create():
    """Start a consultation (organisers)."""
    db = get_session()
    form = ConsultationForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate_on_submit():
            done = create_once(
                form,
                lambda: services.create_consultation(db, actor=current_actor(), **_values(form)),
                purpose="consultation",
                url_of=lambda created: url_for("consultations.detail", consultation_id=created.id),
                field="title",
                success=_("The consultation is created."),
            )
            if done:
                return redirect(done.url)
        return _form_page(form, None, 400)
    return _form_page(form, None)


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.CONSULTATION_MANAGE)
@csrf_in_form
def edit(consultation_id: int):
    """Change a consultation's description, conference or publicity (organisers)."""
    db = get_session()
    consultation = get_or_404(db, Consultation, consultation_id)
    if request.method == "GET":
        return _form_page(ConsultationForm(formdata=None, obj=consultation), consultation)
    form = ConsultationForm(formdata=request.form)
    if form.validate_on_submit():
        done = commit_or_refuse(
            lambda: services.update_consultation(db, actor=current_actor(), consultation=consultation, **_values(form)),
            form=form,
            field="title",
            success=lambda changed: _("The consultation is saved.") if changed else _("Nothing changed."),
        )
        if done:
            return redirect(url_for("consultations.detail", consultation_id=consultation.id))
    return _form_page(form, consultation, 400)
