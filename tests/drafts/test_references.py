"""Clause references as committees write them, resolved against a version's clauses."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from consult.drafts.references import ClauseIndex


@dataclass
class C:
    key: str
    number: str
    heading: str
    position: int


NUMBERS = ["Title", "Foreword", "Introduction", "1", "2", "3", "3.1", "5", "6", "6.1", "6.1.1", "6.1.1A", "6.2",
           "6.3", "6.4", "7", "13", "Annex A", "A.1", "Annex C", "C.2", "Bibliography"]  # fmt: skip
INDEX = ClauseIndex([C(f"k-{n}", n, "Scope" if n == "1" else "", i) for i, n in enumerate(NUMBERS)])


@pytest.mark.parametrize(
    ("written", "keys", "unknown"),
    [
        ("General", [], []),
        ("general", [], []),
        ("", [], []),
        ("—", [], []),
        ("Foreword", ["Foreword"], []),
        ("Introduction", ["Introduction"], []),
        ("Title", ["Title"], []),
        ("Annex C", ["Annex C"], []),
        ("annex c", ["Annex C"], []),
        ("C", ["Annex C"], []),
        ("C.2", ["C.2"], []),
        ("Annex C.2", ["C.2"], []),
        ("Table 2", [], []),
        ("Figure A.1", [], []),
        ("6.2 and 7", ["6.2", "7"], []),
        ("6.2, 7 and Annex A", ["6.2", "7", "Annex A"], []),
        ("6.1.1A", ["6.1.1A"], []),
        ("6.1.1a", ["6.1.1A"], []),
        ("13(a)", ["13"], []),
        ("13 a)", ["13"], []),
        ("Clause 5", ["5"], []),
        ("Subclause 6.1", ["6.1"], []),
        ("§ 7", ["7"], []),
        ("6.2.", ["6.2"], []),
        ("6.2–6.4", ["6.2", "6.3", "6.4"], []),
        ("Scope", ["1"], []),
        ("99", [], ["99"]),
        ("6.2 and 99", ["6.2"], ["99"]),
        ("Bibliography", ["Bibliography"], []),
    ],
)
def test_references_name_the_clauses_committees_mean(written, keys, unknown):
    found = INDEX.resolve(written)
    assert found.keys == [f"k-{n}" for n in keys]
    assert found.unknown == unknown
    assert found.primary == (f"k-{keys[0]}" if keys else None)
