"""Import a draft version from Markdown: each heading starts a clause.

A heading reads `## 3.2 Heading text`: the first word is the clause number (digits and dots,
or a letter-and-digit code such as A.1), the rest is the heading. Text before the first
heading, a heading without a number, a repeated number or an empty file is refused, and every
problem is reported with its line, so that nothing is half-imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NUMBER_RE = re.compile(r"^(?:[A-Za-z]\.?)?\d+(?:\.\d+)*\.?$")
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


def parse_markdown(data: bytes | str) -> list[ClauseText]:
    """Clauses of a Markdown document; raises MarkdownImportError listing every problem."""
    problems: list[ImportProblem] = []
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise MarkdownImportError([ImportProblem(0, _("the file is larger than %(n)d kB", n=MAX_BYTES // 1000))])
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
            clauses[-1].body = "\n".join(body).strip()
        body = []
        number, _sep, heading = match.group(2).partition(" ")
        if not NUMBER_RE.match(number):
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
        clauses[-1].body = "\n".join(body).strip()
    if not clauses and not problems:
        problems.append(ImportProblem(0, _("the file has no headings, so no clauses")))
    if len(clauses) > MAX_CLAUSES:
        problems.append(ImportProblem(0, _("more than %(n)d clauses", n=MAX_CLAUSES)))
    if problems:
        raise MarkdownImportError(problems)
    return clauses
