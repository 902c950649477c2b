"""The import form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from consult.forms import BaseForm


class ImportForm(BaseForm):
    sheet = FileField(_l("Comment table (XLSX workbook or Word .docx)"), validators=[FileRequired()])
