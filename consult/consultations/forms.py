"""Forms of the consultation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult.forms import OnceForm


class ConsultationForm(OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=10_000)])
    conference_name = StringField(_l("Conference"), validators=[DataRequired(), Length(max=200)])
    conference_place = StringField(_l("Place of the conference"), validators=[Optional(), Length(max=200)])
    conference_date = DateField(_l("Date of the conference"), validators=[Optional()])
    is_public = BooleanField(_l("Public: visitors who are not signed in may read it and its drafts"))
