"""Form pieces shared by every blueprint."""

from __future__ import annotations

import secrets
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

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


# The regions of the timezone database's names ("Asia/Seoul"); other names (UTC, "Etc/GMT+5",
# old aliases such as "US/Pacific") are grouped last.
TIMEZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
SEARCH_SUFFIX = "-search"


def _zone_label(name: str) -> str:
    return name.partition("/")[2].replace("_", " ") if "/" in name else name.replace("_", " ")


def timezone_groups() -> dict[str, list[tuple[str, str]]]:
    """Every IANA zone, grouped by region for <optgroup>s: {"Asia": [("Asia/Seoul", "Seoul"), ...]}."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in TIMEZONE_CHOICES:
        region = name.partition("/")[0]
        if region in TIMEZONE_REGIONS:
            groups.setdefault(region, []).append((name, _zone_label(name)))
    groups[str(_l("Other"))] = [
        (name, name) for name in TIMEZONE_CHOICES if name.partition("/")[0] not in TIMEZONE_REGIONS
    ]
    return {region: groups[region] for region in (*TIMEZONE_REGIONS, str(_l("Other"))) if region in groups}


def find_timezone(typed: str) -> str | None:
    """The zone a person typed: its name ("asia/seoul") or its place ("Seoul", "new york"),
    in any case; None when nothing matches."""
    wanted = " ".join(typed.replace("_", " ").split()).casefold()
    if not wanted or len(wanted) > 64:
        return None
    by_name = [name for name in TIMEZONE_CHOICES if name.replace("_", " ").casefold() == wanted]
    if by_name:
        return by_name[0]
    by_place = [
        name
        for name in TIMEZONE_CHOICES
        if name.partition("/")[0] in TIMEZONE_REGIONS and _zone_label(name).rpartition("/")[2].casefold() == wanted
    ]
    return by_place[0] if by_place else None


class TimezoneField(SelectField):
    """A timezone chooser: a select grouped by region, and a search box beside it (its name with
    "-search", offered the zones by a <datalist>) whose answer, when given, wins. Both work
    without JavaScript (`templates/_macros/forms.html`: `timezone_picker`)."""

    search_data = ""

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.search_data = (formdata.get(self.name + SEARCH_SUFFIX) or "")[:100]
            if self.search_data.strip():
                found = find_timezone(self.search_data)
                self.data = found if found else None
                self._search_failed = found is None

    def pre_validate(self, form):
        if getattr(self, "_search_failed", False):
            raise ValidationError(
                _l("No timezone is called that: choose one in the list, or type a city such as Seoul.")
            )
        super().pre_validate(form)


def timezone_field(label: str = "") -> TimezoneField:
    """A timezone chooser over every IANA zone, grouped by region, with a search."""
    return TimezoneField(label or _l("Timezone"), choices=timezone_groups, default="UTC")


def add_error(form: BaseForm, exc: Exception, default: str | None) -> None:
    """Show a service's refusal on the field it names (`Invalid.field`), else on `default`, else
    above the form (`form.form_errors`)."""
    name = getattr(exc, "field", None)
    name = name if name and name in form else default
    if name is None:
        form.form_errors.append(str(exc))
    else:
        form[name].errors = [*form[name].errors, str(exc)]
