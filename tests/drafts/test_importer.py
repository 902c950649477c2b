"""Markdown import: headings become clauses; every problem is reported with its line."""

from __future__ import annotations

import pytest

from consult.drafts.importer import MAX_BYTES, MarkdownImportError, parse_markdown


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context():  # messages are translated
        yield


def problems(data: bytes | str) -> list[str]:
    with pytest.raises(MarkdownImportError) as caught:
        parse_markdown(data)
    return [str(p) for p in caught.value.problems]


def test_headings_become_clauses_with_number_heading_and_body():
    clauses = parse_markdown(
        "# 1 Scope\n\nThese norms apply.\n\n## 2.1. Disclosure ##\n\nReport\n\nquickly.\n\n### A.1 Annex\n"
    )
    assert [(c.number, c.heading) for c in clauses] == [("1", "Scope"), ("2.1", "Disclosure"), ("A.1", "Annex")]
    assert clauses[0].body == "These norms apply."
    assert clauses[1].body == "Report\n\nquickly."
    assert clauses[2].body == ""
    assert all(c.key is None for c in clauses)


def test_bytes_with_a_bom_and_crlf_are_read():
    clauses = parse_markdown("\ufeff# 1 Scope\r\nText\r\n".encode())
    assert [(c.number, c.heading, c.body) for c in clauses] == [("1", "Scope", "Text")]


def test_a_heading_inside_a_code_fence_is_text():
    clauses = parse_markdown("# 1 Code\n\n```\n# 2 not a heading\n```\n")
    assert len(clauses) == 1 and "# 2 not a heading" in clauses[0].body


def test_text_before_the_first_heading():
    assert problems("\nPreamble\n# 1 A\n") == [
        "line 2: text before the first heading; every clause starts with a heading"
    ]


def test_missing_number():
    assert problems("# 1 A\n## Definitions\n") == [
        "line 2: the heading “Definitions” has no clause number (write “## 3.2 Heading”)"
    ]


def test_duplicate_number_names_both_lines():
    assert problems("# 1 A\n\n# 1. B\n") == ["line 3: clause number 1 is used again (first on line 1)"]


def test_non_utf8_names_the_line():
    assert problems(b"# 1 A\nok\n\xff\xfe bad\n") == ["line 3: the file is not UTF-8 text"]


@pytest.mark.parametrize("data", [b"", b"   \n\n", ""])
def test_empty(data):
    assert problems(data) == ["the file has no headings, so no clauses"]


def test_text_without_headings():
    assert problems("no headings\nat all\n") == [
        "line 1: text before the first heading; every clause starts with a heading",
        "line 2: text before the first heading; every clause starts with a heading",
    ]


def test_every_problem_is_reported_at_once():
    found = problems("intro\n# 1 A\n## Heading\n# 1 C\n" + "# 9 " + "x" * 301 + "\n")
    assert [p.split(":")[0] for p in found] == ["line 1", "line 3", "line 4", "line 5"]


def test_too_large():
    assert problems(b"# 1 A\n" + b"x" * MAX_BYTES) == ["the file is larger than 1,000 kB"]


def test_front_matter_annexes_and_lettered_numbers_become_clauses():
    clauses = parse_markdown(
        "# Information security — Disclosure\n\nDraft.\n\n## Foreword\n\nISO is a federation.\n\n"
        "## Introduction\n\nWhy.\n\n## 1 Scope\n\nThis.\n\n## 6.1.1A Channels\n\nText.\n\n## 13a Embargo\n\nText.\n\n"
        "## Annex A (informative) Example policy\n\nExample.\n\n### A.1 Policy text\n\nText.\n\n"
        "## Appendix B: Formats\n\nFields.\n\n## Bibliography\n\n[1] A book\n"
    )
    assert [(c.number, c.heading) for c in clauses] == [
        ("Title", "Information security — Disclosure"),
        ("Foreword", ""),
        ("Introduction", ""),
        ("1", "Scope"),
        ("6.1.1A", "Channels"),
        ("13a", "Embargo"),
        ("Annex A", "(informative) Example policy"),
        ("A.1", "Policy text"),
        ("Appendix B", "Formats"),
        ("Bibliography", ""),
    ]
    assert clauses[0].body == "Draft."


def test_an_indented_code_block_may_open_a_clause():
    clauses = parse_markdown(
        "# 1 Commands\n\n    gpg --encrypt report.txt\n    gpg --sign report.txt\n\nThen send it.\n"
    )
    assert clauses[0].body == "    gpg --encrypt report.txt\n    gpg --sign report.txt\n\nThen send it."
    from consult.markup import render_markdown

    assert render_markdown(clauses[0].body).startswith("<pre><code>gpg --encrypt")


def test_an_unnumbered_heading_after_the_title_is_still_refused():
    assert problems("# A title\n\n## Definitions\n") == [
        "line 3: the heading “Definitions” has no clause number (write “## 3.2 Heading”)"
    ]
