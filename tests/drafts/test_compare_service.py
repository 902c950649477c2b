"""services.compare and word_diff: clause by clause on stable keys, words escaped."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from consult.drafts import services
from consult.drafts.importer import ClauseText
from tests.drafts.pages import consultation


@pytest.fixture
def organiser(people):
    return people["organiser"]


def test_compare_statuses_follow_keys_in_the_new_order(session, organiser):
    draft = services.create_draft(session, actor=organiser, consultation=consultation(session), title="D")
    v1 = services.create_version(
        session,
        actor=organiser,
        draft=draft,
        clauses=[ClauseText("1", "Scope", "Old."), ClauseText("2", "Gone", "x"), ClauseText("3", "Same", "y")],
    )
    keys = {c.number: c.key for c in services.clauses_of(session, v1)}
    v2 = services.create_version(
        session,
        actor=organiser,
        draft=draft,
        clauses=[
            ClauseText("3", "Same", "y", key=keys["3"]),
            ClauseText("4", "New", "z"),
            ClauseText("1.1", "Scope", "Old.", key=keys["1"]),  # renumbered: changed
        ],
    )
    rows = services.compare(session, v1, v2)
    assert [(r.status, (r.new or r.old).number) for r in rows] == [
        ("unchanged", "3"),
        ("added", "4"),
        ("changed", "1.1"),
        ("removed", "2"),
    ]
    assert rows[1].old is None and rows[3].new is None
    assert str(rows[1].body_diff) == "<ins>z</ins>" and str(rows[3].body_diff) == "<del>x</del>"
    assert "<del>1</del><ins>1.1</ins>" in str(rows[2].heading_diff)
    assert services.clause_status(session, keys["2"], v1, v2) == "deleted"
    assert services.clause_status(session, keys["3"], v1, v2) == "unchanged"
    assert services.clause_status(session, keys["1"], v1, v2) == "changed"
    session.rollback()


def test_word_diff_escapes_both_sides():
    out = services.word_diff("<b>old</b> text", '<script>alert("x")</script> text')
    assert isinstance(out, Markup)
    assert "<script>" not in out and "<b>" not in out
    assert "<del>&lt;b&gt;old&lt;/b&gt;</del>" in out
    assert "<ins>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</ins>" in out
    assert out.endswith(" text")


def test_word_diff_of_equal_texts_marks_nothing():
    assert services.word_diff("a  b\nc", "a  b\nc") == "a  b\nc"
