"""The disposition table: a closed round's comments in the ISO columns, the secretariat's
observation editable in place, one form per row.

Without JavaScript each row's form posts and comes back to the same page at the same row;
`static/js/disposition-table.js` saves the row by fetch instead (the page stays, the focus
too) and the same endpoint answers it in JSON.
"""

from __future__ import annotations

import re

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from consult.comments.models import CommentType
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions import bp, services
from consult.dispositions import table as queries
from consult.dispositions.forms import KIND_LABELS, STATUS_LABELS, TableRowForm
from consult.dispositions.models import DispositionKind
from consult.dispositions.queries import STATUSES, answerable_comment
from consult.drafts.models import Clause
from consult.errors import DomainError
from consult.pagination import page_number
from consult.policy import Permission
from consult.rounds.queries import visible_round
from consult.web import current_actor, is_safe_next, permission_required


def _filters(clause_keys: set[str]) -> queries.TableFilters:
    args = request.args
    clause = args.get("clause", "")[:32]
    mb = args.get("mb")
    comment_type = args.get("type", "")
    status = args.get("status", "")
    return queries.TableFilters(
        clause_key=clause if clause in clause_keys else None,
        general_only=clause == "general",
        mb=("" if mb == "-" else mb.upper()) if mb and (mb == "-" or queries.CODE_RE.match(mb)) else None,
        type=CommentType(comment_type) if comment_type in CommentType._value2member_map_ else None,
        status=status if status in STATUSES else None,
        order="mb" if args.get("order") == "mb" else "clause",
    )


def _row_form(row, duplicates: dict[int, str]) -> TableRowForm:
    d = row.disposition
    return TableRowForm(
        formdata=None,
        prefix=f"r{row.comment.id}",
        data={
            "kind": d.kind.value if d else "",
            "observation": d.observation if d else "",
            "duplicate_of": duplicates.get(d.duplicate_of_id, "") if d else "",
        },
    )


@bp.route("/rounds/<int:round_id>/dispositions/table")
@permission_required(Permission.DISPOSITION_MANAGE)
def table(round_id: int):
    """The disposition table of a round: ISO columns, observations editable row by row."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    now = utcnow()
    clauses = list(db.scalars(select(Clause).where(Clause.version_id == round_.version_id).order_by(Clause.position)))
    filters = _filters({c.key for c in clauses})
    page = queries.table_page(db, round_, current_user, filters, page_number(), now)
    duplicates = queries.duplicate_numbers(db, [r.disposition for r in page.rows if r.disposition])
    further = queries.further_clauses(db, [r.comment.id for r in page.rows])
    by_key = {c.key: c for c in clauses}
    return render_template(
        "dispositions/table.html",
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        page=page,
        clauses=clauses,
        clause_by_key=by_key,
        further=further,
        filters=filters,
        statuses=STATUSES,
        comment_types=list(CommentType),
        answerable_phase=round_.phase(now) in services.ANSWERABLE,
        row_form=lambda row: _row_form(row, duplicates),
        duplicates=duplicates,
        back=request.full_path if request.query_string else request.path,
        KIND_LABELS=KIND_LABELS,
        DISPOSITION_STATUS_LABELS=STATUS_LABELS,
    )


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _answer(ok: bool, message: str, round_id: int, comment_id: int, status: int = 200, **extra):
    if _wants_json():
        return jsonify(ok=ok, message=message, **extra), status
    flash(message, "message" if ok else "error")
    back = request.form.get("back", "")
    target = back if back and is_safe_next(back) else url_for("dispositions.table", round_id=round_id)
    return redirect(f"{target}#row-{comment_id}")


@bp.route("/rounds/<int:round_id>/dispositions/table/<int:comment_id>", methods=["POST"])
@permission_required(Permission.DISPOSITION_MANAGE)
def table_save(round_id: int, comment_id: int):
    """Save one row's disposition (a form post, or the table's script by fetch: JSON)."""
    from consult.comments.numbering import find_by_number

    db = get_session()
    comment = answerable_comment(db, current_user, comment_id)
    if comment.round_id != round_id:
        abort(404)
    form = TableRowForm(prefix=f"r{comment.id}")
    if not form.validate() or form.kind.data not in DispositionKind._value2member_map_:
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        message = _("Nothing was saved: %(problems)s", problems=problems or _("choose a disposition."))
        return _answer(False, message, round_id, comment.id, 400)
    reference = (form.duplicate_of.data or "").strip()
    duplicate_of = find_by_number(db, round_id, reference) if reference else None
    if reference and duplicate_of is None:
        message = _("Nothing was saved: no comment of this round has the number %(n)s.", n=reference[:40])
        return _answer(False, message, round_id, comment.id, 400)
    observation = re.sub(r"\r\n?", "\n", form.observation.data or "")
    try:
        disposition = services.record_disposition(
            db,
            actor=current_actor(),
            comment=comment,
            kind=DispositionKind(form.kind.data),
            observation=observation,
            duplicate_of=duplicate_of,
            exact=True,  # the words as typed, spaces and lines kept (only line endings made one kind)
        )
    except DomainError as exc:
        db.rollback()
        return _answer(False, _("Nothing was saved: %(problems)s", problems=str(exc)), round_id, comment.id, 400)
    db.commit()
    total, answered = queries.counts(db, visible_round(db, current_user, round_id), current_user, utcnow())
    return _answer(
        True,
        _("Saved: %(kind)s (drafted, not released).", kind=KIND_LABELS[disposition.kind]),
        round_id,
        comment.id,
        answered=answered,
        total=total,
        progress=ngettext(
            "%(answered)d of %(num)d answered", "%(answered)d of %(num)d answered", total, answered=answered
        ),
        kind=disposition.kind.value,
    )
