"""Committees' decision words: read from an observation, written into the ISO form's cell."""

from __future__ import annotations

import pytest

from consult.dispositions.models import DispositionKind as K
from consult.dispositions.vocabulary import cell, read


@pytest.mark.parametrize(
    ("observation", "kind", "ref"),
    [
        ("Accepted.", K.ACCEPTED, ""),
        ("accepted", K.ACCEPTED, ""),
        ("Agreed.", K.ACCEPTED, ""),
        ("Accepted in principle. Reworded.", K.ACCEPTED_IN_PRINCIPLE, ""),
        ("Accepted with modifications: see the text.", K.ACCEPTED_WITH_MODIFICATIONS, ""),
        ("Accepted with changes", K.ACCEPTED_WITH_MODIFICATIONS, ""),
        ("Partially accepted: scope only.", K.PARTIALLY_ACCEPTED, ""),
        ("Not accepted. Out of scope.", K.NOT_ACCEPTED, ""),
        ("Rejected.", K.NOT_ACCEPTED, ""),
        ("Disagree: out of scope.", K.NOT_ACCEPTED, ""),
        ("Noted", K.NOTED, ""),
        ("Duplicate of US 021", K.DUPLICATE, "US 021"),
        ("Duplicate of KR-003. Same answer.", K.DUPLICATE, "KR-003"),
        ("See comment C-1", K.DUPLICATE, "C-1"),
        ("Deferred to the next edition.", K.DEFERRED, ""),
        ("Unresolved: deferred to a later round", K.DEFERRED, ""),
        ("Completed.", K.COMPLETED, ""),
        ("“Accepted”", K.ACCEPTED, ""),
    ],
)
def test_decisions_are_read_from_the_first_words(observation, kind, ref):
    reading = read(observation)
    assert (reading.kind, reading.stated, reading.duplicate_ref) == (kind, True, ref)


@pytest.mark.parametrize("observation", ["The editor will consider this.", "Acceptable wording exists.", "Notes"])
def test_words_that_state_no_decision_read_as_noted(observation):
    assert (read(observation).kind, read(observation).stated) == (K.NOTED, False)


def test_the_cell_keeps_the_words_and_names_a_decision_they_do_not_state():
    assert (
        cell(K.NOT_ACCEPTED, "Not accepted. Clause 7 says so.\n", "Not accepted") == "Not accepted. Clause 7 says so.\n"
    )
    assert cell(K.ACCEPTED_IN_PRINCIPLE, "Reworded.", "Accepted in principle") == "Accepted in principle. Reworded."
    assert cell(K.ACCEPTED, "", "Accepted") == "Accepted"
    assert cell(K.DUPLICATE, "", "Duplicate of", "US 021") == "Duplicate of US 021"
    assert cell(K.NOTED, "The editor will consider this.", "Noted") == "The editor will consider this."
    # What the cell says is read back as the same decision.
    for kind, label in ((K.DEFERRED, "Unresolved: deferred to a later round"), (K.COMPLETED, "Completed"),
                        (K.ACCEPTED_WITH_MODIFICATIONS, "Accepted with modifications")):  # fmt: skip
        assert read(cell(kind, "Some words.", label)).kind is kind


@pytest.mark.parametrize(
    ("observation", "kind", "ref"),
    [
        ("Accepté sur le principe. Reformulé.", K.ACCEPTED_IN_PRINCIPLE, ""),
        ("Accepté.", K.ACCEPTED, ""),
        ("Non accepté : hors du champ.", K.NOT_ACCEPTED, ""),
        ("Refusé. La clause le dit déjà.", K.NOT_ACCEPTED, ""),
        ("Doublon de KR-003. Même réponse.", K.DUPLICATE, "KR-003"),
        ("Aceptado con modificaciones", K.ACCEPTED_WITH_MODIFICATIONS, ""),
        ("Принято к сведению.", K.NOTED, ""),
        ("Принято.", K.ACCEPTED, ""),
        ("Дубликат замечания US 021", K.DUPLICATE, "US 021"),
        ("部分采纳。", K.PARTIALLY_ACCEPTED, ""),
        ("غير مقبول. خارج النطاق.", K.NOT_ACCEPTED, ""),
    ],
)
def test_the_products_own_decision_names_are_read_in_each_language(app, observation, kind, ref):
    """A table exported on a French (Russian, Chinese, …) page is imported on an English one: the
    decisions its cells name in that language read back the same."""
    from consult.dispositions.forms import decision_labels

    with app.test_request_context("/"):
        labels = decision_labels()
    reading = read(observation, labels)
    assert (reading.kind, reading.stated, reading.duplicate_ref) == (kind, True, ref)
