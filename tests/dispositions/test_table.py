"""The disposition table: ISO columns, the observation editable row by row (with and without
the script), filters by clause, MB, type and status, "N of M answered", pages of a fixed
number of statements."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.comments.models import CommentClause, CommentType
from consult.dispositions.models import Disposition, DispositionKind
from consult.rounds.models import Phase
from tests import factories
from tests.rounds.test_query_counts import counting
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh


@pytest.fixture
def table_round(session, people):
    """A closed round: comments of two organisations (KR, ACME) on three clauses, one also
    naming clause 3, one answered."""
    round_ = factories.make_round(session, Phase.CLOSED, clauses=3)
    people.organisations["governments"].mb_code = "KR"
    people.organisations["industry"].mb_code = "ACME"
    gov, ind = people["participant:governments"], people["participant:industry"]
    made = [
        factories.make_comment(session, round_, gov, "k1", body="KR on one", type=CommentType.TECHNICAL),
        factories.make_comment(session, round_, ind, "k2", body="ACME on two", type=CommentType.EDITORIAL),
        factories.make_comment(session, round_, gov, "k2", body="KR on two and three", type=CommentType.TECHNICAL),
        factories.make_comment(session, round_, ind, None, body="ACME in general", type=CommentType.GENERAL),
    ]
    session.add(CommentClause(comment_id=made[2].id, clause_key="k3"))
    session.add(Disposition(comment_id=made[0].id, round_id=round_.id, kind=DispositionKind.ACCEPTED,
                            observation="", recorded_by_id=people["organiser"].id))  # fmt: skip
    session.commit()
    return round_, made


def numbers_on(page) -> list[str]:
    return re.findall(r'<th scope="row" data-label="MB/NC"><a href="/comments/\d+">([^<]+)</a>', page)


def test_the_table_shows_the_iso_columns_and_filters(app, session, people, login_as, table_round):
    round_, made = table_round
    client = sign_in(app, login_as, session, people, "organiser")
    page = client.get(f"/rounds/{round_.id}/dispositions/table").get_data(as_text=True)
    assert numbers_on(page) == ["ACME-002", "KR-001", "ACME-001", "KR-002"]  # clause order
    assert "1 of 4 answered" in page
    for heading in ("MB/NC", "Line number", "Clause/Subclause", "Paragraph/Figure/Table", "Type of comment",
                    "Comments", "Proposed change", "Observations of the secretariat"):  # fmt: skip
        assert f'<th scope="col">{heading}</th>' in page
    assert "<script>" not in page and 'src="/static/js/disposition-table.js"' in page  # no inline script
    assert client.get("/static/js/disposition-table.js").status_code == 200

    def shown(query: str) -> list[str]:
        return numbers_on(client.get(f"/rounds/{round_.id}/dispositions/table?{query}").get_data(as_text=True))

    assert shown("clause=k3") == ["KR-002"]  # a further clause of the comment counts
    assert shown("clause=general") == ["ACME-002"]
    assert shown("mb=KR") == ["KR-001", "KR-002"]
    assert shown("type=editorial") == ["ACME-001"]
    assert shown("status=unanswered") == ["ACME-002", "ACME-001", "KR-002"]
    assert shown("status=drafted") == ["KR-001"]
    assert shown("order=mb") == ["ACME-001", "ACME-002", "KR-001", "KR-002"]
    assert shown("mb=bad%20code") == ["ACME-002", "KR-001", "ACME-001", "KR-002"]  # unknown filters: ignored


def test_a_row_saves_without_script_and_comes_back_to_its_row(app, session, people, login_as, table_round):
    round_, made = table_round
    target = made[1]
    client = sign_in(app, login_as, session, people, "organiser")
    back = f"/rounds/{round_.id}/dispositions/table?mb=ACME"
    response = client.post(
        f"/rounds/{round_.id}/dispositions/table/{target.id}",
        data={"csrf_token": csrf_token(client), f"r{target.id}-kind": "not_accepted",
              f"r{target.id}-observation": "Not accepted.\r\nThe text is right.", "back": back},
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == f"{back}#row-{target.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: Not accepted (drafted, not released)." in page and "2 of 4 answered" in page
    saved = fresh(session).scalar(select(Disposition).where(Disposition.comment_id == target.id))
    assert (saved.kind, saved.observation, saved.released_at) == (
        DispositionKind.NOT_ACCEPTED,
        "Not accepted.\nThe text is right.",
        None,
    )
    # A refusal says why and changes nothing; a "back" that leaves the site is not followed.
    response = client.post(
        f"/rounds/{round_.id}/dispositions/table/{target.id}",
        data={"csrf_token": csrf_token(client), f"r{target.id}-kind": "partially_accepted",
              f"r{target.id}-observation": "", "back": "https://elsewhere.example/"},
    )  # fmt: skip
    assert response.headers["Location"] == f"/rounds/{round_.id}/dispositions/table#row-{target.id}"
    assert "Explain the disposition" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert fresh(session).scalar(select(Disposition.kind).where(Disposition.comment_id == target.id)) is (
        DispositionKind.NOT_ACCEPTED
    )


def test_a_row_saves_by_fetch_and_answers_in_json(app, session, people, login_as, table_round):
    round_, made = table_round
    client = sign_in(app, login_as, session, people, "organiser")
    url = f"/rounds/{round_.id}/dispositions/table/{made[2].id}"
    fetch = {"X-Requested-With": "fetch"}
    answer = client.post(url, headers=fetch, data={"csrf_token": csrf_token(client), f"r{made[2].id}-kind": "duplicate",
                                                   f"r{made[2].id}-duplicate_of": "KR 1"})  # fmt: skip
    assert answer.status_code == 200 and answer.get_json() == {
        "ok": True, "message": "Saved: Duplicate of another comment (drafted, not released).", "answered": 2,
        "total": 4, "progress": "2 of 4 answered", "kind": "duplicate",
    }  # fmt: skip
    saved = fresh(session).scalar(select(Disposition).where(Disposition.comment_id == made[2].id))
    assert saved.duplicate_of_id == made[0].id  # "KR 1" names KR-001
    answer = client.post(url, headers=fetch, data={"csrf_token": csrf_token(client), f"r{made[2].id}-kind": "duplicate",
                                                   f"r{made[2].id}-duplicate_of": "ZZ-404"})  # fmt: skip
    assert answer.status_code == 400 and answer.get_json()["ok"] is False
    assert "no comment of this round has the number ZZ-404" in answer.get_json()["message"]
    answer = client.post(url, headers=fetch, data={"csrf_token": csrf_token(client), f"r{made[2].id}-kind": ""})
    assert answer.status_code == 400 and "choose a disposition" in answer.get_json()["message"]


def test_an_open_round_has_no_row_forms_and_the_table_pages(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN)
    for n in range(30):
        factories.make_comment(session, round_, people["participant:industry"], f"k{1 + n % 3}", body=f"C{n}")
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    page = client.get(f"/rounds/{round_.id}/dispositions/table").get_data(as_text=True)
    assert "Dispositions are recorded once the round has closed." in page and 'class="row-form"' not in page
    assert len(numbers_on(page)) == 25 and 'rel="next"' in page
    second = client.get(f"/rounds/{round_.id}/dispositions/table?page=2").get_data(as_text=True)
    assert len(numbers_on(second)) == 5 and 'rel="prev"' in second


def test_the_table_runs_a_constant_number_of_statements(app, session, people, login_as):
    client = app.test_client()
    login_as(client, people["organiser"])
    counts = {}
    for size in (3, 60):
        round_ = factories.make_round(session, Phase.CLOSED)
        for n in range(size):
            comment = factories.make_comment(session, round_, people["participant:industry"], f"k{1 + n % 3}")
            if n % 2:
                session.add(Disposition(comment_id=comment.id, round_id=round_.id, kind=DispositionKind.DUPLICATE,
                                        duplicate_of_id=comment.id, observation="x",
                                        recorded_by_id=people["organiser"].id))  # fmt: skip
            if n % 3 == 0:
                session.add(CommentClause(comment_id=comment.id, clause_key="k3"))
        session.commit()
        client.get(f"/rounds/{round_.id}/dispositions/table")
        with counting(app) as statements:
            assert client.get(f"/rounds/{round_.id}/dispositions/table").status_code == 200
        counts[size] = len(statements)
    assert counts[3] == counts[60] and counts[60] <= 12, counts
