"""Markdown to HTML through an allowlist sanitizer: the only way user text becomes markup."""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "del",
    "ins",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    """Sanitized HTML for Markdown `text` (raw HTML in the source is shown as text)."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def markdown(text: str) -> Markup:
    """Markdown source (a field labelled Markdown) as sanitised HTML, ready for a template."""
    return Markup(render_markdown(text))  # noqa: S704 (cleaned by the nh3 allowlist)  # nosec B704


def safe_html(html: str) -> Markup:
    """Mark HTML that came out of `render_markdown` (stored) as safe, cleaning it once more."""
    html = html or ""
    cleaned = _clean_remembered(html) if len(html) <= _REMEMBER_UP_TO else _clean(html)
    return Markup(cleaned)  # noqa: S704 (cleaned by the nh3 allowlist)  # nosec B704


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# The same clause text is cleaned for every view of a round page: remember the results for
# texts of ordinary size (the cleaning depends on nothing but the text).
_REMEMBER_UP_TO = 16 * 1024
_clean_remembered = functools.lru_cache(maxsize=2048)(_clean)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def lines(text: str | None) -> Markup:
    """Plain text (a comment, a proposed change, an observation, a reason) with its line breaks
    kept as `<br>`, escaped: the breaks survive where no stylesheet keeps them (the briefing
    and its PDF, emails), and under `white-space: pre-wrap` nothing is doubled (the newline
    characters are replaced, not kept beside the `<br>`). The text is isolated (`<bdi>`): a
    reason written in Arabic inside an English sentence, or in English inside an Arabic one,
    keeps its own direction without reordering what is around it."""
    if not text:
        return Markup("")
    return Markup("<bdi>%s</bdi>") % Markup("<br>").join(escape(part) for part in _LINE_BREAK.split(text))
