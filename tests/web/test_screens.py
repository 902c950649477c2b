"""What every page shares on every screen, and the design pass (issue 18): the header's menu (a
<details> holding the navigation, the bell, search and sign out), the timezone picker grouped
by region with a search, dates relative and absolute (never stale in a cached page), a round's
state as a tag, and a new comment's attribution starting at the least exposing level."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Response

from consult import policy, timeutil
from consult.comments.models import Attribution
from consult.forms import find_timezone, timezone_groups
from tests import factories
from tests.support.clients import post, sign_in
from tests.support.state import fresh

MENU_RE = re.compile(r'<details class="site-menu">(.*?)</details>', re.S)


def _menu(html: str) -> str:
    found = MENU_RE.search(html)
    assert found, 'no <details class="site-menu"> in the page'
    return found.group(1)


@pytest.mark.parametrize("viewer", ["anonymous", "participant:governments", "organiser"])
def test_the_header_menu_holds_navigation_bell_search_and_sign_out(app, session, people, login_as, viewer):
    client = sign_in(app, login_as, session, people, viewer)
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    menu = _menu(html)
    assert re.search(r"<summary>\s*Menu\b", menu)  # the button on narrow screens
    assert "<!--bell" not in html  # the bell and the Menu button's count are filled in
    assert '<nav aria-label="Main">' in menu and 'role="search"' in menu
    assert 'href="/consultations"' in menu or 'href="/"' in menu
    if viewer == "anonymous":
        assert "Sign in" in menu and "Sign out" not in html
    else:
        assert 'class="bell"' in menu and "Sign out" in menu and 'action="/logout"' in menu
    assert "<script" not in html.split("</header>")[0]  # the menu needs no JavaScript


def test_timezones_are_grouped_by_region_and_found_by_city(app):
    with app.test_request_context():
        groups = timezone_groups()
    assert list(groups)[:3] == ["Africa", "America", "Antarctica"] and list(groups)[-1] == "Other"
    assert ("Asia/Seoul", "Seoul") in groups["Asia"] and ("America/New_York", "New York") in groups["America"]
    assert ("UTC", "UTC") in groups["Other"]
    assert sum(len(z) for z in groups.values()) == len({v for z in groups.values() for v, _label in z})
    assert find_timezone("seoul") == "Asia/Seoul"
    assert find_timezone("  New   york ") == "America/New_York"
    assert find_timezone("europe/paris") == "Europe/Paris"
    assert find_timezone("Buenos Aires") == "America/Argentina/Buenos_Aires"
    assert find_timezone("utc") == "UTC"
    for nothing in ("", "Atlantis", "x" * 200, "Europe/../../etc/passwd"):
        assert find_timezone(nothing) is None


def test_the_account_page_picks_a_timezone_from_groups_or_by_search(app, session, people, login_as):
    person = people["participant:governments"]
    client = sign_in(app, login_as, session, people, "participant:governments")
    html = client.get("/account").get_data(as_text=True)
    assert re.search(r'<optgroup label="Asia">.*?<option value="Asia/Seoul">Seoul</option>', html, re.S)
    assert 'list="timezone-names"' in html and '<datalist id="timezone-names">' in html
    assert '<option value="Europe/Paris">' in html  # offered by the search box

    def save(**fields):
        return post(client, "/account/profile", {"display_name": person.display_name, **fields})

    assert save(timezone="UTC", **{"timezone-search": "Seoul"}).status_code == 302  # the search wins
    assert fresh(session).get(type(person), person.id).timezone == "Asia/Seoul"
    assert save(timezone="Europe/Paris").status_code == 302  # the list alone
    assert fresh(session).get(type(person), person.id).timezone == "Europe/Paris"
    response = save(timezone="UTC", **{"timezone-search": "Atlantis"})
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "No timezone is called that" in page and 'value="Atlantis"' in page  # what was typed comes back
    assert fresh(session).get(type(person), person.id).timezone == "Europe/Paris"


def test_times_carry_the_zone_people_know(app, monkeypatch):
    from zoneinfo import ZoneInfo

    when = datetime(2026, 12, 13, 17, 17, tzinfo=UTC)
    with app.test_request_context():
        assert timeutil.localtime(when) == "13 Dec 2026, 17:17 UTC"  # a visitor
        monkeypatch.setattr(timeutil, "viewer_zone", lambda: ZoneInfo("Asia/Seoul"))
        assert timeutil.localtime(when).endswith(" KST")
        monkeypatch.setattr(timeutil, "viewer_zone", lambda: ZoneInfo("Asia/Dubai"))
        assert timeutil.localtime(when).endswith(" UTC+04")  # a zone without an abbreviation


def test_relative_times_are_filled_as_each_response_leaves(app):
    soon = datetime.now(UTC) + timedelta(days=2, minutes=5)
    with app.test_request_context():
        mark = str(timeutil.relative_mark(soon))
        assert mark.startswith("<!--relative:") and "in 2 days" not in mark
        response = timeutil.fill_relative(Response(f"<p>closes {mark} — then</p>", mimetype="text/html"))
        assert response.get_data(as_text=True) == "<p>closes in 2 days — then</p>"
        typed = "&lt;!--relative:1--&gt;"  # a person's text, escaped, is never a mark
        assert timeutil.fill_relative(Response(typed, mimetype="text/html")).get_data(as_text=True) == typed
        other = Response(f"{mark}", mimetype="text/csv")
        assert timeutil.fill_relative(other).get_data(as_text=True) == mark


def test_the_round_page_names_the_round_once_with_its_state_as_a_tag(app, session, people, login_as):
    round_ = factories.make_round(session, factories.Phase.OPEN)
    round_.title = "A round with a unique title"
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    for _twice in range(2):  # the second answer comes from the page cache: still no stale words
        html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
        main = html.split('<main id="main"', 1)[1]
        assert main.count("A round with a unique title") == 1
        assert re.search(r'<strong class="tag tag-phase tag-phase-open">open for comments</strong>', main)
        assert "<!--relative:" not in html
        assert re.search(r"Closes</dt><dd>in [^<]+ — <time datetime=", main)


def test_a_new_comment_starts_at_the_least_exposing_attribution(app, session, people, login_as):
    round_ = factories.make_round(session, factories.Phase.OPEN)
    session.commit()
    assert policy.default_attribution(round_) is Attribution.GROUP
    assert policy.attribution_choices(round_)[-1] is Attribution.GROUP
    client = sign_in(app, login_as, session, people, "participant:governments")
    html = client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True)
    checked = re.findall(
        r'<input[^>]*checked[^>]*name="attribution"[^>]*>|<input[^>]*name="attribution"[^>]*checked[^>]*>', html
    )
    assert len(checked) == 1 and 'value="group"' in checked[0]
