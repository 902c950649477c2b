"""Import a draft version from Markdown: each heading starts a clause.

A heading reads `## 3.2 Heading text`: the first word is the clause number, the rest is the
heading. Numbers are written as committees write them: digits and dots (3.2), lettered
(A.1, B.2.3) or suffixed (6.1.1A, 13a). Annexes read `## Annex A (informative) Title` (number
"Annex A"). The front and back matter of a standard is not numbered: the document's first
heading, when it has no number, is its title (number "Title"), and "Foreword",
"Introduction" and "Bibliography" are clauses of those names, so that comments can refer to
them as committees do. Text before the first heading, another heading without a number, a
repeated number or an empty file is refused, and every problem is reported with its line, so
that nothing is half-imported. A clause's text keeps its indentation (an indented code block
may open it); only blank lines around it are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NUMBER_RE = re.compile(r"^(?:[A-Za-z]\.?)?\d+(?:\.\d+)*[A-Za-z]?\.?$")
ANNEX_RE = re.compile(r"^(annex|appendix)\s+([A-Z](?:\.\d+)*)\b[\s.:—–-]*(.*)$", re.IGNORECASE)
UNNUMBERED = {"foreword": "Foreword", "introduction": "Introduction", "bibliography": "Bibliography"}
MAX_BYTES = 1_000_000
MAX_CLAUSES = 1000


@dataclass
class ClauseText:
    """A clause as typed or imported; `key` is None for a new clause."""

    number: str
    heading: str
    body: str
    key: str | None = None


@dataclass
class ImportProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return _("line %(n)d: %(reason)s", n=self.line, reason=self.reason) if self.line else self.reason


class MarkdownImportError(ValueError):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def trim_body(text: str) -> str:
    """The text without the blank lines around it, its first line's indentation kept (an
    indented code block at the start of a clause is code, not a paragraph)."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


def split_heading(text: str, first: bool = False) -> tuple[str | None, str]:
    """(number, heading) of a heading's text; number None when it has none it may do without.

    `first`: the document's first heading, which may be its unnumbered title.
    """
    text = text.strip()
    annex = ANNEX_RE.match(text)
    if annex:
        return f"{annex.group(1).capitalize()} {annex.group(2).upper()}", annex.group(3).strip()
    plain = text.rstrip(".:").strip()
    if plain.casefold() in UNNUMBERED:
        return plain, ""
    number, _sep, heading = text.partition(" ")
    if NUMBER_RE.match(number):
        return number.rstrip("."), heading.strip()
    if first:
        return "Title", text
    return None, text


def parse_markdown(data: bytes | str) -> list[ClauseText]:
    """Clauses of a Markdown document; raises MarkdownImportError listing every problem."""
    problems: list[ImportProblem] = []
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise MarkdownImportError(
                [
                    ImportProblem(
                        0,
                        ngettext(
                            "the file is larger than %(num)d kB",
                            "the file is larger than %(num)d kB",
                            MAX_BYTES // 1000,
                        ),
                    )
                ]
            )
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise MarkdownImportError([ImportProblem(line, _("the file is not UTF-8 text"))]) from None
    clauses: list[ClauseText] = []
    seen: dict[str, int] = {}
    body: list[str] = []
    in_fence = False
    for lineno, line in enumerate(data.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else HEADING_RE.match(line)
        if match is None:
            if clauses:
                body.append(line)
            elif line.strip():
                problems.append(
                    ImportProblem(lineno, _("text before the first heading; every clause starts with a heading"))
                )
            continue
        if clauses:
            clauses[-1].body = trim_body("\n".join(body))
        body = []
        number, heading = split_heading(match.group(2), first=not clauses)
        if number is None:
            problems.append(
                ImportProblem(
                    lineno,
                    _(
                        "the heading “%(h)s” has no clause number (write “## 3.2 Heading”)",
                        h=match.group(2)[:60],
                    ),
                )
            )
            number, heading = f"?{lineno}", match.group(2)
        number = number.rstrip(".")
        if number in seen:
            problems.append(
                ImportProblem(
                    lineno,
                    _(
                        "clause number %(n)s is used again (first on line %(first)d)",
                        n=number,
                        first=seen[number],
                    ),
                )
            )
        seen.setdefault(number, lineno)
        if len(heading) > 300:
            problems.append(ImportProblem(lineno, _("the heading is longer than 300 characters")))
        clauses.append(ClauseText(number=number, heading=heading.strip()[:300], body=""))
    if clauses:
        clauses[-1].body = trim_body("\n".join(body))
    if not clauses and not problems:
        problems.append(ImportProblem(0, _("the file has no headings, so no clauses")))
    if len(clauses) > MAX_CLAUSES:
        problems.append(
            ImportProblem(0, ngettext("more than %(num)d clause", "more than %(num)d clauses", MAX_CLAUSES))
        )
    if problems:
        raise MarkdownImportError(problems)
    return clauses
