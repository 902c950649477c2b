"""Round settings and transition forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult.forms import BaseForm, OnceForm
from consult.rounds.models import Preset, Stage

PRESET_LABELS = {
    Preset.GROUP_DIALOGUE: _l("Group dialogue: own group while open, other groups after publication"),
    Preset.SEALED: _l("Sealed (ballot style): own group after close, other groups after publication"),
    Preset.OPEN_DIALOGUE: _l("Open dialogue: every group sees every group while open"),
    Preset.CUSTOM: _l("Custom: set each cell of the table below"),
}
STAGE_LABELS = {
    Stage.WHILE_OPEN: _l("while open"),
    Stage.AFTER_CLOSE: _l("after close"),
    Stage.AFTER_PUBLICATION: _l("after publication"),
    Stage.NEVER: _l("never"),
}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class RoundForm(OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description (what you ask of participants)"), validators=[Optional(), Length(max=5000)]
    )
    version = SelectField(_l("Draft version under comment"), coerce=int, choices=[])
    opens_at = DateTimeLocalField(_l("Opens at (your timezone)"), format=DATETIME_FORMAT, validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes at (your timezone)"), format=DATETIME_FORMAT, validators=[DataRequired()])
    preset = SelectField(
        _l("Who sees whose comments, and when"),
        choices=[(p.value, label) for p, label in PRESET_LABELS.items()],
        default=Preset.GROUP_DIALOGUE.value,
    )
    requires_signoff = BooleanField(_l("Comments need the sign-off of the organisation's focal point"))
    premoderation = BooleanField(_l("Moderators accept each comment before others see it"))
    results_public = BooleanField(_l("Once published, results are public (visible without signing in)"))
    # Offered only when a change puts the deadline in the past (the view asks for it).
    confirm_dates = BooleanField(_l("Yes, keep these dates"))


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[Optional(), Length(max=2000)])


class DeadlineForm(BaseForm):
    closes_at = DateTimeLocalField(
        _l("New deadline (your timezone)"), format=DATETIME_FORMAT, validators=[DataRequired()]
    )
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=2000)])
