"""Disposition and acknowledgement forms, and the labels of their choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.dispositions.services import MAX_OBSERVATION, MAX_REASON
from consult.forms import BaseForm

KIND_LABELS = {
    DispositionKind.ACCEPTED: _l("Accepted"),
    DispositionKind.ACCEPTED_IN_PRINCIPLE: _l("Accepted in principle"),
    DispositionKind.PARTIALLY_ACCEPTED: _l("Partially accepted"),
    DispositionKind.NOTED: _l("Noted"),
    DispositionKind.NOT_ACCEPTED: _l("Not accepted"),
    DispositionKind.ACCEPTED_WITH_MODIFICATIONS: _l("Accepted with modifications"),
    DispositionKind.DUPLICATE: _l("Duplicate of another comment"),
    DispositionKind.DEFERRED: _l("Unresolved: deferred to a later round"),
    DispositionKind.COMPLETED: _l("Completed"),
}
# How an exported observation names a decision its words do not state (`vocabulary.cell`).
CELL_LABELS = {**KIND_LABELS, DispositionKind.DUPLICATE: _l("Duplicate of")}


def decision_labels() -> list[tuple[DispositionKind, str]]:
    """Every name this product gives a decision, in each of its languages: a table exported on a
    French page and imported on an English one reads back the same decisions."""
    from flask_babel import force_locale

    from consult import i18n

    pairs: list[tuple[DispositionKind, str]] = []
    for code in i18n.languages():
        with force_locale(code):
            pairs += [(kind, str(label)) for labels in (KIND_LABELS, CELL_LABELS) for kind, label in labels.items()]
    return pairs


ACK_LABELS = {
    AcknowledgementKind.SATISFIED: _l("Satisfied"),
    AcknowledgementKind.OBJECTION: _l("Objection maintained"),
}
STATUS_LABELS = {
    "unanswered": _l("Not answered yet"),
    "drafted": _l("Drafted, not released"),
    "released": _l("Released"),
    "satisfied": _l("Commenter satisfied"),
    "objection": _l("Objection maintained"),
}
CARRIED_LABELS = {
    "changed": _l("changed"),
    "unchanged": _l("unchanged"),
    "deleted": _l("deleted"),
    "general": _l("general comment"),
}


class DispositionForm(BaseForm):
    kind = SelectField(_l("Disposition"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    observation = TextAreaField(_l("Observation"), validators=[Optional(), Length(max=MAX_OBSERVATION)])
    answer_clause = SelectField(_l("Clause of the next version that answers it"), coerce=int, choices=[])
    duplicate_of = StringField(
        _l("Duplicate of comment (its number, for “Duplicate of another comment”)"),
        validators=[Optional(), Length(max=40)],
    )


class TableRowForm(BaseForm):
    """One row of the disposition table: the decision and the observation as the ISO form has it."""

    kind = SelectField(
        _l("Disposition"), choices=[("", _l("— choose —"))] + [(k.value, label) for k, label in KIND_LABELS.items()]
    )
    observation = TextAreaField(
        _l("Observations of the secretariat"), validators=[Optional(), Length(max=MAX_OBSERVATION)]
    )
    duplicate_of = StringField(_l("Duplicate of (comment number)"), validators=[Optional(), Length(max=40)])


class AcknowledgementForm(BaseForm):
    kind = RadioField(_l("Your answer"), choices=[(k.value, label) for k, label in ACK_LABELS.items()])
    reason = TextAreaField(_l("Short reason"), validators=[Optional(), Length(max=MAX_REASON)])


class ReleaseForm(BaseForm):
    """Only the CSRF token: releasing needs no input."""
