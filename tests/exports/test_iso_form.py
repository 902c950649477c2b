"""The ISO comment form as XLSX and Word: the template's layout, not just its columns."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from consult.comments.models import CommentType
from consult.consultations.models import Consultation
from consult.exports.isoform import sheet_title
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.support.clients import sign_in

HEADINGS = ["MB/NC¹", "Line number", "Clause/Subclause", "Paragraph/Figure/Table", "Type of comment²", "Comments",
            "Proposed change", "Observations of the secretariat"]  # fmt: skip


@pytest.fixture
def round_with_comments(app, session, people):
    round_ = make_round(session, Phase.CLOSED, clauses=3)
    round_.version.draft.reference = "ISO/IEC DIS 27099:2026 — Public key infrastructure [draft]"
    people.organisations["governments"].mb_code = "KR"
    people.organisations["industry"].mb_code = "ACME"
    make_comment(session, round_, people["participant:industry"], "k3", body="On three", type=CommentType.EDITORIAL)
    make_comment(session, round_, people["participant:governments"], "k2", body="On two")
    make_comment(session, round_, people["participant:industry"], "k1", body="On one")
    make_comment(session, round_, people["participant:governments"], None, body="General")
    session.commit()
    return round_


def test_the_xlsx_is_the_iso_form(app, session, people, login_as, round_with_comments):
    round_ = round_with_comments
    client = sign_in(app, login_as, session, people, "organiser")
    response = client.get(f"/rounds/{round_.id}/comments.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    assert sheet.title == "ISO-IEC DIS 27099-2026 — Public"  # the document reference, within Excel's rules
    assert sheet["A1"].value == "Template for comments and secretariat observations" and sheet["A1"].font.bold
    block = [c.value for c in sheet[2]]
    document = "ISO/IEC DIS 27099:2026 — Public key infrastructure [draft] (version 1)"
    assert block[0] == "Date:" and len(block[1]) == 10 and block[2:4] == ["Document:", document]
    assert block[5:7] == ["Project:", session.get(Consultation, round_.consultation_id).title]
    assert [c.value for c in sheet[4]] == [*HEADINGS, "Language"]  # the comment's language after the form
    assert [sheet.cell(row=n, column=9).value for n in range(5, 9)] == ["en"] * 4
    assert all(c.font.bold and c.alignment.wrap_text for c in sheet[4])
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEFGH"]
    assert widths == [12, 9, 14, 16, 9, 50, 45, 45]
    assert sheet.freeze_panes == "A5"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=8)]
    # Clause order (general comments first, as the round page has them), type codes, numbers.
    assert [(r[0], r[2], r[4], r[5]) for r in rows] == [
        ("KR-002", "General", "ge", "General"),
        ("ACME-002", "1", "ge", "On one"),
        ("KR-001", "2", "ge", "On two"),
        ("ACME-001", "3", "ed", "On three"),
    ]
    assert all(sheet.cell(row=5, column=n).alignment.wrap_text for n in range(1, 9))
    body = [sheet.cell(row=5, column=n) for n in range(1, 10)]  # every comment cell framed, not bold
    assert all(c.border.left.style == "thin" and c.border.bottom.style == "thin" and not c.font.bold for c in body)
    assert all(sheet.cell(row=n, column=1).value is None for n in range(9, 20))  # nothing under the rows
    assert sheet.cell(row=3, column=1).value == "Notes ¹ ² on the sheet “Guidance”."
    guidance = load_workbook(io.BytesIO(response.get_data())).worksheets[1]
    assert guidance.title == "Guidance"
    legend = [guidance.cell(row=n, column=1).value for n in range(1, 3)]
    assert legend[0].startswith("¹ MB/NC")
    assert legend[1] == "² Type of comment: ge = general, te = technical, ed = editorial."
    ordered = client.get(f"/rounds/{round_.id}/comments.xlsx?order=mb").get_data()
    by_mb = load_workbook(io.BytesIO(ordered)).worksheets[0]
    assert [by_mb.cell(row=n, column=1).value for n in range(5, 9)] == ["ACME-001", "ACME-002", "KR-001", "KR-002"]


def test_the_word_file_is_the_iso_form(app, session, people, login_as, round_with_comments):
    round_ = round_with_comments
    client = sign_in(app, login_as, session, people, "organiser")
    response = client.get(f"/rounds/{round_.id}/comments.docx?order=mb")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.get_data()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Template for comments and secretariat observations" in text
    assert "Document: ISO/IEC DIS 27099:2026" in text and "Date:" in text and "Project:" in text
    assert "² Type of comment: ge = general, te = technical, ed = editorial." in text
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == HEADINGS
    assert all(run.bold for c in table.rows[0].cells for p in c.paragraphs for run in p.runs)
    assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")  # the heading row repeats on each page
    assert [row.cells[0].text for row in table.rows[1:]] == ["ACME-001", "ACME-002", "KR-001", "KR-002"]


@pytest.mark.parametrize(
    ("reference", "title"),
    [
        ("ISO/IEC DIS 27099", "ISO-IEC DIS 27099"),
        ("A [draft]: what? *yes*", "A draft- what yes"),
        ("'quoted'", "quoted"),
        ("History", "Comments"),
        ("", "Comments"),
        ("x" * 40, "x" * 31),
        ("😀" * 20, "😀" * 15),  # 31 UTF-16 units at most, as Excel counts
    ],
)
def test_sheet_titles_keep_to_excels_rules(reference, title):
    assert sheet_title(reference) == title


def test_text_pasted_from_word_with_control_characters_exports(app, session, people, login_as):
    """Word's manual line break arrives as a vertical tab (\\x0b) and a bell (\\x07) may ride
    along: XML cannot hold either. The XLSX, the Word table and the CSV still open, the break
    is a line break and nothing else of the text is lost."""
    round_ = make_round(session, Phase.CLOSED, clauses=1)
    make_comment(session, round_, people["participant:industry"], "k1", body="First line\x0bsecond line\x07 end")
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    xlsx = client.get(f"/rounds/{round_.id}/comments.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).worksheets[0]
    assert sheet.cell(row=5, column=6).value == "First line\nsecond line end"
    word = client.get(f"/rounds/{round_.id}/comments.docx")
    assert word.status_code == 200
    cell = Document(io.BytesIO(word.get_data())).tables[0].rows[1].cells[5]
    assert [p.text for p in cell.paragraphs] == ["First line", "second line end"]
    assert client.get(f"/rounds/{round_.id}/comments.csv").status_code == 200
