"""Moderation decisions: each a choice and a reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from consult.forms import BaseForm


class DecisionForm(BaseForm):
    reason = TextAreaField(_l("Reason (the author sees it)"), validators=[Optional(), Length(max=2000)])
    accept = SubmitField(_l("Accept"))
    refuse = SubmitField(_l("Reject"))


class SignoffForm(BaseForm):
    reason = TextAreaField(_l("Why it goes back (the author sees it)"), validators=[Optional(), Length(max=2000)])
    accept = SubmitField(_l("Sign off"))
    refuse = SubmitField(_l("Return to the author"))


class HideForm(BaseForm):
    reason = TextAreaField(_l("Reason (the author is told)"), validators=[Optional(), Length(max=2000)])


class ResolveForm(BaseForm):
    resolution = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=2000)])


class BulkForm(BaseForm):
    """One decision and one reason for the comments selected in a queue (`comment_ids`)."""

    reason = TextAreaField(
        _l("Reason, if you reject or return them (their authors see it)"), validators=[Optional(), Length(max=2000)]
    )
    accept = SubmitField(_l("Accept the selected comments"))
    refuse = SubmitField(_l("Reject the selected comments"))
