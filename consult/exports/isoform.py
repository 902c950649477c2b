"""The ISO/IEC "Template for comments and secretariat observations", written as XLSX and .docx.

The form: a header block (date, document, project), the eight columns in their order (MB/NC,
line number, clause/subclause, paragraph/figure/table, type of comment, comments, proposed
change, observations of the secretariat), one row per comment, and the footnote legend (in the
XLSX on a sheet of its own, so that nothing but comments lies under the headings: a table filled
in row by row imports as it is).
Type codes are ge/te/ed; the MB/NC cell holds the comment's number, which starts with the
MB/NC code ("KR-003", or an imported table's "US 021"). Texts are written exactly as stored.

The XLSX is written by openpyxl's write-only workbook into a spooled file (rows go to disk as
they come, so the export streams like the others); the .docx is built by python-docx in
memory, which a Word table needs, and is meant for the tables committees exchange (a round
of thousands of comments is better taken as XLSX).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from consult.exports.rows import ExportRow

COLUMNS = ("mb", "line", "clause", "paragraph", "type", "comment", "proposed", "observation")
XLSX_COLUMNS = (*COLUMNS, "language")  # the sheet adds the comment's language after the form's eight
WIDTHS = {"mb": 12, "line": 9, "clause": 14, "paragraph": 16, "type": 9, "comment": 50, "proposed": 45,
          "observation": 45, "language": 10}  # fmt: skip
TYPE_CODES = {"general": "ge", "technical": "te", "editorial": "ed"}
HEADER_ROW = 4  # the column headings' row in the sheet (the header block above it)
SHEET_FORBIDDEN = set("[]:*?/\\")


def headings() -> list[str]:
    """The form's column headings, as the ISO template writes them (footnote marks included)."""
    return [
        _("MB/NC¹"),
        _("Line number"),
        _("Clause/Subclause"),
        _("Paragraph/Figure/Table"),
        _("Type of comment²"),
        _("Comments"),
        _("Proposed change"),
        _("Observations of the secretariat"),
    ]


FIELDS = ("mb", "line", "clause", "paragraph", "type", "comment", "proposed", "observation")  # `headings()`' order


def headings_in_every_language() -> dict[str, str]:
    """{heading: field} for the headings this form is written with in each of consult's
    languages: a table exported on a French page is read back on an English one."""
    from flask_babel import force_locale

    from consult import i18n

    found: dict[str, str] = {}
    for code in i18n.languages():
        with force_locale(code):
            found.update(zip(headings(), FIELDS, strict=True))
            found[language_heading()] = "language"
    return found


def language_heading() -> str:
    """The column after the form's eight (XLSX, CSV): the language the comment is written in."""
    return _("Language")


def legend() -> list[str]:
    return [
        _(
            "¹ MB/NC = member body / national committee: the ISO 3166 two-letter country code (e.g. KR) "
            "or the organisation's own code, followed by the comment's number (e.g. KR-003)."
        ),
        _("² Type of comment: ge = general, te = technical, ed = editorial."),
    ]


@dataclass(frozen=True)
class FormHead:
    """The header block, worded before the rows are written (outside the request)."""

    title: str
    date: str
    document: str
    project: str
    sheet_title: str
    headings: list[str]
    legend: list[str]
    labels: dict[str, str]  # "Date:", "Document:", "Project:"
    guidance_title: str = "Guidance"  # the XLSX sheet that holds the legend, away from the rows


def form_head(round_: Any, consultation: Any, today: date, date_text: str) -> FormHead:
    """The header block of `round_`'s comment table."""
    draft = round_.version.draft
    reference = draft.reference or draft.title
    document = f"{reference} ({_('version %(n)d', n=round_.version.number)})"
    return FormHead(
        title=_("Template for comments and secretariat observations"),
        date=date_text,
        document=document,
        project=consultation.title,
        sheet_title=sheet_title(reference),
        headings=headings(),
        legend=legend(),
        labels={"date": _("Date:"), "document": _("Document:"), "project": _("Project:")},
        guidance_title=guidance_title(reference),
    )


def guidance_title(reference: str) -> str:
    """The title of the sheet that carries the legend: never the comment sheet's own."""
    title = sheet_title(_("Guidance"))
    return title if title != sheet_title(reference) else sheet_title(_("Guidance") + " (2)")


def sheet_title(reference: str) -> str:
    """`reference` as an Excel sheet title: at most 31 characters (UTF-16 units, as Excel counts),
    none of []:*?/\\ (a slash or colon becomes a hyphen: "ISO/IEC 27099:2026" -> "ISO-IEC 27099-2026"), not
    starting or ending with an apostrophe, not the reserved "History"."""
    text = "".join("-" if ch in "/\\:" else ("" if ch in SHEET_FORBIDDEN else ch) for ch in reference)
    text = "".join(ch for ch in text if ch.isprintable()).strip().strip("'").strip()
    out, units = "", 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > 31:
            break
        out, units = out + ch, units + width
    out = out.strip().strip("'").strip()
    if not out or out.casefold() == "history":
        return "Comments"
    return out


