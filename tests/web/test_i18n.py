"""Every user-facing string in a template is marked for translation."""

from __future__ import annotations

import html
import re
from pathlib import Path

from consult import web

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Words that are not translated: the product's name.
ALLOWED = {"consult"}
USER_FACING_ATTRIBUTES = (
    "aria-label",
    "title",
    "placeholder",
    "alt",
    "aria-description",
    "aria-roledescription",
)

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
JINJA_BLOCK = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HTML_TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
LITERAL_ATTRIBUTE = re.compile(r"\s(" + "|".join(USER_FACING_ATTRIBUTES) + r")\s*=\s*(\"[^\"]*\"|'[^']*')")
LITERAL_ATTRIBUTE_IN_JINJA = re.compile(
    r"['\"](" + "|".join(USER_FACING_ATTRIBUTES) + r")['\"]\s*:\s*['\"]([^'\"]*)['\"]"
)


def templates() -> list[Path]:
    found = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})
    assert found, f"no templates under {TEMPLATES}"
    return found


def blank(match: re.Match) -> str:
    """The match replaced by spaces, keeping its newlines so line numbers still count."""
    return re.sub(r"[^\n]", " ", match.group(0))


def untranslated_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of every piece of literal text left once Jinja and markup are removed."""
    text = JINJA_COMMENT.sub(blank, source)
    text = JINJA_BLOCK.sub(blank, text)
    text = HTML_COMMENT.sub(blank, text)
    text = HTML_TAG.sub(blank, text)
    text = ENTITY.sub(blank, text)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = [w for w in re.split(r"[\s·|:,.()\[\]/–—-]+", line) if LETTERS.search(w)]
        if any(w.lower() not in ALLOWED for w in words):
            found.append((number, html.unescape(line.strip())))
    return found


def literal_attributes(source: str) -> list[tuple[int, str]]:
    """(line, attribute) of user-facing attributes whose value holds literal words."""
    text = JINJA_COMMENT.sub(blank, source)
    found = []
    for match in LITERAL_ATTRIBUTE.finditer(text):
        value = JINJA_BLOCK.sub("", match.group(2))
        if LETTERS.search(value):
            found.append((text.count("\n", 0, match.start()) + 1, match.group(0).strip()))
    for block in JINJA_BLOCK.finditer(text):
        for match in LITERAL_ATTRIBUTE_IN_JINJA.finditer(block.group(0)):
            if LETTERS.search(match.group(2)):
                found.append((text.count("\n", 0, block.start()) + 1, match.group(0)))
    return found


def test_template_text_is_marked_for_translation():
    problems = [
        f"{path.relative_to(TEMPLATES)}:{line}: {text}"
        for path in templates()
        for line, text in untranslated_text(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "wrap these in {{ _('...') }}:\n" + "\n".join(problems)


def test_user_facing_attributes_are_marked_for_translation():
    problems = [
        f"{path.relative_to(TEMPLATES)}:{line}: {attribute}"
        for path in templates()
        for line, attribute in literal_attributes(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "use {{ _('...') }} in these attributes:\n" + "\n".join(problems)


def test_the_checks_find_what_they_look_for():
    """The scanners above would notice an unmarked string (so a clean run means something)."""
    sample = '{# ok #}<p>{{ _("Fine") }}</p>\n<p title="Close">Hello {{ name }}</p>\n{{ f(**{"aria-label": "Menu"}) }}'
    assert untranslated_text(sample) == [(2, "Hello")]
    assert [line for line, _attr in literal_attributes(sample)] == [2, 3]


def test_error_titles_are_marked_for_translation():
    """The titles of error pages are extracted for translators (lazy strings, not plain str)."""
    for status, title in web.ERROR_TITLES.items():
        assert not isinstance(title, str), f"ERROR_TITLES[{status}] is a plain string: wrap it in _l()"
