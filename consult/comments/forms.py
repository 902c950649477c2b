"""The structured comment form (ISO/IEC template fields) and the report form."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult.comments.models import Attribution, CommentType
from consult.comments.services import MAX_BODY, MAX_LINE, MAX_PARAGRAPH
from consult.forms import BaseForm

TYPE_LABELS = {
    CommentType.GENERAL: _l("General"),
    CommentType.TECHNICAL: _l("Technical"),
    CommentType.EDITORIAL: _l("Editorial"),
}
ATTRIBUTION_LABELS = {
    Attribution.PERSON: _l("My name and my organisation"),
    Attribution.ORGANISATION: _l("My organisation only"),
    Attribution.GROUP: _l("My stakeholder group only"),
}
GENERAL = "general"


class CommentForm(BaseForm):
    clause = SelectField(_l("Clause"), choices=[])
    line_number = StringField(_l("Line number (optional)"), validators=[Optional(), Length(max=MAX_LINE)])
    paragraph = StringField(
        _l("Paragraph, figure or table (optional)"), validators=[Optional(), Length(max=MAX_PARAGRAPH)]
    )
    type = SelectField(_l("Type of comment"), choices=[(t.value, label) for t, label in TYPE_LABELS.items()])
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=MAX_BODY)])
    proposed_change = TextAreaField(_l("Proposed change (optional)"), validators=[Optional(), Length(max=MAX_BODY)])
    attribution = RadioField(
        _l("Shown to other participants as coming from"),
        choices=[(a.value, label) for a, label in ATTRIBUTION_LABELS.items()],
        default=Attribution.PERSON.value,
    )
    nonce = HiddenField()
    submit = SubmitField(_l("Submit comment"))
    save_draft = SubmitField(_l("Save as draft"))

    def fresh_nonce(self) -> None:
        """One nonce per form shown: a second submission of the same form stores nothing new."""
        if not self.nonce.data:
            self.nonce.data = secrets.token_urlsafe(16)


class ReportForm(BaseForm):
    reason = TextAreaField(_l("What is wrong with this comment?"), validators=[DataRequired(), Length(max=2000)])


class ActionForm(BaseForm):
    """A bare POST (withdraw, submit a draft) that still carries its CSRF token."""