def cells(row: ExportRow, words: Any) -> list[str]:
    """One comment as the form's eight cells (`words`: services.Labels)."""
    from consult.dispositions import vocabulary
    from consult.dispositions.models import DispositionKind

    observation = ""
    if row.disposition_kind:
        kind = DispositionKind(row.disposition_kind)
        observation = vocabulary.cell(
            kind, row.observation, words.cell_kinds.get(row.disposition_kind, ""), row.duplicate_of_number
        )
    return [
        row.mb_cell,
        row.line_number,
        row.clause_cell(words.general_clause),
        row.paragraph,
        TYPE_CODES.get(row.type, row.type),
        row.body,
        row.proposed_change,
        observation,
    ]


# What XML 1.0 cannot hold (the C0 controls but tab, LF, CR): a workbook or a Word document with
# one of them does not open. Word's manual line break reaches us as a vertical tab (\x0b) in
# pasted text: it becomes a line break; the others carry nothing and are left out.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_CELL = 32_767  # a spreadsheet cell's limit (a comment is at most 20,000 characters)


def xml_text(value: Any) -> Any:
    """`value` with what XML cannot hold replaced (see `_NOT_XML`); other values as they are."""
    if isinstance(value, str) and _NOT_XML.search(value):
        return _NOT_XML.sub("", value.replace("\x0b", "\n").replace("\x0c", "\n"))
    return value


def xlsx_file(rows: Iterator[ExportRow], words: Any, head: FormHead) -> Any:
    """The form as an XLSX workbook in a spooled temporary file (write-only: rows go to disk)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=head.sheet_title)
    for index, key in enumerate(XLSX_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[key]
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)

    def text(value: str, font: Any = None, cell_border: Any = None, fill: Any = None, on: Any = None) -> Any:
        cell = WriteOnlyCell(on or sheet, value=xml_text(value))
        cell.data_type = "s"  # text, never a formula, whatever it starts with
        cell.alignment = wrap
        if font is not None:
            cell.font = font
        if cell_border is not None:
            cell.border = cell_border
        if fill is not None:
            cell.fill = fill
        return cell

    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.append([text(head.title, Font(bold=True, size=13))])
    sheet.append(
        [
            text(head.labels["date"], bold), text(head.date),
            text(head.labels["document"], bold), text(head.document), None,
            text(head.labels["project"], bold), text(head.project),
        ]
    )  # fmt: skip
    # The legend lives on a sheet of its own, named here: nothing but comments under the headings,
    # so a table filled in row by row imports as it is (issue 11.13).
    sheet.append([text(_("Notes ¹ ² on the sheet “%(sheet)s”.", sheet=head.guidance_title))])
    grey = PatternFill("solid", fgColor="D9D9D9")
    # The form's eight columns, then the comment's language (outside the form, so an ISO table
    # reader that knows only the eight still finds them where they belong).
    sheet.append([text(h, bold, border, grey) for h in [*head.headings, language_heading()]])
    # Every comment cell has the same style: set it once on a model cell (which registers the
    # font, border and alignment with the workbook) and give each cell a copy of its style
    # indices. Setting the style objects on each of 90,000 cells hashes them every time: it
    # was two thirds of a 10,000-comment export.
    model = text("", None, border)
    style = model._style

    def body(value: str) -> Any:
        cell = WriteOnlyCell(sheet)
        cell._value = xml_text(value)[:MAX_CELL]  # text, never a formula; bound without inference
        cell.data_type = "s"
        cell._style = copy(style)
        return cell

    for row in rows:
        sheet.append([body(v) for v in [*cells(row, words), row.language]])
    guidance = workbook.create_sheet(title=head.guidance_title)
    guidance.column_dimensions["A"].width = 110
    for line in head.legend:
        guidance.append([text(line, on=guidance)])
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 (streamed, then closed)
    workbook.save(spool)
    spool.seek(0)
    return spool


def docx_bytes(rows: Iterator[ExportRow], words: Any, head: FormHead) -> bytes:
    """The form as a Word document: the header block, one table in the ISO layout, the legend."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)
    style = document.styles["Normal"]
    style.font.size = Pt(9)
    document.core_properties.title = head.document

    heading = document.add_paragraph()
    heading.add_run(head.title).bold = True
    block = document.add_paragraph()
    for key, value in (("date", head.date), ("document", head.document), ("project", head.project)):
        block.add_run(head.labels[key] + " ").bold = True
        block.add_run(value + "    ")

    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    widths = [Cm(WIDTHS[key] * 0.245) for key in COLUMNS]
    header = table.rows[0]
    _repeat_header(header, OxmlElement, qn)
    for index, title in enumerate(head.headings):
        cell = header.cells[index]
        cell.width = widths[index]
        _set_text(cell, title, bold=True)
    for row in rows:
        values = cells(row, words)
        row_cells = table.add_row().cells
        for index, value in enumerate(values):
            row_cells[index].width = widths[index]
            _set_text(row_cells[index], value)
    for line in head.legend:
        document.add_paragraph(line).style = document.styles["Normal"]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _repeat_header(row: Any, element: Any, qn: Any) -> None:
    """The heading row repeats on every page of a long table."""
    properties = row._tr.get_or_add_trPr()
    repeat = element("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)


def _set_text(cell: Any, value: str, bold: bool = False) -> None:
    """A cell holding `value` exactly: one paragraph per line, spaces kept (python-docx writes
    xml:space="preserve" for leading and trailing spaces). Word has no carriage return: a CR LF
    (or a lone CR) is a line break there."""
    lines = xml_text(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraph = cell.paragraphs[0]
    for index, line in enumerate(lines):
        if index:
            paragraph = cell.add_paragraph()
        run = paragraph.add_run(line)
        run.bold = bold
