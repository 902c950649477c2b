"""P3: the number of SQL statements a page runs does not grow with the number of comments, and
stays small. Lists never lazy-load (relationships are lazy="raise": a stray load is a 500)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import InvalidRequestError

from consult.comments.models import Comment
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.rounds.helpers import bulk_comments
from tests.support.state import fresh

SIZES = (1, 50, 500)
MAX_STATEMENTS = 12
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture
def app_config(app_config):
    """Count the statements of a full render: the round page's cache off (a hit runs fewer;
    tests/rounds/test_page_cache.py covers the cache)."""
    return {**app_config, "PAGE_CACHE_ENTRIES": 0}


@contextmanager
def counting(app):
    """The SQL statements run on the app's engine meanwhile (transaction control left out)."""
    engine = app.extensions["consult.db"].engine
    statements: list[str] = []

    def on_execute(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def statements_for(app, client, url: str) -> list[str]:
    client.get(url)  # warm up: first connections, caches
    with counting(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    assert statements, "no statement counted: is the listener on the app's engine?"
    return list(statements)


@pytest.fixture
def rounds_by_size(session, people):
    """An open round (every group sees every group) per size, its comments over the general
    section and three clauses, written by participants of four groups (the viewer among them)."""
    authors = [
        people["participant:industry"],
        people["participant:governments"],
        people["participant:civil-society"],
        people["participant:igo"],
    ]
    found = {}
    for size in SIZES:
        round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
        bulk_comments(session, round_, authors, size, general=True)
        found[size] = round_.id
    session.commit()
    return found


@pytest.mark.parametrize("viewer", ["participant:industry", "moderator", "organiser"])
@pytest.mark.parametrize(
    "page", ["/rounds/{id}", "/rounds/{id}/matrix", "/rounds/{id}?clause=k2", "/rounds/{id}/clauses/k2"]
)
def test_round_pages_run_a_constant_small_number_of_statements(
    app, session, people, login_as, rounds_by_size, viewer, page
):
    client = app.test_client()
    login_as(client, people[viewer])
    counts = {}
    for size, round_id in rounds_by_size.items():
        statements = statements_for(app, client, page.format(id=round_id))
        counts[size] = len(statements)
        assert len(statements) <= MAX_STATEMENTS, f"{size} comments: " + "\n\n".join(statements)
    assert len(set(counts.values())) == 1, f"statements per number of comments: {counts}"


@pytest.mark.parametrize("page", ["/rounds/{id}", "/rounds/{id}/matrix"])
def test_the_round_page_does_not_grow_with_the_clauses(app, session, people, login_as, page):
    """Each clause has its own comment form: its clause choices are read once per page; the
    side-by-side page reads its cells in one statement for every clause."""
    client = app.test_client()
    login_as(client, people["participant:industry"])
    counts = {}
    for clauses in (1, 3, 30):
        round_ = factories.make_round(session, Phase.OPEN, clauses=clauses)
        bulk_comments(session, round_, [people["participant:industry"]], 10, clauses=clauses)
        session.commit()
        counts[clauses] = len(statements_for(app, client, page.format(id=round_.id)))
    assert len(set(counts.values())) == 1, f"statements per number of clauses: {counts}"
    assert counts[30] <= MAX_STATEMENTS


def test_my_comments_runs_a_constant_small_number_of_statements(app, session, people, login_as):
    author = people["participant:industry"]
    client = app.test_client()
    login_as(client, author)
    counts = {}
    written = 0
    for size in SIZES:
        round_ = factories.make_round(session, Phase.OPEN)
        bulk_comments(session, round_, [author], size - written)
        written = size
        session.commit()
        statements = statements_for(app, client, "/my/comments")
        counts[size] = len(statements)
        assert len(statements) <= MAX_STATEMENTS, "\n\n".join(statements)
    assert len(set(counts.values())) == 1, f"statements per number of comments: {counts}"


def test_the_page_shows_what_it_counted(app, session, people, login_as, rounds_by_size):
    """The big round's page really lists a full page of comments (the count is not of an empty page)."""
    client = app.test_client()
    login_as(client, people["participant:industry"])
    html = client.get(f"/rounds/{rounds_by_size[500]}").get_data(as_text=True)
    assert html.count('class="comment"') == 20
    assert "500" in html


def test_lists_cannot_lazy_load(session, people, rounds_by_size):
    comment = fresh(session).scalars(select(Comment).limit(1)).one()
    for name in ("author", "organisation", "stakeholder_group"):
        with pytest.raises(InvalidRequestError):
            getattr(comment, name)
