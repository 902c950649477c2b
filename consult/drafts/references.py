"""Clause references as committees write them, resolved against a version's clauses.

"General", "Foreword", "Introduction", "Annex C", "Table 2", "6.2 and 7", "6.1.1A", "13(a)",
"Clause 5", "6.2-6.4": a reference names zero or more clauses. The first clause it names is
the comment's primary clause (the round page groups comments by it); the others are kept as
further clauses (`CommentClause`). A reference to the whole text ("General") or to an element
that is not a clause ("Table 2", "Figure 3") names none: the comment is a general one, its
reference kept as written. A part that looks like a clause number but matches none is
reported, so that a comment is never filed under the wrong clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Words for the whole text (compared casefolded, without punctuation).
GENERAL_WORDS = frozenset(
    {"", "general", "generally", "all", "whole", "whole document", "whole text", "entire document", "overall",
     "document", "n/a", "na", "none", "various", "throughout", "global",
     # How consult's exports write a general comment's clause cell in its other languages.
     "général", "generales", "общее", "общие", "一般性", "总体", "عام"}
)  # fmt: skip
# Elements of the text that are not clauses: a reference to them alone is a general comment.
ELEMENT_RE = re.compile(
    r"^(?:table|tab\.|figure|fig\.|note|notes|example|examples|equation|formula|footnote|list|item|"
    r"paragraph|para\.?|bullet|title|cover|toc|table of contents|contents|bibliography|index|"
    r"terms|definitions)\b",
    re.IGNORECASE,
)
PREFIX_RE = re.compile(r"^(?:sub-?clauses?|clauses?|sections?|sec\.|cl\.|§+|chapter|article|art\.)\s*", re.IGNORECASE)
SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|&|\+|\bet\b|\by\b|\bund\b)\s*", re.IGNORECASE)
RANGE_RE = re.compile(r"^(.+?)\s*(?:\bto\b|–|—|-|\.\.)\s*(.+)$", re.IGNORECASE)
# Something that looks like a clause number: 6, 6.2, 6.1.1A, A.2, 13(a), Annex C, 0.1.
NUMBER_LIKE_RE = re.compile(
    r"^(?:annex\s+)?(?:[a-z](?:\.\d+)*|\d+(?:\.\d+)*[a-z]?)(?:\s*\(?[a-z0-9]{1,4}\))*\.?$", re.IGNORECASE
)
SUBITEM_RE = re.compile(r"\s*\(?[a-z0-9]{1,4}\)$", re.IGNORECASE)  # "13(a)", "4 b)", "5.2 (iii)"


@dataclass
class Resolved:
    """What a reference names: clause keys in the order written, and the parts that name none."""

    keys: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # looks like a clause number, matches none

    @property
    def primary(self) -> str | None:
        return self.keys[0] if self.keys else None

    @property
    def others(self) -> list[str]:
        return self.keys[1:]


def norm(number: str) -> str:
    """A clause number compared loosely: case, spaces and a final dot do not count."""
    return re.sub(r"\s+", "", number).casefold().rstrip(".")


class ClauseIndex:
    """A version's clauses by number (and heading), to resolve references against."""

    def __init__(self, clauses: list[Any]) -> None:
        # `clauses`: objects with .key, .number, .heading, .position (rows or Clause objects).
        self.ordered = sorted(clauses, key=lambda c: c.position)
        self.by_number: dict[str, str] = {}
        self.by_heading: dict[str, str] = {}
        self.position = {c.key: c.position for c in self.ordered}
        for clause in self.ordered:
            self.by_number.setdefault(norm(clause.number), clause.key)
            if clause.heading:
                self.by_heading.setdefault(" ".join(clause.heading.casefold().split()), clause.key)
        self.number_of = {c.key: c.number for c in self.ordered}

    def find(self, part: str) -> str | None:
        """The key of the clause `part` names, or None."""
        text = PREFIX_RE.sub("", part.strip()).strip()
        if not text:
            return None
        for candidate in _candidates(text):
            key = self.by_number.get(norm(candidate))
            if key is not None:
                return key
        return self.by_heading.get(" ".join(text.casefold().split()))

    def resolve(self, reference: str) -> Resolved:
        """The clauses `reference` names (see the module docstring)."""
        found = Resolved()
        text = reference.strip()
        if _plain(text) in GENERAL_WORDS:
            return found
        for part in (p for p in SPLIT_RE.split(text) if p and p.strip()):
            part = part.strip()
            if _plain(part) in GENERAL_WORDS:
                continue
            key = self.find(part)
            if key is not None:
                _add(found.keys, key)
                continue
            if self._range(part, found):
                continue
            if ELEMENT_RE.match(part) or not NUMBER_LIKE_RE.match(PREFIX_RE.sub("", part)):
                # "Table 2", "Figure A.1", free words: not a clause; kept as written, files nothing.
                continue
            found.unknown.append(part)
        return found

    def _range(self, part: str, found: Resolved) -> bool:
        match = RANGE_RE.match(part)
        if match is None:
            return False
        first, last = self.find(match.group(1)), self.find(match.group(2))
        if first is None or last is None:
            return False
        low, high = sorted((self.position[first], self.position[last]))
        _add(found.keys, first)
        for clause in self.ordered:
            if low <= clause.position <= high:
                _add(found.keys, clause.key)
        return True


def _add(keys: list[str], key: str) -> None:
    if key not in keys:
        keys.append(key)


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[.:;,*()\[\]]", " ", text).casefold().split())


def _candidates(text: str) -> list[str]:
    """`text` and what it may stand for: "Annex C" for "C" and "C" for "Annex C", "13" for "13(a)"."""
    out = [text]
    bare = SUBITEM_RE.sub("", text).strip()
    while bare and bare != out[-1]:
        out.append(bare)
        bare = SUBITEM_RE.sub("", bare).strip()
    for item in list(out):
        if item.casefold().startswith("annex"):
            out.append(item[5:].strip())
        elif re.fullmatch(r"[A-Za-z](?:\.\d+)*", item.strip()):
            out.append(f"Annex {item.strip()}")
    return out
