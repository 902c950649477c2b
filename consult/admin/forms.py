"""Administration forms; the policy hands each form the choices its actor may make."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from consult.forms import BaseForm


class InvitationForm(BaseForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=[])
    organisation = SelectField(
        _l("Organisation (for participants and focal points)"), choices=[], coerce=int, validate_choice=True
    )


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=[])
    organisation = SelectField(_l("Organisation"), choices=[], coerce=int)
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[Length(max=1000)])


class ActiveForm(BaseForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=1000)])


class SecondFactorResetForm(BaseForm):
    reset_reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=1000)])


class OrganisationForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = StringField(_l("Country code (two letters, optional)"), validators=[Optional(), Length(max=2)])
    group = SelectField(_l("Stakeholder group"), choices=[], coerce=int)
    reason = TextAreaField(
        _l("Reason, if the stakeholder group changes (kept in the audit log)"), validators=[Length(max=1000)]
    )


class GroupForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name for addresses (lower case, hyphens)"), validators=[DataRequired(), Length(max=60)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class RevokeForm(BaseForm):
    pass
