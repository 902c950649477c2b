"""Times typed by a person (in their timezone) to UTC and back."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton
from flask_babel import format_datetime, get_locale, get_timezone
from flask_login import current_user
from markupsafe import Markup, escape

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
    """A time as people read it, in their language and timezone (`|localtime` in templates):
    "14 Dec 2026, 02:17 KST". English keeps the house pattern; other languages get their own
    order and words for the same parts (CLDR's skeletons: "2026年12月14日 02:17 KST"). The zone is
    the abbreviation people know from the timezone database (KST, CET, UTC; CLDR has none for
    most zones in most languages and would print "+0900"), or the offset from UTC where the zone
    has none ("UTC+04")."""
    if value is None:
        return ""
    if fmt != LOCAL_TIME_FORMAT:
        return format_datetime(value, fmt)
    zone = value.astimezone(viewer_zone()).tzname() or "UTC"
    if zone[:1] in "+-":
        zone = f"UTC{zone}"
    locale = get_locale()
    if locale is None or locale.language == "en":
        return f"{format_datetime(value, LOCAL_TIME_FORMAT.removesuffix(' zzz'))} {zone}"
    tz = get_timezone()
    date = format_skeleton("yMMMd", value, tzinfo=tz, locale=locale)
    time = format_skeleton("Hm", value, tzinfo=tz, locale=locale)
    both = str(locale.datetime_formats["medium"]).replace("{1}", date).replace("{0}", time)
    return f"{both} {zone}"


# A relative time ("in 2 days") goes stale in a cached page: pages carry a mark with the moment
# (an HTML comment, which no escaped or cleaned text can contain), and each HTML response gets
# the words for it when it leaves (`fill_relative`), like the notification bell.
_RELATIVE_MARK = "<!--relative:"
_RELATIVE_RE = re.compile(r"<!--relative:(-?\d{1,12})-->")


def relative_mark(when: datetime | None) -> Markup:
    """A stand-in for `relative(when)`, filled in per response (`|relative_later` in templates)."""
    if when is None:
        return Markup("")
    return Markup(f"{_RELATIVE_MARK}{int(when.timestamp())}-->")  # noqa: S704 (digits only)  # nosec B704


def fill_relative(response: Any) -> Any:
    """Put "in 2 days" where a page has a relative-time mark, as of this response."""
    if response.direct_passthrough or response.is_streamed or response.mimetype != "text/html":
        return response
    body = response.get_data(as_text=True)
    if _RELATIVE_MARK not in body:
        return response
    now = datetime.now(UTC)
    response.set_data(
        _RELATIVE_RE.sub(lambda m: str(escape(relative(datetime.fromtimestamp(int(m[1]), UTC), now))), body)
    )
    return response


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
