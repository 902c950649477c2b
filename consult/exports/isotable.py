"""Reading a comment table as committees write it: an XLSX sheet or a Word table.

Columns are found by their headings, not their places: the ISO template's headings as real
committees write them ("MB/NC¹", "MB", "Member body", "Line no.", "Clause No./Subclause
No./Annex (e.g. 3.1)", "Paragraph/Figure/Table/Note", "Comment (justification for change) by
the MB", "Secretariat observations", ...) and those of other committees' comment logs
("Comment #", "Section", "Proposed resolution", "Disposition", ...). The heading row may sit
below a title and a header block (date, document, project); blank rows, repeated heading rows
and the footnote legend are skipped. Cell texts are kept exactly as written: line breaks,
trailing spaces and all.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FIELDS = ("number", "mb", "line", "clause", "paragraph", "type", "comment", "proposed", "observation", "language")
SCAN_ROWS = 40  # the heading row is looked for this far down
# Headings, normalised (`normalise`), by field.
VARIANTS: dict[str, tuple[str, ...]] = {
    "mb": (
        "mb/nc", "mb", "nc", "nb", "member body", "member body/national committee", "national body",
        "national committee", "mb/nc code", "mb code", "member", "member body (mb)", "country", "submitter",
        "commenter", "commentor", "organisation", "organization", "submitted by", "source", "from",
    ),
    "number": (
        "comment number", "comment no", "comment nr", "comment #", "comment id", "comment ref", "#", "no", "nr",
        "number", "id", "ref", "ref no", "item", "item no", "issue", "issue #", "issue no", "issue number",
        "issue id", "seq", "serial",
    ),
    "line": ("line number", "line no", "line nr", "line", "lines", "line(s)", "line numbers", "line ref"),
    "clause": (
        "clause/subclause", "clause no/subclause no/annex", "clause no/subclause no", "clause/subclause/annex",
        "clause", "clause no", "subclause", "section", "clause/section", "section/clause", "section no",
        "location", "chapter", "clause reference", "reference clause",
    ),
    "paragraph": (
        "paragraph/figure/table/note", "paragraph/figure/table", "paragraph/figure/table/annex",
        "paragraph/figure/table/example", "paragraph", "para", "figure/table", "paragraph/figure",
        "para/figure/table", "element",
    ),
    "type": ("type of comment", "type", "comment type", "category", "kind", "class", "type (ge/te/ed)"),
    "comment": (
        "comments", "comment", "comment (justification for change) by the mb", "comment (justification for change)",
        "comments/justification for change", "justification for change", "justification", "description",
        "issue description", "comment text", "comments by the mb", "rationale",
    ),
    "proposed": (
        "proposed change", "proposed changes", "proposed change by the mb", "proposed resolution",
        "suggested change", "suggested changes", "proposal", "proposed text", "suggested resolution",
        "proposed fix", "suggested fix", "recommended change",
    ),
    "observation": (
        "observations of the secretariat", "secretariat observations",
        "secretariat observations on each comment submitted", "observations", "observation",
        "observations of the secretariat/editor", "disposition", "resolution", "response", "editor's response",
        "editors response", "response/disposition", "decision", "disposition of comment", "committee response",
        "comment resolution", "resolution/response", "wg response", "project editor's response",
        "secretariat response", "tc response", "working group response", "wg resolution", "tc resolution",
    ),
    # Not a column of the ISO form: the one consult's exports add after it (the comment's language).
    "language": ("language", "language of the comment", "lang", "langue", "idioma", "язык", "语言", "اللغة"),
}  # fmt: skip
_LOOKUP = {variant: name for name, variants in VARIANTS.items() for variant in variants}
_FOOTNOTE_RE = re.compile(r"[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡]+")
_EXAMPLE_RE = re.compile(r"\((?:e\.\s*g\.|eg|z\.\s*b\.|p\.\s*ex\.|ex\.|example)[^)]*\)", re.IGNORECASE)
LEGEND_RE = re.compile(
    r"^\s*(?:[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡]|\d\s*\)?\s*(?:mb|nc|type)|nb\b|n\.b\.|note\b|notes\b|mb\s*=|mb/nc\s*=|"
    r"type of comment\s*:|ge\s*=|template for comments)",
    re.IGNORECASE,
)


class TableError(ValueError):
    """The file is not a table that can be read: one message, for the person."""

    def __init__(self, message: str, row: int = 0) -> None:
        super().__init__(message)
        self.row = row


@dataclass
class TableRow:
    row: int  # as the file numbers it: the sheet's row, or the Word table's row (from 1)
    cells: dict[str, str]  # field -> the cell's text exactly as written


@dataclass
class Table:
    kind: str  # "xlsx" | "docx"
    fields: list[str]  # the fields found, in column order
    header_row: int
    rows: list[TableRow] = field(default_factory=list)
    headings: dict[str, str] = field(default_factory=dict)  # field -> the heading as written
    columns: dict[int, str] = field(default_factory=dict)  # column index -> field
    width: int = 0  # cells in the heading row


def normalise(heading: str) -> str:
    """A heading compared loosely: case, footnote marks, "(e.g. 3.1)", dots and spaces do not count."""
    text = _FOOTNOTE_RE.sub("", heading or "")
    text = _EXAMPLE_RE.sub("", text)
    text = text.casefold().replace("\n", " ").replace(".", " ").replace(":", " ")
    text = re.sub(r"\s*/\s*", "/", text)
    return " ".join(text.split()).strip(" /")


def field_of(heading: str, lookup: dict[str, str] | None = None) -> str | None:
    """The field a column heading names, or None (`lookup`: `VARIANTS` and more, normalised)."""
    lookup = lookup or _LOOKUP
    text = normalise(heading)
    if not text:
        return None
    if text in lookup:
        return lookup[text]
    # A footnote mark that lost its superscript: "MB/NC1", "Type of comment2".
    bare = re.sub(r"\s?\d$", "", text)
    if bare != text and bare in lookup and lookup[bare] in ("mb", "type"):
        return lookup[bare]
    # A longer heading that starts with a known one: "Observations of the secretariat on ...".
    for variant, name in lookup.items():
        if len(variant) >= 8 and text.startswith(variant + " "):
            return name
    return None


def _header(values: list[str], lookup: dict[str, str]) -> dict[int, str] | None:
    """{column index: field} when these values are a heading row, else None."""
    found: dict[int, str] = {}
    for index, value in enumerate(values):
        name = field_of(value, lookup) if isinstance(value, str) else None
        if name is not None and name not in found.values():
            found[index] = name
    names = set(found.values())
    if "comment" in names and len(names) >= 3:
        return found
    return None


def text_of(value: Any) -> str:
    """A cell's value as text, exactly (numbers as written: 17, not 17.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_table(data: bytes, max_rows: int, headings: dict[str, str] | None = None) -> Table:
    """The comment table of an XLSX workbook or Word document (raises TableError).

    `headings`: more headings ({heading: field}) besides `VARIANTS`: the ones consult's own
    exports write in each of its languages ("CM/CN¹", "Observations du secrétariat", ...).
    """
    lookup = {**_LOOKUP, **{normalise(heading): name for heading, name in (headings or {}).items()}}
    kind = _kind(data)
    if kind == "xlsx":
        return _read_xlsx(data, max_rows, lookup)
    return _read_docx(data, max_rows, lookup)


