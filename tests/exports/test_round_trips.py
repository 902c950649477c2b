"""Real-shaped comment tables through the whole workflow, cell by cell.

For an ISO template spreadsheet, a JTC 1 Word table, an OASIS-style comment log and a
W3C-style disposition of comments (tests/exports/tables.py): the secretariat imports the table
through the page, records a disposition in the disposition table, exports the ISO form as XLSX
and as Word, and each exported cell equals the source's (exactly: line breaks, trailing spaces,
the observation's own words). The export is imported again into another round and exported
again: the same cells.
"""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from consult.auth.models import Organisation
from consult.comments.models import Comment, CommentClause
from consult.dispositions.models import Disposition, DispositionKind
from consult.drafts import services as drafts
from consult.drafts.models import Clause
from consult.rounds.models import Phase
from tests.exports.tables import DRAFT_MARKDOWN, ORGANISATIONS, TABLES, SourceTable
from tests.factories import group, make_consultation, make_round
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh

ISO_COLUMNS = ("mb", "line", "clause", "paragraph", "type", "comment", "proposed", "observation")
TYPE_CODES = {"technical": "te", "editorial": "ed", "substantive": "te", "general": "ge"}
# The disposition recorded in the table for a row the source left unanswered, and its cell.
RECORDED = ("accepted_in_principle", "Units will be added.\nSee the DIS.  ")
RECORDED_CELL = "Accepted in principle. Units will be added.\nSee the DIS.  "


@pytest.fixture
def world(session, people):
    """The draft (imported from Markdown), the organisations with their codes, and three
    closed rounds on the same text: one to import into, two to import the exports into."""
    for name, slug, country, code in ORGANISATIONS:
        session.add(Organisation(name=name, country=country, mb_code=code, stakeholder_group=group(session, slug)))
    consultation = make_consultation(session)
    draft = drafts.create_draft(
        session, actor=people["organiser"], consultation=consultation, title="CVD", reference="ISO/IEC CD 29147.2"
    )
    session.flush()
    version = drafts.import_version(session, actor=people["organiser"], draft=draft, data=DRAFT_MARKDOWN.encode())
    rounds = [make_round(session, Phase.CLOSED, consultation=consultation, version=version) for _ in range(3)]
    session.commit()
    return [r.id for r in rounds]


def expected_cells(table: SourceTable, row: list[object]) -> list[str]:
    """The ISO form's cells for a source row: the same texts, in the ISO columns."""
    cells = {name: table.column(row, name) for name in ISO_COLUMNS}
    if "number" in table.fields:  # a number column of its own: filed after the MB/NC code
        organisation = next(o for o in ORGANISATIONS if cells["mb"] in (o[0], o[3]))
        cells["mb"] = f"{organisation[3] or organisation[2]} {table.column(row, 'number')}"
    cells["type"] = TYPE_CODES.get(cells["type"].casefold(), cells["type"])
    return [cells[name] for name in ISO_COLUMNS]


