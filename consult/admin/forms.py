"""Administration forms, and their choices: the policy hands each form the roles its actor
may assign."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.auth.queries import stakeholder_groups
from consult.forms import BaseForm, OnceForm


def role_choices(actor: User) -> list[tuple[str, str]]:
    """The roles `actor` may give (`policy.assignable_roles`)."""
    return [(r.value, str(policy.ROLE_LABELS[r])) for r in policy.assignable_roles(actor)]


def organisation_choices(session: Session) -> list[tuple[int, str]]:
    """ "None", then every organisation with its stakeholder group, by group and name."""
    rows = session.execute(
        select(Organisation.id, Organisation.name, StakeholderGroup.name)
        .join(StakeholderGroup)
        .order_by(StakeholderGroup.position, Organisation.name)
    )
    return [(0, _("— none —"))] + [(oid, f"{name} ({group})") for oid, name, group in rows]


def group_choices(session: Session) -> list[tuple[int, str]]:
    """Every stakeholder group, in their order."""
    return [(g.id, g.name) for g in stakeholder_groups(session, limit=None)]


class InvitationForm(OnceForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=[])
    organisation = SelectField(
        _l("Organisation (for participants and focal points)"), choices=[], coerce=int, validate_choice=True
    )
    # The invitee's language as the inviter knows it: the email's, and the invitation page's.
    # Checked by the service (left out: the inviter's page language).
    language = SelectField(_l("Language of the invitation"), choices=[], validate_choice=False)


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=[])
    organisation = SelectField(_l("Organisation"), choices=[], coerce=int)
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[Length(max=1000)])


class ActiveForm(BaseForm):
    # An id of its own: the person's page shows this form beside the role form's `reason`.
    reason = TextAreaField(
        _l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=1000)], id="active-reason"
    )


class SecondFactorResetForm(BaseForm):
    reset_reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=1000)])


class OrganisationForm(OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = StringField(_l("Country code (two letters, optional)"), validators=[Optional(), Length(max=2)])
    mb_code = StringField(_l("MB/NC code (optional)"), validators=[Optional(), Length(max=16)])
    group = SelectField(_l("Stakeholder group"), choices=[], coerce=int)
    reason = TextAreaField(
        _l("Reason, if the stakeholder group changes (kept in the audit log)"), validators=[Length(max=1000)]
    )


class GroupForm(OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name for addresses (lower case, hyphens)"), validators=[DataRequired(), Length(max=60)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class RevokeForm(BaseForm):
    pass
