"""Real-shaped comment tables, written here (no committee's document is copied): an ISO/IEC
template as a spreadsheet (the current template's headings), the older JTC 1 template as a
Word table, an OASIS-style public-review comment log and a W3C-style disposition of comments.

Each is a list of headings and rows of cells exactly as written (line breaks, trailing spaces,
typographic quotes and formula-looking text included), with writers that lay them out as
committees do: a title and header block above the heading row, the footnote legend below,
merged cells in Word.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

# The draft the tables comment on, imported through the Markdown importer: front matter,
# numbered, lettered and suffixed clauses, annexes, a bibliography.
DRAFT_MARKDOWN = """# Information technology — Security techniques — Coordinated vulnerability disclosure

Committee draft for comment.

## Foreword

ISO and IEC form the specialized system for worldwide standardization.

## Introduction

This document describes how vendors receive and handle reports of vulnerabilities.

## 1 Scope

This document gives requirements for the disclosure of vulnerabilities.

## 2 Normative references

There are no normative references in this document.

## 3 Terms and definitions

### 3.1 vulnerability

weakness of an asset that can be exploited.

### 3.2 remediation

change that removes or mitigates a vulnerability.

## 4 Abbreviated terms

CVD coordinated vulnerability disclosure

## 5 Concepts

Disclosure is coordinated between finders, vendors and coordinators.

## 6 Policies

### 6.1 Receiving reports

Vendors publish how to report.

#### 6.1.1 Report channels

A vendor offers at least one channel.

#### 6.1.1A Encrypted channels

    gpg --encrypt --recipient security@vendor.example report.txt

A vendor publishes a key for encrypted reports.

### 6.2 Handling reports

Reports are acknowledged within five working days.

## 7 Publication

Advisories are published once a remediation is available.

## 8 Coordination

Coordinators help when vendors do not respond.

## 9 Metrics

Vendors measure their handling times.

## 10 Training

Staff who handle reports are trained.

## 11 Legal aspects

Safe harbour statements protect finders.

## 12 Supply chains

Vulnerabilities in components are disclosed to downstream vendors.

## 13 Embargoes

Embargoes are agreed case by case.

## Annex A (informative) Example policy

An example of a disclosure policy.

### A.1 Policy text

Text of the example policy.

## Annex B (informative) Advisory format

The fields of an advisory.

## Annex C (normative) Timelines

Table 2 gives the default timelines.

## Bibliography

