"""Reading committees' tables: heading variants, the heading row below a header block, blank
and legend rows; the compiled import's problems, each with its row; participants' tables."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from consult.auth.models import Organisation
from consult.comments.models import Comment
from consult.dispositions.models import Disposition
from consult.exports.isotable import field_of
from consult.rounds.models import Phase
from tests.exports.tables import SourceTable, to_docx, to_xlsx
from tests.factories import group, make_round
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh


@pytest.mark.parametrize(
    ("heading", "name"),
    [
        ("MB/NC", "mb"), ("MB/NC¹", "mb"), ("MB/NC1", "mb"), ("MB", "mb"), ("MB¹", "mb"), ("NC", "mb"),
        ("Member body", "mb"), ("Line number", "line"), ("Line no.", "line"), ("Line number\n(e.g. 17)", "line"),
        ("Clause/Subclause", "clause"), ("Clause/ Subclause\n(e.g. 3.1)", "clause"),
        ("Clause No./Subclause No./Annex (e.g. 3.1)", "clause"),
        ("Clause No./\nSubclause No./\nAnnex\n(e.g. 3.1)", "clause"),
        ("Paragraph/Figure/Table/Note", "paragraph"), ("Paragraph/Figure/Table", "paragraph"),
        ("Paragraph/ Figure/ Table/\n(e.g. Table 1)", "paragraph"), ("Type of comment", "type"),
        ("Type of comment²", "type"), ("Type of comment2", "type"), ("Comments", "comment"), ("Comment", "comment"),
        ("Comment (justification for change) by the MB", "comment"), ("Proposed change", "proposed"),
        ("Proposed change by the MB", "proposed"), ("Observations of the secretariat", "observation"),
        ("Secretariat observations", "observation"),
        ("Secretariat observations\non each comment submitted", "observation"),
        ("Comment #", "number"), ("Section", "clause"), ("Proposed Resolution", "proposed"),
        ("Disposition", "observation"),
        ("Date", None), ("Status", None),
    ],
)  # fmt: skip
def test_heading_variants_of_real_committees(heading, name):
    assert field_of(heading) == name


@pytest.fixture
def setup(app, session, people):
    for name, slug, country, code in [("Korea", "governments", "KR", None), ("Acme", "industry", "GB", "ACME"),
                                      ("Britain", "governments", "GB", None), ("France", "governments", "FR", None),
                                      ("France Industrie", "industry", "FR", None)]:  # fmt: skip
        session.add(Organisation(name=name, country=country, mb_code=code, stakeholder_group=group(session, slug)))
    rounds = {phase: make_round(session, phase, clauses=4) for phase in (Phase.OPEN, Phase.CLOSED, Phase.PUBLISHED)}
    session.commit()
    return rounds


def compiled(rows: list[list[object]], legend=()) -> SourceTable:
    return SourceTable(
        name="t", title="Compiled comments", block=[("Date:", "2026-11-02")],
        headings=["MB/NC", "Line number", "Clause/Subclause", "Paragraph/Figure/Table", "Type of comment", "Comments",
                  "Proposed change", "Observations of the secretariat"],
        rows=rows, legend=list(legend),
    )  # fmt: skip


def upload(client, round_id: int, data: bytes, name: str, compiled_table: bool = True):
    url = f"/rounds/{round_id}/import-compiled" if compiled_table else f"/rounds/{round_id}/import"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client), "sheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def count(session, model) -> int:
    return fresh(session).scalar(select(func.count(model.id)))


def problems(response) -> list[str]:
    text = response.get_data(as_text=True)
    return [item.split("</li>")[0] for item in text.split("<li>Row ")[1:]]


def test_every_problem_is_listed_with_its_row_and_nothing_is_kept(app, session, people, login_as, setup):
    table = compiled(
        [
            ["KR-001", 1, "1", None, "te", "Fine.", "", "Accepted."],
            ["XX-001", 2, "1", None, "te", "Unknown code.", "", ""],
            ["FR 1", 3, "2", None, "te", "Two organisations have FR.", "", ""],
            ["KR-001", 4, "2", None, "te", "The same number again.", "", ""],
            ["ACME", 5, "99", None, "te", "No such clause.", "", ""],
            ["ACME", 6, "3", None, "opinion", "Unknown type.", "", ""],
            [None, 7, "3", None, "ed", "No MB/NC.", "", ""],
            ["GB-7", 8, "4", None, "ed", None, "No comment", ""],
            ["ACME", 9, "4", None, "ed", "Duplicate with no other.", "", "Duplicate of ZZ-9"],
        ],
        legend=["¹ MB = Member body"],
    )
    client = sign_in(app, login_as, session, people, "organiser")
    response = upload(client, setup[Phase.CLOSED].id, to_xlsx(table), "t.xlsx")
    assert response.status_code == 400
    found = problems(response)
    assert [p.split(":")[0] for p in found] == ["6", "7", "8", "9", "10", "11", "12"]
    assert "no organisation has the MB/NC code “XX-001”" in found[0]
    assert "more than one organisation has the country code “FR”" in found[1]
    assert "the number KR-001 is also on row 5" in found[2]
    assert "there is no clause “99”" in found[3]
    assert "the type of comment must be ge, te or ed" in found[4]
    assert "the MB/NC cell is empty" in found[5]
    assert "the comment is empty" in found[6]
    assert count(session, Comment) == 0 and count(session, Disposition) == 0
    # Once every row is right but a duplicate names nothing, that is refused too.
    duplicate = compiled([["ACME", 1, "4", None, "ed", "Text.", "", "Duplicate of ZZ-9"]])
    response = upload(client, setup[Phase.CLOSED].id, to_xlsx(duplicate), "t.xlsx")
    assert response.status_code == 400 and "names no other comment" in problems(response)[0]
    assert count(session, Comment) == 0


def test_where_a_compiled_table_may_go(app, session, people, login_as, setup):
    table = compiled([["KR", 1, "1", None, "te", "A comment.", "", "Accepted."]])
    client = sign_in(app, login_as, session, people, "organiser")
    response = upload(client, setup[Phase.OPEN].id, to_xlsx(table), "t.xlsx")
    assert (
        response.status_code == 400 and "observations are recorded once the round has closed" in problems(response)[0]
    )
    response = upload(client, setup[Phase.PUBLISHED].id, to_xlsx(table), "t.xlsx")
    assert response.status_code == 400 and "into an open or a closed round" in response.get_data(as_text=True)
    without = compiled([["KR", 1, "1", None, "te", "A comment.", "", ""]])
    assert upload(client, setup[Phase.OPEN].id, to_xlsx(without), "t.xlsx").status_code == 302
    stored = fresh(session).scalar(select(Comment))
    korea = session.scalar(select(Organisation.id).where(Organisation.name == "Korea"))
    assert (stored.number, stored.organisation_id) == ("KR-001", korea)
    for junk in (b"not a table", to_xlsx(SourceTable("x", "t", [], ["Date", "Status"], [["a", "b"]]))):
        response = upload(client, setup[Phase.CLOSED].id, junk, "t.xlsx")
        assert response.status_code == 400
    participant = sign_in(app, login_as, session, people, "participant:governments")
    assert upload(participant, setup[Phase.CLOSED].id, to_xlsx(table), "t.xlsx").status_code == 403


def test_participants_import_their_organisations_word_table(app, session, people, login_as, setup):
    people.organisations["governments"].mb_code = "GOV"
    session.commit()
    table = compiled(
        [
            ["GOV", "12", "2 and 3", "Table 1", "te", "Line one\nline two  ", "Proposal", None],
            ["GOV 7", None, "General", None, "ge", "On the whole.", "", None],
        ],
        legend=["¹ MB = Member body"],
    )
    client = sign_in(app, login_as, session, people, "participant:governments")
    response = upload(client, setup[Phase.OPEN].id, to_docx(table), "ours.docx", compiled_table=False)
    assert response.status_code == 302, response.get_data(as_text=True)
    comments = fresh(session).scalars(select(Comment).order_by(Comment.id)).all()
    assert [(c.number, c.source_number, c.body, c.line_number, c.paragraph, c.clause_ref) for c in comments] == [
        ("GOV-001", "", "Line one\nline two  ", "12", "Table 1", "2 and 3"),
        ("GOV-002", "GOV 7", "On the whole.", "", "", "General"),
    ]
    others = compiled([["ACME", None, "1", None, "te", "Not ours.", "", None],
                       ["GOV", None, "1", None, "te", "Ours.", "", "Accepted."]])  # fmt: skip
    response = upload(client, setup[Phase.OPEN].id, to_xlsx(others), "t.xlsx", compiled_table=False)
    assert response.status_code == 400
    found = problems(response)
    assert "you cannot speak for “ACME”" in found[0] and "observations of the secretariat" in found[1]


def test_the_same_compiled_table_goes_into_two_rounds(app, session, people, login_as, setup):
    """Its rows carried a nonce made of the file and the row only: the second round's insert
    broke the (author, nonce) index and the page failed (issue 11.12's sweep)."""
    table = to_xlsx(compiled([["KR", 1, "1", None, "te", "A comment.", "", ""]]))
    client = sign_in(app, login_as, session, people, "organiser")
    assert upload(client, setup[Phase.OPEN].id, table, "t.xlsx").status_code == 302
    assert upload(client, setup[Phase.CLOSED].id, table, "t.xlsx").status_code == 302
    rounds = fresh(session).scalars(select(Comment.round_id).order_by(Comment.round_id)).all()
    assert rounds == [setup[Phase.OPEN].id, setup[Phase.CLOSED].id]
