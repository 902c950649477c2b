"""The account page's form for a new personal access token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from consult.api.models import Scope
from consult.forms import BaseForm, OnceForm

SCOPE_LABELS = {
    Scope.READ: _l("Read what you may see (consultations, rounds, drafts, comments, dispositions, search)"),
    Scope.COMMENT: _l("Write, edit, submit and withdraw your comments; answer dispositions"),
    Scope.SIGNOFF: _l("Sign off your organisation's comments"),
}
EXPIRY_CHOICES = [(30, _l("30 days")), (90, _l("90 days")), (180, _l("180 days")), (365, _l("1 year"))]


class TokenForm(OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    days = SelectField(_l("Expires after"), choices=EXPIRY_CHOICES, coerce=int, default=90)


class RevokeForm(BaseForm):
    """A bare POST that still carries its CSRF token."""
