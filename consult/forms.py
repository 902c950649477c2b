"""Form pieces shared by every blueprint."""

from __future__ import annotations

import secrets
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

TIMEZONE_CHOICES = sorted(available_timezones())


class BaseForm(FlaskForm):
    """A form whose stale CSRF token is reported as a field error, keeping the input."""

    class Meta:
        csrf_field_name = "csrf_token"

    @property
    def csrf_failed(self) -> bool:
        return bool(getattr(self, "csrf_token", None) and self.csrf_token.errors)


class OnceForm(BaseForm):
    """A form that creates something: it carries a one-time value, new each time it is shown,
    so that sending it twice creates nothing twice (`consult.submissions`, `web.create_once`)."""

    nonce = HiddenField()
    carries_nonce = True  # `_macros/forms.html` form_errors() writes the hidden field

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.nonce.data:
            self.nonce.data = secrets.token_urlsafe(16)


def timezone_field(label: str = "") -> SelectField:
    """A timezone chooser over every IANA zone."""
    return SelectField(
        label or _l("Timezone"),
        choices=[(tz, tz.replace("_", " ")) for tz in TIMEZONE_CHOICES],
        default="UTC",
    )


def add_error(form: BaseForm, exc: Exception, default: str | None) -> None:
    """Show a service's refusal on the field it names (`Invalid.field`), else on `default`, else
    above the form (`form.form_errors`)."""
    name = getattr(exc, "field", None)
    name = name if name and name in form else default
    if name is None:
        form.form_errors.append(str(exc))
    else:
        form[name].errors = [*form[name].errors, str(exc)]
