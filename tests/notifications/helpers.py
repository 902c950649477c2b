"""Reading the notification centre as a person sees it: the bell in the header, the page."""

from __future__ import annotations

import html as html_module
import re

from sqlalchemy import select

from consult.notifications.models import Notification
from tests.support.state import fresh

BELL = re.compile(r'class="bell".*?<span class="visually-hidden">([^<]*)</span></a>', re.DOTALL)


def bell(client, path: str = "/notifications") -> str:
    """The bell's accessible name on `path` ("Notifications, 2 unread")."""
    html = client.get(path).get_data(as_text=True)
    found = BELL.search(html)
    assert found, f"no bell on {path}"
    return found.group(1).strip()


def unread(client, path: str = "/notifications") -> int:
    label = bell(client, path)
    found = re.search(r"(\d+) unread", label)
    return int(found.group(1)) if found else 0


def page_text(client, path: str = "/notifications") -> str:
    """The notifications page's main part as text (tags removed, entities read)."""
    html = client.get(path).get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def rows(session, user) -> list[Notification]:
    """The person's notifications as stored, oldest first."""
    fresh(session)
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))
