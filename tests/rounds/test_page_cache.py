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
    # The first view misses the whole page and the page around the comments; the second hits.
    assert (cache.hits, cache.misses) == (1, 2)


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
    assert app.extensions["consult.pagecache"].hits == 0  # never the page
    assert app.extensions["consult.sectioncache"].hits > 0  # its comments' sections


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


def _migration(name: str = "0007_round_revision"):
    path = ROOT / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
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
    expected = set(_migration().TRIGGERS) | set(_migration("0015_section_revisions").TRIGGERS)
    assert len(expected) == 27  # 0007: 24, 0015: 3
    assert expected <= names, expected - names


# --- Cached and uncached pages are the same page ----------------------------------------------

VIEWERS = (
    "anonymous",
    "participant:industry",  # wrote a draft and a withdrawn comment: rendered for them alone
    "colleague",  # industry too, wrote nothing: the class's sections
    "participant:governments",
    "focal_point",
    "moderator",
    "organiser",
    "admin",
)
URLS = ("", "?size=3", "?size=2&clause=k2", "?size=4&group={group}", "?after=1.0&size=3", "?comment_on=k1")
TOKEN = re.compile(r'(name="[\w-]*(?:csrf_token|nonce)"[^>]*value=")[^"]+"')  # per form: a token, a nonce


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    return TOKEN.sub(r'\1T"', response.get_data(as_text=True)) if response.status_code == 200 else "404"


@pytest.fixture
def two_apps(app, app_config):
    """The app under test, and one on the same database with every cache of the round page off
    (pages, sections, comments)."""
    from consult import create_app
    from tests.support.clients import IsolatedClient

    bare = create_app({**app_config, "PAGE_CACHE_ENTRIES": 0, "SECTION_CACHE_ENTRIES": 0, "COMMENT_CACHE_ENTRIES": 0})
    bare.test_client_class = IsolatedClient
    yield app, bare
    bare.extensions["consult.db"].engine.dispose()


def _changes(session, people, round_, comments):
    """Each kind of change the page shows, made as its writers make it."""
    from consult.dispositions.models import Disposition, DispositionKind

    industry, government = people["participant:industry"], people["participant:governments"]

    def new_comment(db):
        factories.make_comment(db, db.get(type(round_), round_.id), government, clause_key="k2", body="Late word")

    def new_comment_early(db):  # before the end of a small page: moves every later section's share
        factories.make_comment(db, db.get(type(round_), round_.id), government, clause_key=None, body="General")

    def edit(db):
        db.get(Comment, comments["accepted"]).body = "Edited body"

    def moderation(db):
        db.get(Comment, comments["held"]).status = CommentStatus.ACCEPTED
        db.get(Comment, comments["other"]).hidden_at = utcnow()

    def disposition(db):
        db.add(
            Disposition(
                comment_id=comments["accepted"],
                round_id=round_.id,
                kind=DispositionKind.NOTED,
                observation="Noted",
                recorded_by_id=people["organiser"].id,
                released_at=utcnow(),
            )
        )

    def withdrawal(db):  # the author's own comment leaves the class's view
        db.get(Comment, comments["own"]).status = CommentStatus.WITHDRAWN

    def settings(db):
        db.execute(text("UPDATE round_visibility SET stage = 'while_open' WHERE round_id = :id"), {"id": round_.id})
        db.execute(text("UPDATE round SET title = 'Retitled round' WHERE id = :id"), {"id": round_.id})

    def rename(db):
        db.get(type(industry), industry.id).display_name = "Renamed participant"

    return [new_comment, new_comment_early, edit, moderation, disposition, withdrawal, settings, rename]


