"""Keyset pagination of the round page: (clause position, id), `after=` links, clamped sizes,
and malformed parameters answered with 400, never 500."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.comments.models import Comment
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.rounds.helpers import bulk_comments
from tests.support.html import parse
from tests.support.state import fresh

COMMENT_ID = re.compile(r'<article class="comment" id="comment-(\d+)"')


def shown(html: str) -> list[int]:
    return [int(n) for n in COMMENT_ID.findall(html)]


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def round_45(session, people):
    """45 comments over 3 clauses, written so that id order differs from document order."""
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    authors = [people["participant:industry"], people["participant:governments"], people["participant:igo"]]
    bulk_comments(session, round_, authors, 45, clauses=3)  # k1, k2, k3, k1, k2, ...
    session.commit()
    return round_


@pytest.mark.parametrize("viewer", ["participant:civil-society", "moderator"])
def test_pages_follow_the_next_link_without_repeat_or_gap(app, session, people, login_as, round_45, viewer):
    client = app.test_client()
    login_as(client, people[viewer])
    expected = [
        c.id
        for c in fresh(session).scalars(
            select(Comment).where(Comment.round_id == round_45.id).order_by(Comment.clause_position, Comment.id)
        )
    ]
    assert len(expected) == 45
    url = f"/rounds/{round_45.id}?size=20"
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        pages.append(shown(html))
        url = next_link(html)
        if url:
            assert "after=" in url and "size=20" in url
        assert len(pages) < 10
    assert [len(p) for p in pages] == [20, 20, 5]
    seen = [ident for page in pages for ident in page]
    assert seen == expected  # document order, nothing repeated, nothing skipped


def test_filters_are_kept_across_pages(app, session, people, login_as, round_45):
    client = app.test_client()
    login_as(client, people["moderator"])
    html = client.get(f"/rounds/{round_45.id}?size=5&clause=k2").get_data(as_text=True)
    link = next_link(html)
    assert link and "clause=k2" in link
    ids = shown(html) + shown(client.get(link).get_data(as_text=True))
    clause_of = dict(fresh(session).execute(select(Comment.id, Comment.clause_key)).all())
    assert len(ids) == 10 and {clause_of[i] for i in ids} == {"k2"}


def test_a_page_has_at_most_100_comments(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    bulk_comments(session, round_, [people["participant:industry"]], 130, clauses=3)
    session.commit()
    client = app.test_client()
    login_as(client, people["moderator"])
    html = client.get(f"/rounds/{round_.id}?size=1000").get_data(as_text=True)
    assert len(shown(html)) == 100
    link = next_link(html)
    assert link and "size=100" in link
    assert len(shown(client.get(link).get_data(as_text=True))) == 30
    for size in ("0", "-5", "abc", ""):
        assert len(shown(client.get(f"/rounds/{round_.id}?size={size}").get_data(as_text=True))) in (1, 20)
    assert "size" in parse(html).options


@pytest.mark.parametrize(
    "after",
    [
        "abc",
        "1",
        "1.",
        ".5",
        "1.2.3",
        "-1.5",
        "1.-5",
        "1.5x",
        " 1.5",
        "1e3.5",
        "9" * 40 + ".1",
        "1.99999999999999999999",  # fits the length check, not a 64-bit integer
        "99999999999999999999.1",
        "².1",  # a digit to str.isdigit(), not to int()
        "1.١٢",
        "1.5&after=2.6",
    ],
)
def test_a_malformed_after_gives_400(app, session, people, login_as, round_45, after):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    response = client.get(f"/rounds/{round_45.id}", query_string={"after": after})
    assert response.status_code == 400, f"after={after!r}: {response.status_code}"


@pytest.mark.parametrize("group", ["²", "99999999999999999999999", "-1", "x"])
def test_a_malformed_group_filter_is_ignored(app, session, people, login_as, round_45, group):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    response = client.get(f"/rounds/{round_45.id}", query_string={"group": group})
    assert response.status_code == 200
