"""Search end to end: the index follows every writer in the same transaction, results are
highlighted safely, filtered, paginated by cursor, and only what the viewer may see."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, text

from consult.comments.models import Attribution, Comment, CommentStatus, CommentType
from consult.db import utcnow
from consult.dispositions.models import Disposition, DispositionKind
from consult.rounds.models import Phase, Preset
from consult.search.engines import parse_query
from tests import factories
from tests.support.clients import sign_in
from tests.support.state import fresh, release

HIT_RE = re.compile(r'href="[^"]*#comment-(\d+)"')


def search(client, q: str, **params) -> str:
    response = client.get("/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def comment_ids(html: str) -> list[int]:
    return [int(i) for i in HIT_RE.findall(html)]


@pytest.fixture
def open_round(session, people):
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    session.commit()
    return round_


def test_the_index_follows_orm_core_and_plain_sql_writers(app, session, people, login_as, open_round):
    author = people["participant:industry"]
    orm = factories.make_comment(session, open_round, author, body="zephyr through the ORM")
    session.execute(
        insert(Comment),
        [
            {
                "round_id": open_round.id,
                "clause_key": "k1",
                "clause_position": 1,
                "type": CommentType.GENERAL,
                "body": "zephyr through Core",
                "proposed_change": "",
                "author_id": author.id,
                "organisation_id": author.organisation_id,
                "stakeholder_group_id": author.organisation.stakeholder_group_id,
                "status": CommentStatus.ACCEPTED,
                "nonce": "core-1",
            }
        ],
    )
    session.commit()
    core_id = session.scalar(text("SELECT id FROM comment WHERE nonce = 'core-1'"))
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert set(comment_ids(search(client, "zephyr"))) == {orm.id, core_id}
    # An edit in plain SQL moves the index in the same transaction; a delete takes it out.
    fresh(session).execute(text("UPDATE comment SET body = 'quokka now' WHERE id = :id"), {"id": orm.id})
    session.execute(
        text("DELETE FROM audit_event WHERE subject_type = 'Comment' AND subject_id = :id"), {"id": core_id}
    )
    session.execute(text("DELETE FROM comment WHERE id = :id"), {"id": core_id})
    session.commit()
    release(session)
    assert comment_ids(search(client, "zephyr")) == []
    assert comment_ids(search(client, "quokka")) == [orm.id]
    # `flask search reindex` rebuilds and finds the same.
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "rebuilt" in result.output
    assert comment_ids(search(client, "quokka")) == [orm.id]


def test_matched_words_are_highlighted_and_everything_else_escaped(app, session, people, login_as, open_round):
    factories.make_comment(
        session,
        open_round,
        people["participant:industry"],
        body='Secure <script>alert("x")</script> development & <mark>lifecycle</mark>',
        proposed_change="Add secure <b>coding</b>",
    )
    session.commit()
    html = search(sign_in(app, login_as, session, people, "participant:governments"), "secure development")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<mark>Secure</mark>" in html and "<mark>development</mark>" in html
    assert "&lt;mark&gt;lifecycle&lt;/mark" in html  # stored markup stays text (PostgreSQL drops a last ">")
    assert "Add <mark>secure</mark> &lt;b&gt;coding&lt;/b&gt;" in html


def test_kinds_filters_and_links_in_place(app, session, people, login_as):
    consultation = factories.make_consultation(session, title="Coordinated vulnerability disclosure")
    round_ = factories.make_round(session, Phase.CLOSED, Preset.OPEN_DIALOGUE, consultation=consultation)
    other = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    industry, igo = people["participant:industry"], people["participant:igo"]
    a = factories.make_comment(
        session, round_, industry, clause_key="k2", body="disclosure timelines", type=CommentType.TECHNICAL
    )
    b = factories.make_comment(session, round_, igo, clause_key=None, body="disclosure in general")
    c = factories.make_comment(session, other, industry, body="disclosure elsewhere")
    session.add(
        Disposition(
            comment_id=a.id,
            round_id=round_.id,
            kind=DispositionKind.NOTED,
            observation="Disclosure windows differ",
            recorded_by_id=people["organiser"].id,
            released_at=utcnow(),
        )
    )
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    html = search(client, "disclosure")
    assert "Coordinated vulnerability <mark>disclosure</mark>" in html  # the consultation
    assert set(comment_ids(html)) == {a.id, b.id, c.id}  # comments (and the disposition on a)
    assert f"/rounds/{round_.id}/dispositions?" in html
    assert f"/rounds/{round_.id}?clause=k2&amp;after=2.{a.id - 1}#comment-{a.id}" in html
    assert set(comment_ids(search(client, "disclosure", round=round_.id, kind="comment"))) == {a.id, b.id}
    assert comment_ids(search(client, "disclosure", round=round_.id, clause="general")) == [b.id]
    assert comment_ids(search(client, "disclosure", kind="comment", type="technical")) == [a.id]
    group = a.stakeholder_group_id
    assert set(comment_ids(search(client, "disclosure", kind="comment", group=group))) == {a.id, c.id}
    assert "/dispositions?" not in search(client, "disclosure", kind="comment")
    assert f"#comment-{a.id}" in search(client, "windows", kind="disposition")
    # Malformed filters are ignored, a made-up cursor is refused.
    assert client.get("/search?q=disclosure&round=abc&group=-1&kind=x&sort=up").status_code == 200
    assert client.get("/search?q=disclosure&after=bm90IGEgY3Vyc29y").status_code == 400


def test_the_organisation_filter_never_reveals_a_group_only_author(app, session, people, login_as, open_round):
    industry = people["participant:industry"]
    named = factories.make_comment(
        session, open_round, industry, body="pangolin named", attribution=Attribution.ORGANISATION
    )
    anonymous = factories.make_comment(
        session, open_round, industry, body="pangolin unnamed", attribution=Attribution.GROUP
    )
    session.commit()
    org = industry.organisation_id
    outsider = sign_in(app, login_as, session, people, "participant:governments")
    assert set(comment_ids(search(outsider, "pangolin"))) == {named.id, anonymous.id}
    assert comment_ids(search(outsider, "pangolin", organisation=org)) == [named.id]
    staff = sign_in(app, login_as, session, people, "organiser")
    assert set(comment_ids(search(staff, "pangolin", organisation=org))) == {named.id, anonymous.id}


def test_the_organisation_list_names_only_organisations_the_viewer_may_know(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    shy = factories.make_organisation(session, "igo", name="Shy Organisation")
    factories.make_comment(
        session, round_, factories.make_user(session, organisation=shy), attribution=Attribution.GROUP
    )
    factories.make_comment(session, round_, people["participant:industry"], attribution=Attribution.ORGANISATION)
    session.commit()
    outsider = search(sign_in(app, login_as, session, people, "participant:governments"), "anything")
    assert "industry org" in outsider and "Shy Organisation" not in outsider
    assert "Shy Organisation" in search(sign_in(app, login_as, session, people, "moderator"), "anything")


def test_pages_by_cursor_by_relevance_and_by_date(app, session, people, login_as, open_round):
    ids = [
        factories.make_comment(
            session, open_round, people["participant:industry"], body=f"wombat {'wombat ' * (i % 3)}{i}"
        ).id
        for i in range(25)
    ]
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    for sort in ("relevance", "date"):
        seen, url = [], f"/search?q=wombat&sort={sort}"
        while url:
            html = client.get(url).get_data(as_text=True)
            seen += comment_ids(html)
            found = re.search(r'href="(/search\?[^"]*after=[^"]*)" rel="next"', html)
            url = found.group(1).replace("&amp;", "&") if found else None
        assert sorted(seen) == sorted(ids) and len(seen) == 25, sort
    newest = comment_ids(search(client, "wombat", sort="date"))
    assert newest[0] == ids[-1]


def test_a_phrase_only_a_hidden_comment_contains_returns_nothing_and_says_nothing(app, session, people, login_as):
    sealed = factories.make_round(session, Phase.OPEN, Preset.SEALED)
    hidden = factories.make_comment(session, sealed, people["participant:industry"], body="platypus secret")
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    html = search(client, "platypus")
    blank = search(client, "nothingmatchesthisword")
    assert "platypus secret" not in html and f"comment-{hidden.id}" not in html
    # The CSRF tokens carry the second they were made in: not a difference between the pages.
    strip = lambda page: re.sub(r"(platypus|nothingmatchesthisword|value=\"[\w-]+\.[\w-]+\.[\w-]+\")", "", page)  # noqa: E731
    assert strip(html) == strip(blank)  # the same page as for a word nobody wrote


def test_query_syntax_is_safe_for_fts5():
    assert parse_query("secure development").fts == '"secure" "development"'
    assert parse_query('"supply chain" -cloud').fts == '"supply chain" NOT "cloud"'
    assert parse_query("a OR b").fts == '"a" OR "b"'
    assert parse_query('NEAR( * ) ^ col:x "').fts == '"NEAR(" "col:x"'
    assert parse_query("-only -negatives").empty
    assert parse_query("!!! ??").empty


@pytest.mark.parametrize("q", ['"', "a AND", "NOT x", "col:x", "*", "a NEAR b", "(((", "x" * 300, "ünï ‮ 😀", "OR OR"])
def test_odd_queries_never_fail(app, session, people, login_as, open_round, q):
    factories.make_comment(session, open_round, people["participant:industry"], body="ünï and col x")
    session.commit()
    client = sign_in(app, login_as, session, people, "anonymous")
    assert client.get("/search", query_string={"q": q}).status_code == 200


def test_every_search_trigger_and_index_exists_at_head(session):
    """A later migration that copies a source table (SQLite batch mode) drops its triggers: the
    index would silently stop following it. This test says so first."""
    from consult.search.models import SOURCES

    db = fresh(session)
    if db.bind.dialect.name == "postgresql":
        triggers = set(db.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
        indexes = set(db.scalars(text("SELECT indexname FROM pg_indexes")))
        assert {s.gin_index for s in SOURCES.values()} <= indexes
        assert "user_account_revokes_api_tokens" in triggers
    else:
        triggers = set(db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        expected = {f"{s.fts}_{op}" for s in SOURCES.values() for op in ("ins", "upd", "del")}
        assert expected | {"user_account_revokes_api_tokens"} <= triggers, expected - triggers


def test_searches_that_run_are_rate_limited(app, session, people, login_as, open_round):
    app.config["SEARCH_RATE_LIMIT"] = "2 per minute"
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert client.get("/search?q=one").status_code == 200
    assert client.get("/search?q=two").status_code == 200
    assert client.get("/search?q=one").status_code == 200  # served from the cache: nothing ran
    assert client.get("/search?q=three").status_code == 429


def test_each_comment_is_read_in_its_own_language(app, session, people, login_as, open_round):
    """PostgreSQL stems each comment by the language it is written in ("developing" finds
    "development" in English, « développer » finds « développement » in French) and never applies
    one language's stemming to another's words; SQLite matches words as written."""
    author = people["participant:industry"]
    english = factories.make_comment(session, open_round, author, body="Support developing economies here.")
    french = factories.make_comment(session, open_round, author, body="Le développement des capacités nationales.")
    french.language = "fr"
    chinese = factories.make_comment(session, open_round, author, body="能力 建设 development")
    chinese.language = "zh"
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    if fresh(session).bind.dialect.name != "postgresql":
        assert comment_ids(search(client, "developing")) == [english.id]  # as written: no stemming
        return
    assert set(comment_ids(search(client, "development"))) == {english.id, chinese.id}
    assert comment_ids(search(client, "développer")) == [french.id]
    assert comment_ids(search(client, "capacité")) == [french.id]
    assert comment_ids(search(client, "能力")) == [chinese.id]  # 'simple': the word as written
    assert "<mark>développement</mark>" in search(client, "développer")  # the matched word highlighted


def test_the_language_aware_comment_index_is_used(session):
    """Each language's test is `document @@ <constant query>`: PostgreSQL answers it from the GIN
    index (a sequential scan of 100,000 comments would not keep search fast)."""
    from sqlalchemy import select

    from consult.search.engines import PostgreSQLEngine
    from consult.search.models import SOURCES

    db = fresh(session)
    if db.bind.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    source = SOURCES["comment"]
    joined, condition, _score = PostgreSQLEngine().matching(source, parse_query("secure development"))
    stmt = select(Comment.id).select_from(joined).where(condition)
    compiled = stmt.compile(dialect=db.bind.dialect, compile_kwargs={"literal_binds": True})
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.scalars(text(f"EXPLAIN {compiled}")))
    assert source.gin_index in plan, plan


def test_results_can_be_narrowed_to_the_language_a_comment_is_written_in(app, session, people, login_as, open_round):
    author = people["participant:industry"]
    english = factories.make_comment(session, open_round, author, body="quokka in English")
    french = factories.make_comment(session, open_round, author, body="quokka en français")
    french.language = "fr"
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    assert set(comment_ids(search(client, "quokka"))) == {english.id, french.id}
    page = search(client, "quokka", language="fr")
    assert comment_ids(page) == [french.id]
    assert '<option value="fr" lang="fr" selected>' in page  # the filter shows what it narrows to
    assert comment_ids(search(client, "quokka", language="xx")) == comment_ids(search(client, "quokka"))  # ignored
    from consult.api import services as api_services

    token = api_services.create_token(
        session, actor=people["participant:governments"], name="tool", scopes=["read"], days=30
    ).secret
    session.commit()
    api = app.test_client().get(
        "/api/v1/search", query_string={"q": "quokka", "language": "fr"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200, api.get_data(as_text=True)
    assert [item["id"] for item in api.get_json()["items"]] == [french.id]
