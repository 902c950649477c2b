"""Comment tables out (CSV, the ISO form as XLSX and .docx, JSON) and in (a participant's
table, the secretariat's compiled table).

Every export streams what the viewer may see: the same visibility as the round page.
"""

from __future__ import annotations

import re

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, npgettext
from flask_login import current_user

from consult.comments import services as comments_services
from consult.comments.forms import TYPE_LABELS
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions.forms import CELL_LABELS, KIND_LABELS
from consult.errors import NotFound
from consult.exports import bp, compiled, importer, isoform, participant, services
from consult.exports import rows as rows_
from consult.exports.forms import ConfirmImportForm, ImportForm
from consult.policy import Permission
from consult.rounds.models import Round
from consult.rounds.queries import visible_round
from consult.timeutil import viewer_zone
from consult.web import create_once, csrf_in_form, current_actor, permission_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _filename(round_: Round, suffix: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", round_.version.draft.reference or round_.title).strip("-").lower()[:60]
    return f"{slug or 'round'}-{round_.id}.{suffix}"


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _labels() -> services.Labels:
    return services.labels(KIND_LABELS, TYPE_LABELS, CELL_LABELS)


def _order() -> str:
    order = request.args.get("order", "clause")
    return order if order in rows_.ORDERS else "clause"


def _head(db, round_: Round) -> isoform.FormHead:
    today = utcnow().astimezone(viewer_zone()).date()
    return isoform.form_head(round_, db.get(Consultation, round_.consultation_id), today, today.isoformat())


@bp.route("/rounds/<int:round_id>/comments.csv")
def csv_export(round_id: int):
    """The comment table as CSV (the ISO columns and more), streamed, holding what the viewer sees."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    # The generator needs no request context: rows come from their own session, words are translated.
    rows = rows_.rows(round_, current_user, utcnow(), order=_order())
    return _download(services.csv_chunks(rows, _labels()), "text/csv", _filename(round_, "csv"))


@bp.route("/rounds/<int:round_id>/comments.xlsx")
def xlsx_export(round_id: int):
    """The ISO comment form as XLSX (written to a temporary file, then streamed)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    rows = rows_.rows(round_, current_user, utcnow(), order=_order())
    spool = isoform.xlsx_file(rows, _labels(), _head(db, round_))
    return _download(services.file_chunks(spool), XLSX, _filename(round_, "xlsx"))


@bp.route("/rounds/<int:round_id>/comments.docx")
def docx_export(round_id: int):
    """The ISO comment form as a Word table."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    rows = rows_.rows(round_, current_user, utcnow(), order=_order())
    return _download(isoform.docx_bytes(rows, _labels(), _head(db, round_)), DOCX, _filename(round_, "docx"))


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
    """The empty ISO comment form a delegation fills offline."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    spool = isoform.xlsx_file(iter(()), _labels(), _head(db, round_))
    return _download(services.file_chunks(spool), XLSX, _filename(round_, "template.xlsx"))


def _import_page(db, round_: Round, form: ImportForm, problems: list, compiled_table: bool, status: int):
    return render_template(
        "exports/import.html",
        form=form,
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        problems=problems,
        is_open=round_.is_open(utcnow()),
        phase=round_.phase(utcnow()),
        compiled=compiled_table,
    ), status


def _received_message(received: participant.Received) -> str:
    if received.pending is not None:
        return _("Your table was checked. Review what it changes, then confirm.")
    if not received.applied:
        return _("This table holds no changes to the comments you imported before: nothing was changed.")
    return ngettext("%(num)d comment imported.", "%(num)d comments imported.", len(received.plan.changes))


def _received_url(round_: Round, received: participant.Received) -> str:
    if received.pending is not None:
        return url_for("exports.confirm_import", round_id=round_.id, pending_id=received.pending.id)
    return url_for("comments.mine")


def _refusing(action, problems: list):
    """`action`, with the problems of a refused table kept for the page."""

    def run():
        try:
            return action()
        except importer.ImportRefused as exc:
            problems.extend(exc.problems)
            raise

    return run


@bp.route("/rounds/<int:round_id>/import", methods=["GET", "POST"])
@permission_required(Permission.COMMENT_CREATE)
@csrf_in_form
def import_sheet(round_id: int):
    """Import one's organisation's comment table (XLSX or Word): all rows, or none with each
    problem listed; a table sent again to the round replaces the earlier import once confirmed."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    form = ImportForm()
    problems: list[importer.Problem] = []
    if form.validate_on_submit():
        data = form.sheet.data.read()
        done = create_once(
            form,
            _refusing(lambda: participant.receive_table(db, actor=current_actor(), round_=round_, data=data), problems),
            purpose="import",
            url_of=lambda received: _received_url(round_, received),
            success=_received_message,
            refusals=(importer.ImportRefused,),
        )
        if done:
            return redirect(done.url)
        form.form_errors.clear()  # the problems are listed
    return _import_page(db, round_, form, problems, False, 400 if request.method == "POST" else 200)


def _changes_message(plan: participant.ImportPlan) -> str:
    counts = {kind: len(plan.of(kind)) for kind in participant.ChangeKind}
    return _(
        "Your comments now follow the table: %(added)s, %(changed)s, %(removed)s.",
        added=npgettext("comments", "%(num)d added", "%(num)d added", counts[participant.ChangeKind.ADDED]),
        changed=npgettext("comments", "%(num)d changed", "%(num)d changed", counts[participant.ChangeKind.CHANGED]),
        removed=npgettext("comments", "%(num)d withdrawn", "%(num)d withdrawn", counts[participant.ChangeKind.REMOVED]),
    )


@bp.route("/rounds/<int:round_id>/import/<int:pending_id>", methods=["GET", "POST"])
@permission_required(Permission.COMMENT_CREATE)
@csrf_in_form
def confirm_import(round_id: int, pending_id: int):
    """What a table sent again changes in one's earlier import (added, changed, withdrawn), to confirm."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    actor = current_actor()
    pending = participant.pending_import(db, actor, round_, pending_id)
    form = ConfirmImportForm()
    if form.validate_on_submit():
        done = create_once(
            form,
            lambda: participant.confirm_pending(
                db, actor=actor, round_=round_, pending=pending, expected=form.plan.data or ""
            ),
            purpose="import",
            url_of=lambda _plan: url_for("comments.mine"),
            success=_changes_message,
            refusals=(importer.ImportRefused, participant.PlanChanged),
        )
        if done:
            return redirect(done.url)
        pending = participant.pending_import(db, actor, round_, pending_id)  # after the rollback
    if pending is None:
        raise NotFound(_("This import is no longer waiting: send the table again."))
    problems: list[importer.Problem] = []
    plan = None
    try:
        plan = participant.plan_import(db, actor=actor, round_=round_, data=pending.data)
    except importer.ImportRefused as exc:  # the round closed, or the text changed, meanwhile
        problems = exc.problems
    if plan is not None:
        form.plan.data = plan.fingerprint  # the list shown is the one confirmed
    return render_template(
        "exports/import_confirm.html",
        form=form,
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        plan=plan,
        problems=problems,
        ChangeKind=participant.ChangeKind,
        pending_id=pending_id,
        next_status=comments_services.status_after_submit(db, round_, actor),
    ), 400 if request.method == "POST" else 200


@bp.route("/rounds/<int:round_id>/import-compiled", methods=["GET", "POST"])
@permission_required(Permission.DISPOSITION_MANAGE)
@csrf_in_form
def import_compiled(round_id: int):
    """The secretariat imports a compiled table of many organisations, observations included."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    form = ImportForm()
    problems: list[importer.Problem] = []
    if form.validate_on_submit():
        data = form.sheet.data.read()
        done = create_once(
            form,
            _refusing(lambda: compiled.import_compiled(db, actor=current_actor(), round_=round_, data=data), problems),
            purpose="import-compiled",
            url_of=lambda _stored: url_for("dispositions.table", round_id=round_.id),
            success=lambda stored: ngettext("%(num)d comment imported.", "%(num)d comments imported.", len(stored)),
            refusals=(importer.ImportRefused,),
        )
        if done:
            return redirect(done.url)
        form.form_errors.clear()  # the problems are listed
    return _import_page(db, round_, form, problems, True, 400 if request.method == "POST" else 200)
