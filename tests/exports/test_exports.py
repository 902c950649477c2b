"""Exports: CSV, XLSX and JSON parse back to what the database holds, for what the viewer sees."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult.comments.models import Attribution, Comment, CommentStatus, CommentType
from consult.dispositions import services as dispositions
from consult.dispositions.models import DispositionKind
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.support.clients import sign_in
from tests.support.world import VIEWERS

FORMATS = ("csv", "xlsx", "json")
ISO_HEADINGS = ["MB/NC¹", "Line number", "Clause/Subclause", "Paragraph/Figure/Table", "Type of comment²",
                "Comments", "Proposed change", "Observations of the secretariat"]  # fmt: skip


def table(response, fmt: str) -> list[list]:
    """The export's rows (header first) as lists of strings: the CSV's, or the ISO form's table
    (the row of headings under the header block, down to the first empty row)."""
    data = response.get_data()
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[:1] == ["MB/NC¹"])
    end = next((i for i in range(start, len(rows)) if not any(rows[i])), len(rows))
    return rows[start:end]


def exported_ids(response, fmt: str, session=None) -> list[int]:
    if fmt == "json":
        return [c["id"] for c in json.loads(response.get_data())["comments"]]
    if fmt == "csv":
        return [int(row[-1]) for row in table(response, fmt)[1:]]
    # The ISO form has no id column: each factory comment's text is its own.
    by_body = dict(session.execute(select(Comment.body, Comment.id)).all())
    return [by_body[row[5]] for row in table(response, fmt)[1:]]


@pytest.fixture
def world(session, people):
    """A published round and a closed one, with comments in every state from several groups."""
    published = make_round(session, Phase.PUBLISHED)
    closed = make_round(session, Phase.CLOSED)
    for round_ in (published, closed):
        make_comment(session, round_, people["participant:governments"], "k1", type=CommentType.TECHNICAL,
                     proposed_change="Say more", attribution=Attribution.GROUP)  # fmt: skip
        make_comment(session, round_, people["participant:industry"], "k2", attribution=Attribution.ORGANISATION)
        make_comment(session, round_, people["participant:civil-society"], None)
        make_comment(session, round_, people["participant:igo"], "k3", status=CommentStatus.REJECTED)
        make_comment(session, round_, people["focal_point"], "k2", status=CommentStatus.DRAFT)
        make_comment(session, round_, people["participant:academia-technical"], "k1", hidden=True)
    first = session.scalar(select(Comment).where(Comment.round_id == closed.id).order_by(Comment.id))
    dispositions.record_disposition(
        session, actor=people["organiser"], comment=first, kind=DispositionKind.NOTED, observation="Draft answer"
    )
    session.commit()
    return published, closed


def page_ids(client, round_id: int) -> tuple[int, list[int]]:
    page = client.get(f"/rounds/{round_id}?size=100")
    ids = re.findall(r'<article class="comment" id="comment-(\d+)"', page.get_data(as_text=True))
    return page.status_code, sorted(int(n) for n in ids)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_each_export_holds_exactly_what_the_viewer_sees_on_the_round_page(
    app, session, people, login_as, world, viewer
):
    for round_ in world:
        client = sign_in(app, login_as, session, people, viewer)
        status, expected = page_ids(client, round_.id)
        for fmt in FORMATS:
            response = client.get(f"/rounds/{round_.id}/comments.{fmt}")
            assert response.status_code == status, (fmt, viewer)
            if status == 200:
                assert sorted(exported_ids(response, fmt, session)) == expected, (fmt, viewer, round_.id)


def test_csv_and_xlsx_match_the_database(app, session, people, login_as, world):
    _published, closed = world
    client = sign_in(app, login_as, session, people, "organiser")
    comments = {c.id: c for c in session.scalars(select(Comment).where(Comment.round_id == closed.id))}
    by_body = {c.body: c for c in comments.values()}
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/rounds/{closed.id}/comments.{fmt}")
        rows = table(response, fmt)
        assert rows[0][:8] == ISO_HEADINGS
        if fmt == "csv":
            assert rows[0][8:] == ["Disposition", "Organisation", "Stakeholder group", "Language", "Comment id"]
        else:  # the form's eight columns, then the comment's language
            assert rows[0][8:] == ["Language"]
        assert len(rows) - 1 == sum(1 for c in comments.values() if c.status is not CommentStatus.DRAFT)
        for mb, line, clause, para, kind, body, change, observations, *extra in rows[1:]:
            comment = by_body[body]
            session.refresh(comment)
            assert change == comment.proposed_change and line == "" and para == ""
            assert kind == {"general": "ge", "technical": "te", "editorial": "ed"}[comment.type.value]
            assert clause == (comment.clause_key[1:] if comment.clause_key else "General")
            assert mb == comment.number  # staff see every organisation, so every number
            assert observations == ("Draft answer" if comment.id == min(comments) else "")
            assert extra[-2 if fmt == "csv" else -1] == comment.language == "en"
            if fmt == "csv":
                assert extra[0] == ("Noted" if comment.id == min(comments) else "")
                assert int(extra[-1]) == comment.id


def test_json_has_stable_ids_and_matches_the_database(app, session, people, login_as, world):
    published, _closed = world
    client = sign_in(app, login_as, session, people, "anonymous")
    document = json.loads(client.get(f"/rounds/{published.id}/comments.json").get_data())
    assert document["round"]["id"] == published.id
    assert document["version"]["id"] == published.version_id
    clauses = {c["key"]: c["id"] for c in document["clauses"]}
    assert set(clauses) == {"k1", "k2", "k3"}
    for item in document["comments"]:
        comment = session.get(Comment, item["id"])
        assert item["round_id"] == comment.round_id and item["body"] == comment.body
        assert item["clause_id"] == clauses.get(comment.clause_key)
        assert item["type"] == comment.type.value
        if comment.attribution is Attribution.GROUP:
            assert item["organisation"] is None and item["author"] is None  # the attribution level holds


def test_exports_never_show_a_draft_disposition_to_participants(app, session, people, login_as, world):
    _published, closed = world
    client = sign_in(app, login_as, session, people, "participant:governments")
    for fmt in FORMATS:
        assert b"Draft answer" not in client.get(f"/rounds/{closed.id}/comments.{fmt}").get_data()
    staff = sign_in(app, login_as, session, people, "moderator")
    assert b"Draft answer" in staff.get(f"/rounds/{closed.id}/comments.csv").get_data()


PAYLOADS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]


def test_formula_injection_is_neutralised(app, session, people, login_as):
    round_ = make_round(session, Phase.PUBLISHED)
    for payload in PAYLOADS:
        make_comment(session, round_, people["participant:governments"], "k1", body=payload, proposed_change=payload)
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    rows = table(client.get(f"/rounds/{round_.id}/comments.csv"), "csv")[1:]
    assert sorted(r[5] for r in rows) == sorted("'" + p for p in PAYLOADS)
    assert all(r[6].startswith("'") for r in rows)
    workbook = load_workbook(io.BytesIO(client.get(f"/rounds/{round_.id}/comments.xlsx").get_data()))
    cells = [row[5] for row in workbook.worksheets[0].iter_rows(min_row=5, max_row=4 + len(PAYLOADS))]
    assert sorted(c.value for c in cells) == sorted(PAYLOADS)  # kept verbatim ...
    assert {c.data_type for c in cells} == {"s"}  # ... as text, never as a formula


def test_exports_stream(app, session, people, login_as, world):
    published, _closed = world
    client = sign_in(app, login_as, session, people, "organiser")
    for fmt in ("csv", "json"):
        response = client.get(f"/rounds/{published.id}/comments.{fmt}", buffered=False)
        assert response.is_streamed
        response.close()


def test_exports_of_a_round_the_viewer_cannot_see_are_not_found(app, session, people, login_as):
    draft = make_round(session, Phase.DRAFT)
    session.commit()
    for viewer in ("anonymous", "participant:governments"):
        client = sign_in(app, login_as, session, people, viewer)
        for fmt in FORMATS:
            assert client.get(f"/rounds/{draft.id}/comments.{fmt}").status_code == 404
