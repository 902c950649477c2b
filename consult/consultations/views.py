"""The home page (consultations one may see) and a consultation's page."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from consult import policy
from consult.consultations import bp
from consult.consultations.models import Consultation
from consult.db import get_session
from consult.pagination import paginate

PAGE = 20


@bp.route("/")
def index():
    """Consultations the viewer may see, most recent conference first."""
    db = get_session()
    stmt = policy.visible_consultations(
        select(Consultation).order_by(Consultation.conference_date.desc(), Consultation.id.desc()),
        current_user,
    )
    return render_template("consultations/index.html", page=paginate(db, stmt, PAGE))


@bp.route("/consultations/<int:consultation_id>")
def detail(consultation_id: int):
    """A consultation and the conference it leads to."""
    db = get_session()
    stmt = policy.visible_consultations(
        select(Consultation).where(Consultation.id == consultation_id), current_user
    )
    consultation = db.scalar(stmt)
    if consultation is None:
        abort(404)  # the same answer whether it is missing or hidden
    return render_template("consultations/detail.html", consultation=consultation)
