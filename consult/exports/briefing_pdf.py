"""The briefing as PDF, rendered in parts so that its cost grows with its length and no more.

Why parts: WeasyPrint took over 29 minutes on a 2,000-comment round (docs/performance.md,
P11). Profiling showed two causes: the positions of each clause sat in a flex row of
stakeholder-group columns, which WeasyPrint lays out again for every page a column crosses,
and dotted borders, which it draws dot by dot (130,000 curves for 400 comments). The print
style now has neither. What is left is linear, but one document of 2,000 comments holds every
page's layout in memory until the end; rendered part by part (the summary first, then clause
sections of at most `PART_POSITIONS` positions) and joined with pypdf, memory stays that of one
part, and each part finished is progress that can be reported. Pages are numbered across the
parts (`@page:first { counter-reset }`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from consult.exports.briefing import ClauseBrief, RoundBrief

PART_POSITIONS = 150  # positions (comments) per part at most; small clauses share a part


@dataclass
class Section:
    brief: RoundBrief
    clause: ClauseBrief
    index: int
    groups: list[Any] | None = None  # None: every group of the round
    continued: bool = False
    first_of_round: bool = False


@dataclass
class Part:
    """One WeasyPrint document: the head (title and summaries), or clause sections."""

    kind: str  # "head" | "sections"
    sections: list[Section] = field(default_factory=list)
    weight: int = 0  # positions in it: what its rendering costs, for the progress figure


def plan(briefs: list[RoundBrief], size: int = PART_POSITIONS) -> list[Part]:
    """The parts of the briefing: the head, then clause sections packed up to `size` positions."""
    parts = [Part("head", weight=max(10, len(briefs) * 10))]
    current = Part("sections")
    for brief in briefs:
        first = True
        for index, clause in enumerate(brief.clauses, start=1):
            for n, piece in enumerate(_pieces(clause, brief.groups, size)):
                weight = max(1, piece.total)
                if current.sections and current.weight + weight > size:
                    parts.append(current)
                    current = Part("sections")
                groups = None if n == 0 else [g for g in brief.groups if piece.by_group.get(g.id)]
                current.sections.append(Section(brief, piece, index, groups, n > 0, first))
                current.weight += weight
                first = False
    if current.sections:
        parts.append(current)
    return parts


def _pieces(clause: ClauseBrief, groups: list[Any], size: int) -> Iterator[ClauseBrief]:
    """The clause's positions in pieces of at most `size` (in group order), the first whole."""
    if clause.total <= size:
        yield clause
        return
    piece: dict[int, list] = {}
    count = 0
    for group in groups:
        for position in clause.by_group.get(group.id, []):
            if count == size:
                yield replace(clause, by_group=piece)
                piece, count = {}, 0
            piece.setdefault(group.id, []).append(position)
            count += 1
    if piece:
        yield replace(clause, by_group=piece)


class Renderer:
    """WeasyPrint set up once for many parts: one stylesheet, one font configuration, and a
    fetcher that reads only files under `static/` (and data: URLs), never the network."""

    def __init__(self, static_folder: str) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        root = Path(static_folder).resolve()

        class LocalFetcher(URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                if url.startswith("file:") and root not in Path(unquote(urlsplit(url).path)).resolve().parents:
                    raise ValueError(f"refusing to fetch {url}")
                return super().fetch(url, headers)

        self.root = root
        self.fetcher = LocalFetcher(allowed_protocols=("file", "data"))
        self.fonts = FontConfiguration()
        self.stylesheet = CSS(
            filename=str(root / "css" / "briefing-print.css"), url_fetcher=self.fetcher, font_config=self.fonts
        )

    def part(self, html: str, first_page: int) -> tuple[bytes, int]:
        """One part as PDF bytes and its number of pages, its first page numbered `first_page`."""
        from weasyprint import CSS, HTML

        numbering = CSS(string=f"@page:first {{ counter-reset: page {int(first_page)} }}", font_config=self.fonts)
        document = HTML(string=html, base_url=self.root.as_uri() + "/", url_fetcher=self.fetcher).render(
            stylesheets=[self.stylesheet, numbering], font_config=self.fonts
        )
        pages = len(document.pages)
        return document.write_pdf(), pages


def render_pdf(
    parts: list[tuple[Callable[[], str], int]],
    static_folder: str,
    title: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The PDF of `parts` (each a function that renders its HTML, and its weight), in order.

    `progress(done, total)` is called after each part with the weights done so far.
    """
    from pypdf import PdfReader, PdfWriter

    renderer = Renderer(static_folder)
    writer = PdfWriter()
    total = sum(weight for _html, weight in parts) or 1
    done, next_page = 0, 1
    for make_html, weight in parts:
        data, pages = renderer.part(make_html(), next_page)
        writer.append(PdfReader(io.BytesIO(data)))  # with its bookmarks (headings)
        next_page += pages
        done += weight
        if progress is not None:
            progress(done, total)
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
