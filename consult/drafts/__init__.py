"""Drafts: norm documents, their immutable versions, Markdown import and comparison pages,
and translations of a version's clauses."""

from flask import Blueprint

from consult.languages import CONTENT_LANGUAGES, interface_language, language_name, native_name, text_direction

bp = Blueprint("drafts", __name__)
# Every page that shows a text or a comment names languages the same way.
for helper in (interface_language, language_name, native_name, text_direction):
    bp.add_app_template_global(helper)
bp.add_app_template_global(CONTENT_LANGUAGES, "LANGUAGES_OF_CONTENT")
