"""The import template as a delegation gets it (issue 11.13): downloaded, one row filled in,
nothing else touched, it imports on the first try; its guidance is outside the data rows."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from consult.comments.models import Comment, CommentType
from consult.rounds.models import Phase
from tests.exports.test_import import upload
from tests.factories import make_round
from tests.support.clients import sign_in
from tests.support.state import fresh


def filled_template(client, round_id: int, *rows: list) -> bytes:
    """The downloaded template with `rows` typed into the rows under the headings, cell by cell
    (a None leaves the cell as the template has it)."""
    template = client.get(f"/rounds/{round_id}/import-template.xlsx")
    assert template.status_code == 200
    workbook = load_workbook(io.BytesIO(template.get_data()))
    sheet = workbook.worksheets[0]
    heading_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value and "MB/NC" in str(sheet.cell(r, 1).value))
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(heading_row + offset, column, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_unmodified_template_with_one_row_filled_imports(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    data = filled_template(client, round_.id, [None, None, "1", None, "te", "Our first comment", "Say it better"])
    response = upload(client, round_.id, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(session)
    (stored,) = session.scalars(select(Comment)).all()
    assert (stored.clause_key, stored.type, stored.body, stored.proposed_change) == (
        "k1", CommentType.TECHNICAL, "Our first comment", "Say it better",
    )  # fmt: skip


def test_three_rows_typed_under_the_headings_import(app, session, people, login_as):
    """Typing down the table, as people do: no guidance lies in the rows they fill."""
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    rows = [[None, str(n), "2", None, "ed", f"Comment {n}", None] for n in range(1, 4)]
    response = upload(client, round_.id, filled_template(client, round_.id, *rows))
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(session)
    assert [c.body for c in session.scalars(select(Comment).order_by(Comment.id))] == [
        "Comment 1", "Comment 2", "Comment 3",
    ]  # fmt: skip


def test_the_templates_guidance_is_outside_the_data_rows(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    workbook = load_workbook(io.BytesIO(client.get(f"/rounds/{round_.id}/import-template.xlsx").get_data()))
    comments = workbook.worksheets[0]
    rows = list(comments.iter_rows(values_only=True))
    heading = next(i for i, row in enumerate(rows) if row[0] and "MB/NC" in str(row[0]))
    assert all(not any(row) for row in rows[heading + 1 :])  # nothing under the headings to trip an import
    cells = (v for ws in workbook.worksheets[1:] for row in ws.iter_rows(values_only=True) for v in row)
    guidance = " ".join(str(v) for v in cells if v)
    assert "MB/NC" in guidance and "ge = general" in guidance