def upload(client, url: str, data: bytes, filename: str):
    return client.post(
        url,
        data={"csrf_token": csrf_token(client), "sheet": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def xlsx_cells(data: bytes) -> tuple[list[list[str]], object]:
    """The exported form's rows under its heading row (down to the blank row), and the sheet:
    the form's eight cells (the ninth column, the comment's language, is checked on its own)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[0] == "MB/NC¹") + 1
    end = next((i for i in range(start, len(rows)) if not any(rows[i])), len(rows))
    assert rows[start - 1][8] == "Language" and all(row[8] == "en" for row in rows[start:end])
    return [row[:8] for row in rows[start:end]], sheet


def docx_cells(data: bytes) -> list[list[str]]:
    table = Document(io.BytesIO(data)).tables[0]
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def by_mb(rows: list[list[str]]) -> dict[str, list[str]]:
    found = {row[0]: row for row in rows}
    assert len(found) == len(rows), "every exported row has its own number"
    return found


@pytest.mark.parametrize("name", list(TABLES))
def test_a_committee_table_goes_round_unchanged(app, session, people, login_as, world, name):
    table, write = TABLES[name]
    source = write(table)
    filename = "comments.xlsx" if write.__name__ == "to_xlsx" else "comments.docx"
    first, second, third = world
    client = sign_in(app, login_as, session, people, "organiser")

    # 1. The compiled table, imported through the page, observations and all.
    response = upload(client, f"/rounds/{first}/import-compiled", source, filename)
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(session)
    comments = session.scalars(select(Comment).where(Comment.round_id == first)).all()
    assert len(comments) == len(table.rows)
    answered = [r for r in table.rows if table.column(r, "observation").strip()]
    dispositions = session.scalars(select(Disposition).where(Disposition.round_id == first)).all()
    assert len(dispositions) == len(answered) and all(d.released_at is None for d in dispositions)

    # 2. A disposition recorded in the disposition table, for a row the table left unanswered.
    expected = {expected_cells(table, r)[0]: expected_cells(table, r) for r in table.rows}
    open_row = next(r for r in table.rows if not table.column(r, "observation").strip())
    open_mb = expected_cells(table, open_row)[0]
    target = session.scalar(select(Comment).where(Comment.round_id == first, Comment.number == open_mb))
    page = client.get(f"/rounds/{first}/dispositions/table?order=mb")
    assert page.status_code == 200 and f'id="row-{target.id}"' in page.get_data(as_text=True)
    saved = client.post(
        f"/rounds/{first}/dispositions/table/{target.id}",
        data={f"r{target.id}-kind": RECORDED[0], f"r{target.id}-observation": RECORDED[1],
              "csrf_token": csrf_token(client)},
        headers={"X-Requested-With": "fetch"},
    )  # fmt: skip
    assert saved.status_code == 200 and saved.get_json()["ok"], saved.get_data(as_text=True)
    expected[open_mb][7] = RECORDED_CELL

    # 3. The ISO form, as XLSX and as Word: every cell as the source wrote it.
    exported = client.get(f"/rounds/{first}/comments.xlsx?order=mb").get_data()
    rows, _sheet = xlsx_cells(exported)
    assert by_mb(rows) == expected
    word = client.get(f"/rounds/{first}/comments.docx?order=mb").get_data()
    # (Word has no carriage return: a cell's CR LF is a line break there, as Word writes it.)
    in_word = {mb: [cell.replace("\r\n", "\n") for cell in cells] for mb, cells in expected.items()}
    assert by_mb(docx_cells(word)) == in_word

    # 4. The exports imported again (into other rounds on the same text) export the same cells.
    for round_id, data, kind, cells in ((second, exported, "xlsx", expected), (third, word, "docx", in_word)):
        response = upload(client, f"/rounds/{round_id}/import-compiled", data, f"again.{kind}")
        assert response.status_code == 302, response.get_data(as_text=True)
        again, _sheet = xlsx_cells(client.get(f"/rounds/{round_id}/comments.xlsx?order=mb").get_data())
        assert by_mb(again) == cells, kind
    fresh(session)
    kinds = {
        c.number: d.kind
        for c, d in session.execute(
            select(Comment, Disposition).join(Disposition, Disposition.comment_id == Comment.id)
            .where(Comment.round_id == second)
        )
    }  # fmt: skip
    assert kinds[open_mb] is DispositionKind.ACCEPTED_IN_PRINCIPLE  # read back from the exported words


def test_the_iso_table_keeps_numbers_references_and_decisions(app, session, people, login_as, world):
    """What the ISO table says lands in the right fields: numbers as written, clause references
    (several clauses, annexes, front matter, sub-items, tables), decisions read from the words."""
    table, write = TABLES["iso"]
    first = world[0]
    client = sign_in(app, login_as, session, people, "organiser")
    assert upload(client, f"/rounds/{first}/import-compiled", write(table), "iso.xlsx").status_code == 302
    fresh(session)
    comments = {c.number: c for c in session.scalars(select(Comment).where(Comment.round_id == first))}
    number_of = dict(session.execute(select(Clause.key, Clause.number)).all())
    assert set(comments) == {"KR-001", "KR-002", "US 021", "US 022", "KR-003", "DE-001", "DE-002", "JP 01",
                             "GB-001", "GB-002"}  # fmt: skip
    assert comments["US 021"].source_number == "US 021" and comments["US 021"].member_code == "US"
    assert comments["US 021"].number_seq == 21
    placed = {n: (number_of.get(c.clause_key), c.clause_ref) for n, c in comments.items()}
    assert placed == {
        "KR-001": (None, "General"),
        "KR-002": ("Foreword", None),
        "US 021": ("Introduction", None),
        "US 022": ("6.2", "6.2 and 7"),
        "KR-003": ("6.2", None),
        "DE-001": ("6.1.1A", None),
        "DE-002": ("13", "13(a)"),
        "JP 01": ("Annex C", None),
        "GB-001": (None, "Table 2"),
        "GB-002": ("1", None),
    }
    further = session.scalars(
        select(CommentClause.clause_key).where(CommentClause.comment_id == comments["US 022"].id)
    ).all()
    assert [number_of[k] for k in further] == ["7"]
    assert comments["KR-002"].body.endswith("directives text.  ")  # trailing spaces kept
    assert comments["DE-001"].proposed_change == "    gpg --armor --encrypt report.txt"
    assert comments["KR-001"].line_number == "3" and comments["KR-002"].line_number == "41-44"
    decisions = {
        c.number: (d.kind, d.duplicate_of_id, d.observation)
        for c, d in session.execute(
            select(Comment, Disposition).join(Disposition, Disposition.comment_id == Comment.id)
            .where(Comment.round_id == first)
        )
    }  # fmt: skip
    assert decisions["KR-001"][0] is DispositionKind.ACCEPTED
    assert decisions["KR-002"][0] is DispositionKind.ACCEPTED_WITH_MODIFICATIONS
    assert decisions["US 021"][:1] == (DispositionKind.NOT_ACCEPTED,)
    assert decisions["US 021"][2] == "Not accepted. Clause 7 already covers private advisories.\nSee 7."
    assert decisions["US 022"][:2] == (DispositionKind.DUPLICATE, comments["KR-003"].id)
    assert decisions["KR-003"][0] is DispositionKind.ACCEPTED_IN_PRINCIPLE
    assert decisions["DE-001"][0] is DispositionKind.COMPLETED
    assert decisions["DE-002"][0] is DispositionKind.DEFERRED
    assert decisions["JP 01"][0] is DispositionKind.NOTED  # no decision words: noted, words kept
    assert "GB-001" not in decisions
    assert decisions["GB-002"][0] is DispositionKind.NOTED


def test_a_table_exported_in_french_reads_back_the_same_decisions_in_english(app, session, people, login_as, world):
    """The secretariat exports on a French page (the cells name the decisions in French, "Accepté
    sur le principe. …"); a colleague imports that file on an English page: every decision is
    read back as recorded, none falls back to "noted"."""
    table, write = TABLES["iso"]
    first, second, _third = world
    client = sign_in(app, login_as, session, people, "organiser")
    assert upload(client, f"/rounds/{first}/import-compiled", write(table), "iso.xlsx").status_code == 302
    fresh(session)
    target = session.scalar(select(Comment).where(Comment.round_id == first, Comment.number == "KR-001"))
    client.post("/language", data={"language": "fr", "csrf_token": csrf_token(client)})
    saved = client.post(
        f"/rounds/{first}/dispositions/table/{target.id}",
        data={f"r{target.id}-kind": "accepted_in_principle", f"r{target.id}-observation": "Reformulé.",
              "csrf_token": csrf_token(client)},
        headers={"X-Requested-With": "fetch"},
    )  # fmt: skip
    assert saved.status_code == 200 and saved.get_json()["ok"], saved.get_data(as_text=True)
    exported = client.get(f"/rounds/{first}/comments.xlsx?order=mb").get_data()
    sheet = load_workbook(io.BytesIO(exported)).worksheets[0]
    assert "Accepté sur le principe. Reformulé." in {str(v) for row in sheet.iter_rows(values_only=True) for v in row}

    client.post("/language", data={"language": "en", "csrf_token": csrf_token(client)})
    response = upload(client, f"/rounds/{second}/import-compiled", exported, "french.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(session)

    def decisions(round_id: int) -> dict[str, DispositionKind]:
        return {
            c.number: d.kind
            for c, d in session.execute(
                select(Comment, Disposition).join(Disposition, Disposition.comment_id == Comment.id)
                .where(Comment.round_id == round_id)
            )
        }  # fmt: skip

    assert decisions(second) == decisions(first)
    assert decisions(second)[target.number] is DispositionKind.ACCEPTED_IN_PRINCIPLE
