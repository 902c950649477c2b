"""Exports of a round's comments (CSV, XLSX, JSON), the XLSX import, and the conference briefing.

Every export streams what the viewer may see: the same visibility as the round page.
"""

from __future__ import annotations

import re

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult import policy
from consult.comments.forms import TYPE_LABELS
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions.forms import ACK_LABELS, KIND_LABELS
from consult.exports import bp, briefing, importer, services
from consult.exports.forms import ImportForm
from consult.policy import Permission
from consult.rounds.models import Round
from consult.rounds.queries import visible_round
from consult.web import csrf_in_form, flash_ok, permission_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(round_: Round, suffix: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", round_.title).strip("-").lower()[:60] or "round"
    return f"{slug}-{round_.id}.{suffix}"


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _labels() -> services.Labels:
    return services.labels(KIND_LABELS, TYPE_LABELS)


@bp.route("/rounds/<int:round_id>/comments.csv")
def csv_export(round_id: int):
    """The ISO-style comment table as CSV, streamed, holding what the viewer sees."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    # The generator needs no request context: rows come from their own session, words are translated.
    chunks = services.csv_chunks(services.rows(round_, current_user, utcnow()), _labels())
    return _download(chunks, "text/csv", _filename(round_, "csv"))


@bp.route("/rounds/<int:round_id>/comments.xlsx")
def xlsx_export(round_id: int):
    """The ISO-style comment table as XLSX (written to a temporary file, then streamed)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    spool = services.xlsx_file(services.rows(round_, current_user, utcnow()), _labels(), round_.title)
    return _download(services.file_chunks(spool), XLSX, _filename(round_, "xlsx"))


@bp.route("/rounds/<int:round_id>/comments.json")
def json_export(round_id: int):
    """The round, its clauses and the visible comments with stable ids, as JSON (streamed)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    chunks = services.json_chunks(db, round_, current_user, utcnow())
    return _download(chunks, "application/json", _filename(round_, "json"))


@bp.route("/rounds/<int:round_id>/import-template.xlsx")
@permission_required(Permission.COMMENT_CREATE)
def import_template(round_id: int):
    """The empty comment sheet a delegation fills offline."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    return _download(services.file_chunks(importer.template_file(round_, db)), XLSX, _filename(round_, "template.xlsx"))


@bp.route("/rounds/<int:round_id>/import", methods=["GET", "POST"])
@permission_required(Permission.COMMENT_CREATE)
@csrf_in_form
def import_sheet(round_id: int):
    """Import a filled-in sheet: all rows, or none with each problem listed."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    form = ImportForm()
    problems: list[importer.Problem] = []
    if form.validate_on_submit():
        try:
            stored = importer.import_comments(
                db, actor=current_user._get_current_object(), round_=round_, data=form.sheet.data.read()
            )
        except importer.ImportRefused as exc:
            db.rollback()
            problems = exc.problems
        else:
            db.commit()
            flash_ok(_("%(n)d comments imported.", n=len(stored)))
            return redirect(url_for("comments.mine"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "exports/import.html",
        form=form,
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        problems=problems,
        is_open=round_.is_open(utcnow()),
    ), status


# --- The conference briefing -----------------------------------------------------------------


def _round_briefing(round_id: int, pdf: bool) -> str:
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    consultation = db.get(Consultation, round_.consultation_id)
    briefs = [briefing.round_brief(db, round_, current_user, utcnow())]
    return _render(consultation, briefs, pdf, url_for("exports.round_briefing_pdf", round_id=round_id))


def _consultation_briefing(consultation_id: int, pdf: bool) -> str:
    db = get_session()
    if not 0 < consultation_id < 2**62:
        abort(404)
    consultation = db.get(Consultation, consultation_id)
    if consultation is None or not policy.can_read_consultation(current_user, consultation):
        abort(404)
    rounds = db.scalars(
        policy.visible_rounds(select(Round).where(Round.consultation_id == consultation.id), current_user)
        .order_by(Round.opens_at, Round.id)
        .limit(50)
    )
    now = utcnow()
    briefs = [briefing.round_brief(db, r, current_user, now) for r in rounds]
    return _render(
        consultation, briefs, pdf, url_for("exports.consultation_briefing_pdf", consultation_id=consultation_id)
    )


def _render(consultation, briefs, pdf: bool, pdf_url: str) -> str:
    return render_template(
        "exports/briefing.html",
        consultation=consultation,
        briefs=briefs,
        pdf=pdf,
        pdf_url=pdf_url,
        generated_at=utcnow(),
        KIND_LABELS=KIND_LABELS,
        ACK_LABELS=ACK_LABELS,
    )


def _pdf(html: str, filename: str) -> Response:
    data = briefing.render_pdf(html, current_app.static_folder)
    return _download(data, "application/pdf", filename)


@bp.route("/rounds/<int:round_id>/briefing")
def round_briefing(round_id: int):
    """The conference briefing for one round (HTML)."""
    return _round_briefing(round_id, pdf=False)


@bp.route("/rounds/<int:round_id>/briefing.pdf")
def round_briefing_pdf(round_id: int):
    """The conference briefing for one round (PDF)."""
    return _pdf(_round_briefing(round_id, pdf=True), f"briefing-round-{round_id}.pdf")


@bp.route("/consultations/<int:consultation_id>/briefing")
def consultation_briefing(consultation_id: int):
    """The conference briefing for every round of a consultation the viewer may see (HTML)."""
    return _consultation_briefing(consultation_id, pdf=False)


@bp.route("/consultations/<int:consultation_id>/briefing.pdf")
def consultation_briefing_pdf(consultation_id: int):
    """The conference briefing for a consultation (PDF)."""
    return _pdf(_consultation_briefing(consultation_id, pdf=True), f"briefing-consultation-{consultation_id}.pdf")