def test_cached_and_uncached_pages_are_the_same_for_every_viewer_after_every_change(
    two_apps, session, people, login_as, monkeypatch
):
    """For each viewer class and each kind of change, the page served from the caches (first
    view after the change: some pieces from memory; second view: all) is the page rendered
    with every cache off."""
    app, bare = two_apps
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.GROUP_DIALOGUE, clauses=3, results_public=True)
    industry, government = people["participant:industry"], people["participant:governments"]
    colleague = factories.make_user(session, Role.PARTICIPANT, industry.organisation, email="colleague@example.org")
    comments = {
        "accepted": factories.make_comment(session, round_, industry, clause_key="k1").id,
        "own": factories.make_comment(session, round_, industry, clause_key="k1", body="Own words").id,
        "draft": factories.make_comment(
            session, round_, industry, clause_key="k2", status=CommentStatus.DRAFT, body="Only mine"
        ).id,
        "held": factories.make_comment(
            session, round_, government, clause_key="k3", status=CommentStatus.AWAITING_MODERATION
        ).id,
        "other": factories.make_comment(session, round_, government, clause_key=None, attribution=Attribution.GROUP).id,
    }
    for n in range(4):
        factories.make_comment(
            session, round_, government, clause_key=f"k{1 + n % 3}", attribution=Attribution.ORGANISATION
        )
    session.commit()
    who = {name: people[name] for name in VIEWERS if name not in ("anonymous", "colleague")}
    who["colleague"] = colleague
    clients = {}
    for name in VIEWERS:
        pair = (app.test_client(), bare.test_client())
        if name != "anonymous":
            for c in pair:
                login_as(c, who[name])
        clients[name] = pair
    urls = [f"/rounds/{round_.id}" + u.format(group=government.organisation.stakeholder_group_id) for u in URLS]

    def compare(step: str) -> None:
        for name, (cached, uncached) in clients.items():
            for url in urls:
                expected = _page(uncached, url)
                for attempt in ("first", "second"):
                    assert _page(cached, url) == expected, f"{name} {url} after {step} ({attempt} view)"

    compare("nothing")
    for change in _changes(session, people, round_, comments):
        db = fresh(session)
        change(db)
        db.commit()
        compare(change.__name__)
    # The deadline passes: no write, the phase moves.
    later = utcnow() + timedelta(days=11)
    monkeypatch.setattr("consult.rounds.views.page.utcnow", lambda: later)
    compare("the deadline")
    assert app.extensions["consult.sectioncache"].hits > 0


def test_a_new_comment_renders_only_its_own_section_again(app, session, people, login_as):
    """The point of the sections: a comment on one clause leaves the others' HTML in memory."""
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE, clauses=6)
    for n in range(6):
        factories.make_comment(session, round_, people["participant:industry"], clause_key=f"k{1 + n}")
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:governments"])
    view(client, f"/rounds/{round_.id}")
    sections = app.extensions["consult.sectioncache"]
    factories.make_comment(fresh(session), round_, people["participant:industry"], clause_key="k5", body="New")
    session.commit()
    before = sections.misses
    html, _n = view(client, f"/rounds/{round_.id}")
    assert "New" in html
    assert sections.misses - before == 1  # clause 5's section; the general one and k1-k4, k6 hit


def test_cached_and_uncached_pages_are_the_same_for_the_public(two_apps, session, people, login_as):
    """A published public round: anonymous visitors and signed-in people, before and after a
    change, get from the caches what every cache off renders."""
    app, bare = two_apps
    round_ = factories.make_round(session, Phase.PUBLISHED, preset=Preset.OPEN_DIALOGUE)
    for n in range(5):
        factories.make_comment(session, round_, people["participant:industry"], clause_key=f"k{1 + n % 3}")
    session.commit()
    viewers = {"anonymous": (app.test_client(), bare.test_client())}
    for name in ("participant:governments", "organiser"):
        viewers[name] = (app.test_client(), bare.test_client())
        for c in viewers[name]:
            login_as(c, people[name])
    urls = [f"/rounds/{round_.id}", f"/rounds/{round_.id}?size=2", f"/rounds/{round_.id}?after=1.0"]
    for step in ("before", "after"):
        if step == "after":
            db = fresh(session)
            factories.make_comment(db, db.get(type(round_), round_.id), people["participant:igo"], clause_key="k2")
            db.commit()
        for name, (cached, uncached) in viewers.items():
            for url in urls:
                expected = _page(uncached, url)
                assert expected != "404", (name, url)
                for attempt in ("first", "second"):
                    assert _page(cached, url) == expected, f"{name} {url} {step} ({attempt} view)"
