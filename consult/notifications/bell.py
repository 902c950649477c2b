"""The bell in the header, filled in per response.

Pages render a stand-in (`templates/notifications/_bell.html` without `bell_filled`), random per
process so that no text can contain it, and each HTML response that holds it gets it replaced
here, after the view, with the bell for its own person (the unread count: one statement). So a
page cached whole for many people (the round page) never carries one person's count, and the
bell needs nothing of the views that render pages. The stand-in is an HTML comment: a response
that could not be filled (an error page after a failed transaction) shows no bell rather than
a wrong one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from consult import policy
from consult.db import get_session, utcnow
from consult.notifications.queries import unread_count

log = logging.getLogger(__name__)
STAND_IN = f"<!--bell-{secrets.token_hex(16)}-->"
# The count again on the header's Menu button, which hides the bell on narrow screens.
BADGE_STAND_IN = f"<!--bell-badge-{secrets.token_hex(16)}-->"
SHOWN_AT_MOST = 99  # the badge shows "99+" beyond; the accessible name says the number


@dataclass(frozen=True)
class Bell:
    count: int

    @property
    def badge(self) -> str:
        return f"{SHOWN_AT_MOST}+" if self.count > SHOWN_AT_MOST else str(self.count)


def context() -> dict[str, Any]:
    """The stand-in every page renders where the bell goes."""
    return {
        "notification_bell": Markup(STAND_IN),  # noqa: S704 (a constant HTML comment)  # nosec B704
        "notification_badge": Markup(BADGE_STAND_IN),  # noqa: S704 (a constant HTML comment)  # nosec B704
    }


def fill(response: Any) -> Any:
    """Put the person's bell where the page has the stand-in."""
    if response.direct_passthrough or response.is_streamed or response.mimetype != "text/html":
        return response
    body = response.get_data(as_text=True)
    if STAND_IN not in body:
        return response
    html = badge = ""
    if policy.can(current_user, policy.Permission.NOTIFICATION_READ):
        try:
            count = unread_count(get_session(), current_user, utcnow())
            html, badge = _rendered(count, str(get_locale()))
        except Exception:  # the page is shown without its bell rather than not at all
            log.exception("could not fill the notification bell")
    response.set_data(body.replace(STAND_IN, html).replace(BADGE_STAND_IN, badge))
    return response


_RENDERED_AT_MOST = 1024


def _rendered(count: int, locale: str) -> tuple[str, str]:
    """The bell and the Menu badge for `count` in `locale`: they say nothing else, so each is
    rendered once per application and process (every page of every person needs one)."""
    cache: dict[tuple[int, str], tuple[str, str]] = current_app.extensions.setdefault("consult.bell", {})
    key = (count, locale)
    found = cache.get(key)
    if found is None:
        html = render_template("notifications/_bell.html", bell_filled=Bell(count))
        badge = render_template("notifications/_bell.html", bell_badge=Bell(count)) if count else ""
        if len(cache) >= _RENDERED_AT_MOST:
            cache.clear()
        found = cache[key] = (html, badge)
    return found
