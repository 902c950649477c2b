"""Import from an ISO-style XLSX sheet: every row checked, all or nothing."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from consult.comments.models import Comment, CommentType
from consult.rounds.models import Phase
from tests.factories import make_round
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh

HEADER = ["Organisation", "Number", "Clause", "Paragraph", "Type", "Comment", "Proposed change",
          "Observations (disposition)"]  # fmt: skip


def sheet(rows: list[list]) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, round_id: int, data: bytes):
    return client.post(
        f"/rounds/{round_id}/import",
        data={"csrf_token": csrf_token(client), "sheet": (io.BytesIO(data), "comments.xlsx")},
        content_type="multipart/form-data",
    )


def count(session) -> int:
    fresh(session)
    return session.scalar(select(func.count(Comment.id)))


def test_a_good_sheet_is_imported_as_submitted_comments(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    data = sheet([
        [org, None, "1", None, "te", "First", "Change it"],
        [org, None, "general", "4", "Editorial", "Second", None],
        [org.upper(), None, 3, None, "general", "Third", ""],
    ])  # fmt: skip
    client = sign_in(app, login_as, session, people, "participant:governments")
    response = upload(client, round_.id, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(session)
    stored = session.scalars(select(Comment).order_by(Comment.id)).all()
    assert [(c.clause_key, c.type, c.body, c.paragraph) for c in stored] == [
        ("k1", CommentType.TECHNICAL, "First", ""),
        (None, CommentType.EDITORIAL, "Second", "4"),
        ("k3", CommentType.GENERAL, "Third", ""),
    ]
    assert {c.author_id for c in stored} == {people["participant:governments"].id}
    # The same sheet again stores nothing twice.
    assert upload(client, round_.id, data).status_code == 302
    assert count(session) == 3


def test_a_sheet_full_of_bad_rows_imports_nothing_and_lists_every_row(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    data = sheet([
        [org, None, "1", None, "technical", "A good row", None],
        ["industry org", None, "1", None, "technical", "Someone else's name", None],
        [org, None, "99", None, "technical", "No such clause", None],
        [org, None, "2", None, "opinion", "Unknown type", None],
        [org, None, "2", None, "general", None, "no comment"],
        [None, None, "9", None, "x", None, None],
    ])  # fmt: skip
    client = sign_in(app, login_as, session, people, "participant:governments")
    response = upload(client, round_.id, data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert count(session) == 0
    assert "Nothing was imported: 5 problems." in text
    for row, reason in [
        (3, "you cannot speak for “industry org”"),
        (4, "there is no clause “99”"),
        (5, "the type of comment must be ge, te or ed"),
        (6, "the comment is empty"),
        (7, "there is no clause “9”"),
    ]:
        assert f"Row {row}: " in text and reason in text.split(f"Row {row}: ")[1].split("</li>")[0]
    assert "Row 2:" not in text


def test_nothing_is_imported_into_a_closed_round_or_from_a_file_that_is_not_a_sheet(app, session, people, login_as):
    closed = make_round(session, Phase.CLOSED)
    open_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name
    client = sign_in(app, login_as, session, people, "participant:governments")
    response = upload(client, closed.id, sheet([[org, None, "1", None, "te", "Late", None]]))
    assert response.status_code == 400 and "not open for comments" in response.get_data(as_text=True)
    response = upload(client, open_.id, b"not a workbook")
    assert response.status_code == 400 and "neither an XLSX workbook nor a Word document" in response.get_data(
        as_text=True
    )
    assert count(session) == 0


def test_staff_cannot_import_and_the_template_downloads(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    organiser = sign_in(app, login_as, session, people, "organiser")
    assert upload(organiser, round_.id, sheet([])).status_code == 403
    client = sign_in(app, login_as, session, people, "participant:industry")
    template = client.get(f"/rounds/{round_.id}/import-template.xlsx")
    assert template.status_code == 200
    rows = list(load_workbook(io.BytesIO(template.get_data())).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Template for comments and secretariat observations"
    assert list(rows[3]) == ["MB/NC¹", "Line number", "Clause/Subclause", "Paragraph/Figure/Table", "Type of comment²",
                             "Comments", "Proposed change", "Observations of the secretariat", "Language"]  # fmt: skip