def _kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        names = set()
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    raise TableError("not a table")


def _rows_of(lines: Any, kind: str, max_rows: int, lookup: dict[str, str], start: int = 1) -> Table | None:
    """Find the heading row in `lines` ((row number, values, distinct cells) tuples), then read
    the rows under it."""
    header: dict[int, str] | None = None
    table: Table | None = None
    heading_values: list[str] = []
    for number, values, distinct in lines:
        if header is None:
            if number - start >= SCAN_ROWS:
                return None
            header = _header(values, lookup)
            if header is not None:
                heading_values = values
                table = Table(kind, [header[i] for i in sorted(header)], number, columns=header, width=len(values))
                table.headings = {name: text_of(values[i]) for i, name in header.items()}
            continue
        assert table is not None
        texts = [text_of(v) for v in values]
        if not any(t.strip() for t in texts):
            continue  # blank
        if texts[: len(heading_values)] == [text_of(v) for v in heading_values]:
            continue  # the heading row again (a table put together from several)
        if _is_legend(texts, distinct):
            continue
        if len(table.rows) >= max_rows:
            raise TableError("too many rows", number)
        table.rows.append(TableRow(number, _cells(texts, header)))
    return table


def _cells(texts: list[str], columns: dict[int, str]) -> dict[str, str]:
    return {name: (texts[i] if i < len(texts) else "") for i, name in columns.items()}


