"""Times typed by a person (in their timezone) to UTC and back."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton
from flask_babel import format_datetime, get_locale, get_timezone
from flask_login import current_user

LOCAL_TIME_FORMAT = "d MMM y, HH:mm zzz"


def viewer_zone() -> ZoneInfo:
    """The signed-in person's timezone (UTC for visitors)."""
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def from_local(value: datetime | None) -> datetime | None:
    """A naive wall-clock time typed in the viewer's timezone, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=viewer_zone()).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """An aware time as naive wall-clock time in the viewer's timezone (for form inputs)."""
    if value is None:
        return None
    return value.astimezone(viewer_zone()).replace(tzinfo=None)


def shown_to_the_minute(value: datetime) -> datetime:
    """`value` as a form shows it (to the minute, in the viewer's timezone), back in UTC."""
    return from_local(to_local(value).replace(second=0, microsecond=0))


def localtime(value: datetime | None, fmt: str = LOCAL_TIME_FORMAT) -> str:
    """A time as people read it, in their language and timezone (`|localtime` in templates).

    English keeps the house pattern ("14 Dec 2026, 17:17 +0900"); other languages get their own
    order and words for the same parts (CLDR's skeletons: "2026年12月14日 17:17 +0900")."""
    if value is None:
        return ""
    locale = get_locale()
    if fmt != LOCAL_TIME_FORMAT or locale is None or locale.language == "en":
        return format_datetime(value, fmt)
    zone = get_timezone()
    date = format_skeleton("yMMMd", value, tzinfo=zone, locale=locale)
    time = format_skeleton("Hm", value, tzinfo=zone, locale=locale)
    both = str(locale.datetime_formats["medium"]).replace("{1}", date).replace("{0}", time)
    return f"{both} {format_datetime(value, 'zzz')}"


def relative(when: datetime | None, now: datetime | None = None) -> str:
    """`when` from now in words, in the viewer's language: "in 2 days", "3 hours ago"."""
    from flask_babel import format_timedelta

    if when is None:
        return ""
    return format_timedelta(when - (now or datetime.now(UTC)), granularity="minute", add_direction=True)


def duration(since: datetime | None, now: datetime | None = None) -> str:
    """How long since `since`, in words: "3 days", "5 minutes" (what a queue has waited)."""
    from flask_babel import format_timedelta

    if since is None:
        return ""
    return format_timedelta((now or datetime.now(UTC)) - since, granularity="minute")
