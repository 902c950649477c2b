"""The import form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from consult.forms import OnceForm


class ImportForm(OnceForm):
    sheet = FileField(_l("Comment table (XLSX workbook or Word .docx)"), validators=[FileRequired()])


class ConfirmImportForm(OnceForm):
    """Confirms the changes a table sent again makes (`plan`: the fingerprint of the list shown)."""

    plan = HiddenField()
