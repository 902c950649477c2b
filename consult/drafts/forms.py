"""Forms of the draft pages: clauses typed row by row, or a Markdown file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from consult.drafts.importer import MAX_BYTES, MAX_CLAUSES, ClauseText
from consult.drafts.services import MAX_BODY
from consult.forms import BaseForm, OnceForm

EXTRA_ROWS = 3  # empty rows for new clauses under the existing ones
POSITION_STEP = 10  # rows are numbered 10, 20, 30 so a clause can be moved between two others
MAX_ROWS = MAX_CLAUSES + 50
MARKDOWN_EXTENSIONS = ["md", "markdown", "txt"]


class ClauseRowForm(Form):
    """One clause in the editor (a plain Form: the outer form carries the CSRF token)."""

    key = HiddenField()
    number = StringField(_l("Number"), validators=[Optional(), Length(max=20)])
    heading = StringField(_l("Heading"), validators=[Optional(), Length(max=300)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=MAX_BODY)])
    position = IntegerField(_l("Position"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    remove = BooleanField(_l("Remove this clause from the new version"))

    @property
    def is_blank(self) -> bool:
        """A new row left empty: it is ignored."""
        return not self.key.data and not any((f.data or "").strip() for f in (self.number, self.heading, self.body))

    @property
    def is_kept(self) -> bool:
        return not self.remove.data and not self.is_blank

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_kept and not (self.number.data or "").strip():
            self.number.errors = [*self.number.errors, _l("Give this clause a number.")]
            ok = False
        return ok

    def to_clause(self) -> ClauseText:
        return ClauseText(
            number=(self.number.data or "").strip(),
            heading=(self.heading.data or "").strip(),
            body=self.body.data or "",
            key=self.key.data or None,
        )


class ClausesForm(OnceForm):
    """Every clause of a version, in rows."""

    note = TextAreaField(_l("What changed (optional note)"), validators=[Optional(), Length(max=2000)])
    clauses = FieldList(FormField(ClauseRowForm), min_entries=0, max_entries=MAX_ROWS)

    def clause_texts(self) -> list[ClauseText]:
        """The kept rows, in the order of their positions (ties keep the order of the form)."""
        rows = [(index, row.form) for index, row in enumerate(self.clauses) if row.form.is_kept]
        last = max((r.position.data or 0 for _i, r in rows), default=0)
        rows.sort(
            key=lambda item: (
                item[1].position.data if item[1].position.data is not None else last + 1,
                item[0],
            )
        )
        return [row.to_clause() for _index, row in rows]

    def rows(self) -> list[dict]:
        """Each row's values, in the order of the form."""
        return [
            {
                "key": row.form.key.data or "",
                "number": row.form.number.data or "",
                "heading": row.form.heading.data or "",
                "body": row.form.body.data or "",
                "remove": bool(row.form.remove.data),
            }
            for row in self.clauses
        ]

    def rearranged(self, formdata) -> tuple[ClausesForm, str] | None:
        """The form again after one of the editor's buttons (saving nothing): a clause moved up or
        down (`move` = "<row>:up" or "<row>:down") or a new clause inserted after a row (`insert` =
        "<row>", -1 for the top). Returns the new form and the id of the control to focus, or
        None when no such button was pressed. A malformed value moves nothing: the form comes
        back as it was (and is not saved)."""
        rows = self.rows()
        focus = ""
        move, insert = formdata.get("move", ""), formdata.get("insert", "")
        if move:
            index, _sep, direction = move.partition(":")
            valid = index.isascii() and index.isdigit() and len(index) < 6 and direction in ("up", "down")
            i = int(index) if valid else -1
            j = i - 1 if direction == "up" else i + 1
            if valid and 0 <= i < len(rows) and 0 <= j < len(rows):
                rows[i], rows[j] = rows[j], rows[i]
                at_edge = (direction == "up" and j == 0) or (direction == "down" and j == len(rows) - 1)
                focus = f"move-{'down' if direction == 'up' else 'up'}-{j}" if at_edge else f"move-{direction}-{j}"
        elif insert:
            digits = insert.removeprefix("-")
            valid = digits.isascii() and digits.isdigit() and len(digits) < 6
            after = max(-1, min(int(insert), len(rows) - 1)) if valid else -2
            if valid and len(rows) < MAX_ROWS:
                rows.insert(after + 1, {"key": "", "number": "", "heading": "", "body": "", "remove": False})
                focus = f"clauses-{after + 1}-number"
        else:
            return None
        for i, row in enumerate(rows, start=1):
            row["position"] = i * POSITION_STEP
        data = {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("clauses", "csrf_token", "file") and not name.startswith("submit")
        }
        again = type(self)(formdata=None, data={**data, "clauses": rows})
        if focus.startswith("clauses-"):  # the new clause's number, ready to type
            again.clauses[int(focus.split("-")[1])].form.number.render_kw = {"autofocus": True}
        return again, focus

    def add_rows(self, count: int = EXTRA_ROWS) -> None:
        """Append `count` empty rows numbered after the last position."""
        last = max((row.form.position.data or 0 for row in self.clauses), default=0)
        for step in range(1, count + 1):
            if len(self.clauses) >= MAX_ROWS:
                break
            self.clauses.append_entry({"position": last + step * POSITION_STEP})


class NewDraftForm(ClausesForm):
    """A draft's title and its first version: typed rows or a Markdown file."""

    title = StringField(_l("Title of the draft"), validators=[DataRequired(), Length(max=200)])
    reference = StringField(
        _l("Document reference (optional, e.g. ISO/IEC DIS 27099)"), validators=[Optional(), Length(max=60)]
    )
    file = FileField(
        _l("Or import the first version from a Markdown file"),
        validators=[
            Optional(),
            FileAllowed(MARKDOWN_EXTENSIONS, _l("Choose a Markdown file (.md or .txt).")),
            FileSize(MAX_BYTES, message=_l("The file is larger than 1 MB.")),
        ],
    )


class ImportForm(OnceForm):
    """A Markdown file for the next version."""

    file = FileField(
        _l("Markdown file"),
        validators=[
            FileRequired(_l("Choose a Markdown file to import.")),
            FileAllowed(MARKDOWN_EXTENSIONS, _l("Choose a Markdown file (.md or .txt).")),
            FileSize(MAX_BYTES, message=_l("The file is larger than 1 MB.")),
        ],
    )
    note = TextAreaField(_l("What changed (optional note)"), validators=[Optional(), Length(max=2000)])


class ReferenceForm(BaseForm):
    """The draft's document reference: the comment table's sheet title and header."""

    reference = StringField(_l("Document reference"), validators=[Optional(), Length(max=60)])
