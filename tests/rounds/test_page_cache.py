"""The round page's cache (consult/pagecache.py): a second view of an unchanged round is served
from memory, and every change the page shows (comments written, hidden or moved through
moderation by any writer, rule cells, names, the round's own settings and its phase as time
passes, who is looking) is seen at once. Staleness here would be a leak, so each case looks."""

from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from consult.auth.models import Role
from consult.comments.models import Attribution, Comment, CommentStatus
from consult.db import utcnow
from consult.pagecache import PageCache
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.rounds.test_query_counts import counting
from tests.support.state import fresh

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def comments_part(html: str) -> str:
    return html[html.index('<form method="get" class="filters"') :]


def view(client, url: str) -> tuple[str, int]:
    """The page's HTML and how many SQL statements it ran."""
    with counting(client.application) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True), len(statements)


@pytest.fixture
def open_round(session, people):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.GROUP_DIALOGUE)
    factories.make_comment(session, round_, people["participant:industry"], body="Industry speaks first")
    session.commit()
    return round_


def test_a_second_view_is_served_from_memory(app, session, people, login_as, open_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    first, cold = view(client, f"/rounds/{open_round.id}")
    second, warm = view(client, f"/rounds/{open_round.id}")
    assert comments_part(first) == comments_part(second)
    assert "Industry speaks first" in second
    assert warm < cold, (warm, cold)
    # The signed-in user, the round (its revision, and may they see it), and the person's unread
    # notifications (the bell, filled in per response: never cached with the page).
    assert warm <= 3, warm
    cache = app.extensions["consult.pagecache"]
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_cached_page_carries_the_sessions_own_csrf_token(app, session, people, login_as, open_round):
    """The whole page is cached with a stand-in for the sign-out form's token: each response
    gets its session's real token, and the stand-in never shows."""
    from consult.rounds.views import page as views

    client, other = app.test_client(), app.test_client()
    login_as(client, people["participant:industry"])
    login_as(other, people["participant:industry"])
    pages = [view(c, f"/rounds/{open_round.id}")[0] for c in (client, client, other)]
    assert app.extensions["consult.pagecache"].hits == 2
    for html in pages:
        assert views._CSRF_STAND_IN not in html
    token = CSRF.search(pages[1]).group(1)
    assert CSRF.search(pages[2]).group(1) != token  # the other session's own
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get(f"/rounds/{open_round.id}").status_code in (302, 404)  # signed out


def test_one_persons_page_is_not_anothers(app, session, people, login_as, open_round):
    colleague = factories.make_user(
        session, Role.PARTICIPANT, people["participant:industry"].organisation, email="colleague@example.org"
    )
    session.commit()
    first, second = app.test_client(), app.test_client()
    login_as(first, people["participant:industry"])
    login_as(second, colleague)
    view(first, f"/rounds/{open_round.id}")
    html = view(second, f"/rounds/{open_round.id}")[0]
    assert f"Signed in as {colleague.display_name}" in html
    assert f"Signed in as {people['participant:industry'].display_name}" not in html


def test_a_message_to_show_once_is_shown(app, session, people, login_as, open_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    view(client, f"/rounds/{open_round.id}")
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("message", "Your comment was saved.")]
    assert "Your comment was saved." in view(client, f"/rounds/{open_round.id}")[0]
    assert "Your comment was saved." not in view(client, f"/rounds/{open_round.id}")[0]


def test_organisers_get_fresh_steps_around_cached_comments(app, session, people, login_as, open_round):
    client = app.test_client()
    login_as(client, people["organiser"])
    pages = [view(client, f"/rounds/{open_round.id}")[0] for _ in range(2)]
    assert "Steps for this round" in pages[1] and "Industry speaks first" in pages[1]
    assert app.extensions["consult.pagecache"].hits == 1  # the comments part, not the page


def test_switched_off_with_zero_entries(app_config, database_url):
    from consult import create_app

    app = create_app({**app_config, "PAGE_CACHE_ENTRIES": 0})
    cache = app.extensions["consult.pagecache"]
    made = []
    for _ in range(2):
        cache.get_or_make("k", lambda: made.append(1))
    assert len(made) == 2 and len(cache) == 0


def test_least_recently_used_entries_go_first():
    cache = PageCache(2)
    cache.get_or_make("a", lambda: 1)
    cache.get_or_make("b", lambda: 2)
    cache.get_or_make("a", lambda: 0)  # a used again: b is now the oldest
    cache.get_or_make("c", lambda: 3)
    assert len(cache) == 2
    assert cache.get_or_make("a", lambda: "made again") == 1
    assert cache.get_or_make("b", lambda: "made again") == "made again"


def test_a_new_comment_shows_at_once(app, session, people, login_as, open_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    view(client, f"/rounds/{open_round.id}")
    factories.make_comment(fresh(session), open_round, people["participant:industry"], body="A second thought")
    session.commit()
    html, _n = view(client, f"/rounds/{open_round.id}")
    assert "A second thought" in html


@pytest.mark.parametrize("writer", ["orm", "core", "raw sql"])
def test_a_hidden_comment_goes_at_once_whoever_writes(app, session, people, login_as, writer):
    """Triggers move the revision: an ORM flush, a Core UPDATE and plain SQL all count."""
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    comment = factories.make_comment(session, round_, people["participant:industry"], body="Soon hidden")
    session.commit()
    reader, author = app.test_client(), app.test_client()
    login_as(reader, people["participant:governments"])
    login_as(author, people["participant:industry"])
    for c in (reader, author):
        assert "Soon hidden" in view(c, f"/rounds/{round_.id}")[0]
    db = fresh(session)
    if writer == "orm":
        db.get(Comment, comment.id).hidden_at = utcnow()
    elif writer == "core":
        db.execute(update(Comment).where(Comment.id == comment.id).values(hidden_at=utcnow()))
    else:
        db.execute(text("UPDATE comment SET hidden_at = created_at WHERE id = :id"), {"id": comment.id})
    db.commit()
    assert "Soon hidden" not in view(reader, f"/rounds/{round_.id}")[0]
    assert "hidden by a moderator" in view(author, f"/rounds/{round_.id}")[0]  # authors see their own


def test_moderation_reaches_the_page(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE, premoderation=True)
    comment = factories.make_comment(
        session, round_, people["participant:industry"], status=CommentStatus.AWAITING_MODERATION, body="Held back"
    )
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:governments"])
    assert "Held back" not in view(client, f"/rounds/{round_.id}")[0]
    fresh(session).get(Comment, comment.id).status = CommentStatus.ACCEPTED
    session.commit()
    assert "Held back" in view(client, f"/rounds/{round_.id}")[0]


def test_viewers_never_share_an_entry(app, session, people, login_as, open_round):
    """Group dialogue: industry's comment is for industry; a government viewer after an
    industry viewer (same round, same revision, same parameters) does not get their page."""
    industry, government = app.test_client(), app.test_client()
    login_as(industry, people["participant:industry"])
    login_as(government, people["participant:governments"])
    assert "Industry speaks first" in view(industry, f"/rounds/{open_round.id}")[0]
    assert "Industry speaks first" not in view(government, f"/rounds/{open_round.id}")[0]


def test_a_role_or_organisation_change_is_seen(app, session, people, login_as, open_round):
    user = people["participant:governments"]
    client = app.test_client()
    login_as(client, user)
    assert "Industry speaks first" not in view(client, f"/rounds/{open_round.id}")[0]
    fresh(session).get(type(user), user.id).organisation_id = people["participant:industry"].organisation_id
    session.commit()
    assert "Industry speaks first" in view(client, f"/rounds/{open_round.id}")[0]
    db = fresh(session)
    moved = db.get(type(user), user.id)
    moved.organisation_id = people["participant:governments"].organisation_id
    moved.role = Role.MODERATOR
    db.commit()
    login_as(client, fresh(session).get(type(user), user.id))  # the session version moved
    html = view(client, f"/rounds/{open_round.id}")[0]
    assert "Industry speaks first" in html  # a moderator sees every comment


def test_a_new_draft_title_shows_at_once(app, session, people, login_as, open_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    view(client, f"/rounds/{open_round.id}")
    db = fresh(session)
    db.execute(
        text("UPDATE draft SET title = 'Retitled draft' WHERE id = (SELECT draft_id FROM draft_version WHERE id = :v)"),
        {"v": open_round.version_id},
    )
    db.commit()
    assert "Retitled draft" in view(client, f"/rounds/{open_round.id}")[0]


def test_new_names_show_at_once(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    author = people["participant:industry"]
    factories.make_comment(session, round_, author, attribution=Attribution.PERSON)
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:governments"])
    html = view(client, f"/rounds/{round_.id}")[0]
    assert author.display_name in html and author.organisation.name in html
    db = fresh(session)
    db.get(type(author), author.id).display_name = "Renamed Person"
    db.get(type(author.organisation), author.organisation_id).name = "Renamed Organisation"
    db.commit()
    html = view(client, f"/rounds/{round_.id}")[0]
    assert "Renamed Person, Renamed Organisation" in html


def test_the_phase_changes_with_the_clock(app, session, people, login_as, open_round, monkeypatch):
    """No write happens when a round closes at its deadline: the phase is part of the key."""
    client = app.test_client()
    login_as(client, people["participant:industry"])
    assert "Comment on" in view(client, f"/rounds/{open_round.id}")[0]
    later = utcnow() + timedelta(days=11)
    monkeypatch.setattr("consult.rounds.views.page.utcnow", lambda: later)
    html = view(client, f"/rounds/{open_round.id}")[0]
    assert "Comment on" not in html


def test_changing_the_round_or_its_rule_moves_the_revision(session, people, open_round):
    db = fresh(session)
    before = db.scalar(text("SELECT revision FROM round WHERE id = :id"), {"id": open_round.id})
    db.execute(text("UPDATE round SET title = 'Renamed' WHERE id = :id"), {"id": open_round.id})
    after_title = db.scalar(text("SELECT revision FROM round WHERE id = :id"), {"id": open_round.id})
    db.execute(text("UPDATE round_visibility SET stage = 'never' WHERE round_id = :id"), {"id": open_round.id})
    after_rule = db.scalar(text("SELECT revision FROM round WHERE id = :id"), {"id": open_round.id})
    db.rollback()
    assert before < after_title < after_rule


def _migration():
    path = ROOT / "migrations" / "versions" / "0007_round_revision.py"
    spec = importlib.util.spec_from_file_location("round_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_trigger_exists_at_head(session):
    """A later migration that copies one of these tables (SQLite batch mode) would drop its
    triggers: the cache would then serve stale pages. This test says so first."""
    db = fresh(session)
    if db.bind.dialect.name == "postgresql":
        names = set(db.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    else:
        names = set(db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    expected = set(_migration().TRIGGERS)
    assert len(expected) == 24
    assert expected <= names, expected - names
