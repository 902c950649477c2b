"""Forms for signing in, accepting an invitation and managing one's account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from consult import i18n
from consult.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from consult.forms import BaseForm, timezone_field

_new_password = [
    DataRequired(),
    Length(
        min=MIN_PASSWORD_LENGTH,
        max=MAX_PASSWORD_LENGTH,
        message=lazy_ngettext(
            "Use between %(min)d and %(num)d character.",
            "Use between %(min)d and %(num)d characters.",
            MAX_PASSWORD_LENGTH,
            min=MIN_PASSWORD_LENGTH,
        ),
    ),
]


class LoginForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device for 30 days"))
    next = HiddenField()


class AcceptInvitationForm(BaseForm):
    display_name = StringField(_l("Your name as others will see it"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Choose a password"), validators=_new_password)
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    timezone = timezone_field()


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=_new_password)
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ProfileForm(BaseForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    timezone = timezone_field()
    # Checked by the service (a form without it, from before languages, keeps the person's).
    locale = SelectField(_l("Language"), choices=i18n.choices, validate_choice=False)


class PasswordChangeForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    password = PasswordField(_l("New password"), validators=_new_password)
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


# --- Second factors and sessions (issue 17) ---------------------------------------------------

_remember_browser = _l("Do not ask for a second factor on this browser for 30 days")


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"},
    )
    remember_browser = BooleanField(_remember_browser)


class PasskeyAssertionForm(BaseForm):
    credential = HiddenField(validators=[Length(max=16_000)])
    # Its own id: the second-factor page shows it beside the code form's field of the same name.
    remember_browser = BooleanField(_remember_browser, id="passkey-remember_browser")


class PasskeyLoginForm(BaseForm):
    credential = HiddenField(validators=[Length(max=16_000)])


class TotpConfirmForm(BaseForm):
    code = StringField(
        _l("The 6-digit code your app shows now"),
        validators=[DataRequired(), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasskeyRegisterForm(BaseForm):
    name = StringField(_l("Name of this passkey"), validators=[DataRequired(), Length(max=80)])
    passwordless = BooleanField(_l("Also let this passkey sign me in without my password"))
    credential = HiddenField(validators=[Length(max=16_000)])


class ButtonForm(BaseForm):
    """A form that is only a button (and its CSRF token)."""