[1] ISO/IEC 30111, Vulnerability handling processes
"""

# The organisations that comment, with their MB/NC codes.
ORGANISATIONS = [
    # (name, stakeholder group slug, country, MB/NC code)
    ("Korean Agency for Technology and Standards", "governments", "KR", None),
    ("American National Standards Institute", "governments", "US", None),
    ("Deutsches Institut für Normung", "governments", "DE", None),
    ("Japanese Industrial Standards Committee", "governments", "JP", None),
    ("British Standards Institution", "governments", "GB", None),
    ("Association française de normalisation", "governments", "FR", None),
    ("Acme Security Ltd", "industry", "GB", "ACME"),
    ("Open Disclosure Network", "civil-society", "", "ODN"),
    ("W3C Internationalization Working Group", "academia-technical", "", "W3C-I18N"),
    ("W3C Accessible Platform Architectures", "academia-technical", "", "W3C-APA"),
]


@dataclass
class SourceTable:
    """A comment table as a committee wrote it."""

    name: str
    title: str
    block: list[tuple[str, str]]  # the header block: (label, value)
    headings: list[str]
    rows: list[list[object]]
    legend: list[str] = field(default_factory=list)
    # Which heading holds which ISO field (the importer finds these by itself; the test
    # uses them to compare): "mb", "number", "line", "clause", "paragraph", "type",
    # "comment", "proposed", "observation".
    fields: dict[str, str] = field(default_factory=dict)

    def column(self, row: list[object], name: str) -> str:
        heading = self.fields.get(name)
        if heading is None:
            return ""
        value = row[self.headings.index(heading)]
        return "" if value is None else str(value)


ISO_XLSX = SourceTable(
    name="iso",
    title="Template for comments and secretariat observations",
    block=[("Date:", "2026-11-02"), ("Document:", "ISO/IEC CD 29147.2"), ("Project:", "ISO/IEC 29147")],
    headings=[
        "MB/NC1",
        "Line number\n(e.g. 17)",
        "Clause/ Subclause\n(e.g. 3.1)",
        "Paragraph/ Figure/ Table/\n(e.g. Table 1)",
        "Type of comment2",
        "Comments",
        "Proposed change",
        "Observations of the secretariat",
    ],
    rows=[
        ["KR-001", 3, "General", None, "ge",
         "The document mixes “shall” and “should” for the same requirement.\nAlign the verbal forms.",
         "Use “shall” in clauses 6 and 7.", "Accepted."],
        ["KR-002", "41-44", "Foreword", "2nd paragraph", "ed",
         "Update the Foreword to the current directives text.  ",
         "", "Accepted with modifications: the Foreword is replaced by the template text."],
        ["US 021", 57, "Introduction", None, "te",
         "The introduction suggests disclosure is always public.\n\nIt is not: private advisories exist.",
         "Add: “Advisories may be private.”", "Not accepted. Clause 7 already covers private advisories.\nSee 7."],
        ["US 022", "102", "6.2 and 7", None, "te",
         "Five working days is too short for small vendors.",
         "Replace “five” with “ten”.", "Duplicate of KR-003"],
        ["KR-003", 104, "6.2", "first sentence", "te",
         "Five working days cannot be met by vendors without a security team.",
         "Make the period configurable.", "Accepted in principle. The period becomes a recommendation."],
        ["DE-001", 88, "6.1.1A", "Example", "ed",
         "=SUM(A1) is not a command; the example should use gpg --armor.",
         "    gpg --armor --encrypt report.txt", "Completed."],
        ["DE-002", None, "13(a)", None, "te",
         "Embargo end dates should be agreed in writing. ",
         "Add a sentence.", "Deferred to the next edition."],
        ["JP 01", 230, "Annex C", "Table 2", "te",
         "Table 2 gives 90 days; several vendors use 120.",
         "Allow 120 days for hardware.", "The editor will consider this for the DIS."],
        ["GB-001", None, "Table 2", None, "ed",
         "Table 2 has no units in its heading.", "Add “days”.", ""],
        ["GB-002", 12, "1", None, "ge",
         "Scope: say whether services are covered.", "", "Noted"],
    ],
    legend=[
        "1 MB = Member body / NC = National Committee (enter the ISO 3166 two-letter country code, "
        "e.g. CN for China; comments from the ISO/CS editing unit are identified by **)",
        "2 Type of comment: ge = general te = technical ed = editorial",
        "NB Columns 1, 2, 4, 5 are compulsory.",
    ],
)  # fmt: skip
ISO_XLSX.fields = dict(zip(
    ("mb", "line", "clause", "paragraph", "type", "comment", "proposed", "observation"), ISO_XLSX.headings, strict=True
))  # fmt: skip

# The older JTC 1 template, as a Word table: no line numbers, other headings.
JTC1_DOCX = SourceTable(
    name="jtc1",
    title="Template for comments and secretariat observations",
    block=[("Date:", "2026-10-15"), ("Document:", "ISO/IEC JTC 1/SC 27 N 23456"), ("Project:", "29147")],
    headings=[
        "MB¹",
        "Clause No./\nSubclause No./\nAnnex\n(e.g. 3.1)",
        "Paragraph/\nFigure/\nTable/\nNote\n(e.g. Table 1)",
        "Type of comment²",
        "Comment (justification for change) by the MB",
        "Proposed change by the MB",
        "Secretariat observations\non each comment submitted",
    ],
    rows=[
        ["FR 1", "3.1", "Definition", "te",
         "“weakness” needs a source: ISO/IEC 27000 defines it.", "Add “[SOURCE: ISO/IEC 27000]”.",
         "Accepted"],
        ["FR 2", "3.2", None, "ed", "Plural: “remediations”?  ", "", "Noted."],
        ["DE 3", "Annex A", "A.1", "ge",
         "The example policy should show a safe harbour statement.\n- scope\n- contact",
         "Insert the statement from clause 11.", "Partially accepted: scope added, contact not."],
        ["US 4", "6.1.1, 6.1.1A", None, "te",
         "Both clauses require a channel; merge them.", "Merge 6.1.1A into 6.1.1.", ""],
        ["JP 5", "Bibliography", "[1]", "ed", "Give the year of ISO/IEC 30111.", "ISO/IEC 30111:2019", "Rejected."],
    ],
    legend=[
        "¹ MB = Member body (enter the ISO 3166 two-letter country code, e.g. CN for China)",
        "² Type of comment: ge = general te = technical ed = editorial",
    ],
)  # fmt: skip
JTC1_DOCX.fields = dict(zip(
    ("mb", "clause", "paragraph", "type", "comment", "proposed", "observation"), JTC1_DOCX.headings, strict=True
))  # fmt: skip

# An OASIS-style public review comment log: its own number column, submitters by name, a date
# column the ISO form has no place for (not imported), resolutions worded as the TC words them.
OASIS_XLSX = SourceTable(
    name="oasis",
    title="Public Review Comment Log: CVD Profile Version 1.0 (csprd01)",
    block=[("Review period:", "2026-09-01 to 2026-09-30")],
    headings=["Comment #", "Date", "Submitter", "Section", "Line", "Type", "Description", "Proposed Resolution",
              "Disposition"],
    rows=[
        ["C-1", "2026-09-03", "Acme Security Ltd", "6.1", 14, "Technical",
         "The profile does not say which channel is mandatory.", "Require the web form.", "Accepted"],
        ["C-2", "2026-09-05", "Open Disclosure Network", "7", None, "Editorial",
         "Typo: “advisorys”.", "advisories", "Completed"],
        ["C-3", "2026-09-09", "Acme Security Ltd", "General", None, "Technical",
         "Conformance clauses are missing.\r\nAdd a conformance section.", "", "Deferred: tracked for csprd02."],
        ["C-4", "2026-09-12", "Open Disclosure Network", "8", 201, "Technical",
         "Same as C-1: the channel.", "", "Duplicate of C-1"],
        ["C-5", "2026-09-20", "Acme Security Ltd", "A.1", None, "Editorial",
         "The example policy has no date.", "Add a “Last updated” line.", None],
    ],
)  # fmt: skip
OASIS_XLSX.fields = {
    "number": "Comment #", "mb": "Submitter", "clause": "Section", "line": "Line", "type": "Type",
    "comment": "Description", "proposed": "Proposed Resolution", "observation": "Disposition",
}  # fmt: skip

# A W3C-style disposition of comments, as a Word table: issue ids, commenters by code.
W3C_DOCX = SourceTable(
    name="w3c",
    title="Disposition of Comments for the CVD Vocabulary (Candidate Recommendation)",
    block=[("Status:", "Editor's draft")],
    headings=["ID", "Commenter", "Section", "Type", "Comment", "Suggested change", "Working Group response"],
    rows=[
        ["i18n-12", "W3C-I18N", "3.1", "substantive",
         "Definitions should allow bidirectional text in advisories.", "Add a note on bidi isolation.",
         "Accepted with changes: a note was added to 3.1."],
        ["i18n-13", "W3C-I18N", "Annex B", "editorial", "Use “language tag”, not “locale”.", "", "Agreed."],
        ["apa-3", "W3C-APA", "7", "substantive",
         "Advisories must be accessible: tables need headers.\n\nSee WCAG.", "Require accessible formats.",
         "Disagree: out of scope for this document."],
        ["apa-4", "W3C-APA", "General", "editorial", "Several figures lack text alternatives. ", "", ""],
    ],
)  # fmt: skip
W3C_DOCX.fields = {"number": "ID", "mb": "Commenter", "clause": "Section", "type": "Type", "comment": "Comment",
                   "proposed": "Suggested change", "observation": "Working Group response"}  # fmt: skip


def to_xlsx(table: SourceTable) -> bytes:
    """The table as a committee's spreadsheet: title, header block, a blank row, headings,
    rows, a blank row, the legend."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.name.upper()
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    block: list[object] = []
    for label, value in table.block:
        block += [label, value]
    sheet.append(block)
    sheet.append([])
    sheet.append(table.headings)
    for row in table.rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # "=SUM(A1)" is the commenter's text, not a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if table.legend:
        sheet.append([])
        for line in table.legend:
            sheet.append([line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_docx(table: SourceTable) -> bytes:
    """The table as a Word document: the title and header block as paragraphs, one table, the
    legend in a last row merged across the table (as the ISO Word template has it)."""
    from docx import Document

    document = Document()
    document.add_paragraph(table.title)
    document.add_paragraph("    ".join(f"{label} {value}" for label, value in table.block))
    word = document.add_table(rows=1, cols=len(table.headings))
    for index, heading in enumerate(table.headings):
        _write(word.rows[0].cells[index], heading)
    for row in table.rows:
        cells = word.add_row().cells
        for index, value in enumerate(row):
            _write(cells[index], "" if value is None else str(value))
    if table.legend:
        merged = word.add_row().cells
        first = merged[0].merge(merged[-1])
        _write(first, "\n".join(table.legend))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _write(cell, text: str) -> None:
    """Each line a paragraph (as Word keeps a cell's lines)."""
    lines = text.split("\n")
    cell.paragraphs[0].add_run(lines[0])
    for line in lines[1:]:
        cell.add_paragraph().add_run(line)


TABLES = {"iso": (ISO_XLSX, to_xlsx), "jtc1": (JTC1_DOCX, to_docx), "oasis": (OASIS_XLSX, to_xlsx),
          "w3c": (W3C_DOCX, to_docx)}  # fmt: skip