def _is_legend(texts: list[str], distinct: list[str]) -> bool:
    """The footnote legend ("¹ MB = ...", "NB ..."), or one cell merged across a Word table's row.
    A row with one filled cell otherwise is a comment row with something missing: it is read
    (and its problem reported), never dropped."""
    filled = [t for t in texts if t.strip()]
    if not filled or not texts[0].strip() or any(t != filled[0] for t in filled):
        return False
    return bool(LEGEND_RE.match(filled[0])) or (len(distinct) == 1 and len(texts) > 1)


def _read_xlsx(data: bytes, max_rows: int, lookup: dict[str, str]) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged workbooks
        raise TableError("not a table") from None
    try:
        for sheet in workbook.worksheets:
            lines = (
                (n, list(values), [text_of(v) for v in values if v is not None])
                for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            table = _rows_of(lines, "xlsx", max_rows, lookup)
            if table is not None:
                return table
    finally:
        workbook.close()
    raise TableError("no heading row")


def _read_docx(data: bytes, max_rows: int, lookup: dict[str, str]) -> Table:
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds of errors on damaged documents
        raise TableError("not a table") from None
    found: Table | None = None
    offset = 0
    for word_table in document.tables:
        lines = list(_docx_lines(word_table, offset))
        offset += len(lines)
        table = _rows_of(iter(lines), "docx", max_rows, lookup, start=lines[0][0] if lines else 1)
        if table is None:
            if found is not None:  # a continuation without its own heading row: same columns
                continuation = _continuation(found, lines, max_rows)
                if continuation is not None:
                    found.rows.extend(continuation)
            continue
        if found is None:
            found = table
        elif table.fields == found.fields:
            found.rows.extend(table.rows)
    if found is None:
        raise TableError("no heading row")
    if len(found.rows) > max_rows:
        raise TableError("too many rows", found.rows[max_rows].row)
    return found


def _docx_lines(word_table: Any, offset: int) -> Any:
    """(row number, cell texts by grid column, the row's distinct cell texts) of a Word table."""
    for index, row in enumerate(word_table.rows, start=1):
        cells = row.cells  # a merged cell repeats in each grid column it spans
        seen: list[Any] = []
        distinct: list[str] = []
        for cell in cells:
            if not any(cell._tc is other for other in seen):
                seen.append(cell._tc)
                distinct.append(cell.text)
        yield offset + index, [cell.text for cell in cells], distinct


def _continuation(found: Table, lines: list, max_rows: int) -> list[TableRow] | None:
    """The rows of a Word table that goes on from the last one without a heading row of its own
    (a table split across pages): read with the same columns when it has as many."""
    if not lines or len(lines[0][1]) != found.width:
        return None
    rows = []
    for number, values, distinct in lines:
        texts = [text_of(v) for v in values]
        if not any(t.strip() for t in texts) or _is_legend(texts, distinct):
            continue
        rows.append(TableRow(number, _cells(texts, found.columns)))
    return rows
