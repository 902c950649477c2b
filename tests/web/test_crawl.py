"""S3: crawling every page as every role changes nothing in the database and never fails."""

from __future__ import annotations

from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.clients import assert_security_headers, sign_in
from tests.support.html import parse
from tests.support.state import audit_count, row_counts, table_snapshot
from tests.support.world import HOST, VIEWERS, build_url, build_world

MAX_REQUESTS = 300


def start_urls(app, world) -> list[str]:
    """Every GET rule with the world's objects, and the hidden consultation."""
    urls = [
        build_url(app, rule.endpoint, "GET", world.url_args())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and "GET" in rule.methods
    ]
    urls.append(f"/consultations/{world.hidden_consultation_id}")
    # Rounds in every phase (and published ones whose results are not public), and comments in
    # every state: the pages that show them, whoever may or may not see them.
    for name, ident in world.objects.items():
        if name.endswith(" round") or name.startswith("published round"):
            urls += [f"/rounds/{ident}", f"/rounds/{ident}/matrix", f"/rounds/{ident}/settings"]
        elif "comment" in name or "draft:" in name or name.startswith("subject's"):
            urls += [f"/comments/{ident}", f"/comments/{ident}/edit", f"/comments/{ident}/report"]
    return urls


def same_host(base: str, href: str) -> str | None:
    """`href` as a path and query on this host, or None when it leaves it or is a page part."""
    target = urlsplit(urljoin(f"http://{HOST}{base}", href))
    if target.scheme not in ("http", "https") or target.netloc != HOST:
        return None
    if target.path.startswith("/static/"):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def crawl(client, urls: list[str]) -> dict[str, int]:
    """GET breadth-first from `urls`, following links and redirects; the status by URL."""
    seen: dict[str, int] = {}
    queue = deque(urls)
    while queue and len(seen) < MAX_REQUESTS:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        assert response.status_code < 500, f"GET {url} -> {response.status_code}"
        assert_security_headers(response, f"GET {url}")
        found = [response.headers.get("Location", "")] if response.status_code in (301, 302, 303) else []
        if response.mimetype == "text/html":
            found += parse(response.get_data(as_text=True)).links
        for href in found:
            target = same_host(url, href) if href else None
            if target and target not in seen:
                queue.append(target)
    return seen


@pytest.mark.parametrize("viewer", VIEWERS)
def test_crawling_changes_nothing(app, session, people, login_as, viewer):
    world = build_world(session, people)
    client = sign_in(app, login_as, session, people, viewer)  # (signing in records a session)
    counts, audits, rows = row_counts(session), audit_count(session), table_snapshot(session)

    seen = crawl(client, start_urls(app, world))

    assert row_counts(session) == counts
    assert audit_count(session) == audits
    assert table_snapshot(session) == rows
    assert len(seen) >= len(start_urls(app, world)) // 2  # the crawl did get somewhere
    for name in ("open round", "closed round", "published round", "sealed open round"):
        assert f"/rounds/{world.objects[name]}" in seen, name
    if viewer in ("moderator", "organiser"):
        assert seen[f"/rounds/{world.objects['draft round']}"] == 200
        hidden_comment = world.objects["subject's hidden comment"]
        assert seen[f"/comments/{hidden_comment}"] == 200
    if viewer == "anonymous":
        assert seen[f"/rounds/{world.objects['published round']}"] == 200
        assert seen[f"/rounds/{world.objects['open round']}"] == 404
    if viewer == "admin":
        # The admin reaches every person's, organisation's and group's page by following links.
        assert f"/admin/users/{people['participant:igo'].id}" in seen
        assert f"/admin/organisations/{people.organisations['igo'].id}" in seen
        assert f"/admin/groups/{world.group_id}" in seen
        assert seen["/admin/audit"] == 200
