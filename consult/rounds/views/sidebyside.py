"""The side-by-side page (clauses × stakeholder groups, the columns chosen, the divergence
filters) and one clause across the groups (with the comments of earlier rounds on it)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult import policy
from consult.auth.queries import stakeholder_groups
from consult.comments.forms import TYPE_LABELS
from consult.comments.models import CommentType
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions.forms import ACK_LABELS, CARRIED_LABELS, KIND_LABELS
from consult.errors import NotFound
from consult.rounds import bp
from consult.rounds.models import Stage
from consult.rounds.queries import visible_round
from consult.rounds.sidebyside import CLAUSE_LIMIT, earlier_rounds, filter_rows, parse_columns, parse_show, side_by_side

SHOW_LABELS = {
    "all": _l("All clauses"),
    "divergent": _l("Groups diverge: different changes proposed"),
    "keep_or_change": _l("One group proposes a change, another wants the text kept"),
    "uncommented": _l("Clauses with no comment, as far as you may know"),
}
# "visible to you when ...": the stage from which a group's comments reach the viewer.
WHEN_LABELS = {
    Stage.WHILE_OPEN: _l("when the round opens"),
    Stage.AFTER_CLOSE: _l("when the round closes"),
    Stage.AFTER_PUBLICATION: _l("when the results are published"),
}


def _labels() -> dict:
    viewer = policy.as_viewer(current_user)
    return {
        # Readers of published public results only (visitors, administrators): a group that
        # some group may never read is "not made public", not "not shared with your group".
        "public_reader": viewer.organisation_id is None and not viewer.sees_all,
        "TYPE_LABELS": TYPE_LABELS,
        "comment_types": list(CommentType),
        "KIND_LABELS": KIND_LABELS,
        "ACK_LABELS": ACK_LABELS,
        "WHEN_LABELS": WHEN_LABELS,
    }


@bp.route("/rounds/<int:round_id>/matrix")
def matrix_view(round_id: int):
    """Side by side: clauses as rows, the chosen stakeholder groups as columns, each cell what
    the viewer may read of that group's positions or what they may know of them."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    consultation = db.get(Consultation, round_.consultation_id)
    groups = stakeholder_groups(db)
    columns = parse_columns(request.args, groups)
    show = parse_show(request.args)
    now = utcnow()
    table = side_by_side(db, round_, current_user, now, columns, public=bool(consultation.is_public))
    return render_template(
        "rounds/matrix.html",
        round=round_,
        consultation=consultation,
        groups=groups,
        columns=columns,
        all_columns=len(columns) == len(groups),
        rows=filter_rows(table.rows, show),
        show=show,
        now=now,
        SHOW_LABELS=SHOW_LABELS,
        **_labels(),
    )


@bp.route("/rounds/<int:round_id>/clauses/<string:clause_key>")
def clause_view(round_id: int, clause_key: str):
    """One clause across the groups: its text, each group's comments, the dispositions, and the
    comments of earlier rounds on the same clause with whether its text changed since."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    if len(clause_key) > 32:
        raise NotFound()
    consultation = db.get(Consultation, round_.consultation_id)
    groups = stakeholder_groups(db)
    now = utcnow()
    table = side_by_side(
        db,
        round_,
        current_user,
        now,
        groups,
        public=bool(consultation.is_public),
        clause_key=clause_key,
        limit=CLAUSE_LIMIT,
    )
    if not table.rows:
        raise NotFound()
    row = table.rows[0]
    earlier = earlier_rounds(db, round_, current_user, clause_key, now) if row.clause else []
    return render_template(
        "rounds/clause.html",
        round=round_,
        consultation=consultation,
        row=row,
        answered=[p for cell in row.cells for p in cell.shown if p.disposition],
        earlier=earlier,
        CARRIED_LABELS=CARRIED_LABELS,
        **_labels(),
    )
