"""The clause editor through its pages: the clauses read with their text, each edited in place,
moved up or down with buttons and added between two others; the buttons save nothing, and the
saved version keeps the order the editor showed."""

from __future__ import annotations

import re

from tests.drafts.pages import consultation, form_values, organiser_client, page_values, plain, text
from tests.drafts.test_draft_pages import clauses, create_typed, the_draft
from tests.support.state import row_counts

THREE = [("1", "Scope", "These norms apply to *States*."), ("2", "Duty", "Report."), ("3", "Care", "Take care.")]


def _draft(app, session, people, login_as, title: str = "Editor"):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    create_typed(client, c.id, title, THREE)
    return client, the_draft(session, title)


def _keys(values: dict) -> list[str]:
    rows = sorted({int(m.group(1)) for name in values if (m := re.match(r"clauses-(\d+)-number$", name))})
    return [values.get(f"clauses-{i}-key", "") for i in rows]


def _numbers(values: dict) -> list[str]:
    rows = sorted({int(m.group(1)) for name in values if (m := re.match(r"clauses-(\d+)-number$", name))})
    return [values[f"clauses-{i}-number"] for i in rows]


def test_the_editor_reads_as_the_text_with_no_position_numbers(app, session, people, login_as):
    client, draft = _draft(app, session, people, login_as)
    html = text(client.get(f"/drafts/{draft.id}/versions/new"))
    page = plain(html)
    assert "These norms apply to <em>States</em>." in html  # the text, rendered
    assert "Position" not in page and 'type="number"' not in html
    assert page.count("Edit") >= 3 and html.count('<details class="clause-edit"') == 3
    assert html.count('<details class="clause-edit" open') == 0  # existing clauses start folded
    # One button per move a clause can make: no "up" on the first, no "down" on the last.
    assert 'id="move-up-0"' not in html and 'id="move-down-2"' not in html
    assert all(f'id="move-up-{i}"' in html for i in (1, 2)) and all(f'id="move-down-{i}"' in html for i in (0, 1))
    assert "Move up Duty" not in page  # the clause's name is read with the button, not shown
    assert re.search(r"Move up\s*<span class=\"visually-hidden\"> 2 Duty</span>", html)


def test_moving_a_clause_saves_nothing_then_the_version_keeps_the_order(app, session, people, login_as):
    client, draft = _draft(app, session, people, login_as)
    v1 = {cl.number: cl.key for cl in clauses(session, draft, 1)}
    url = f"/drafts/{draft.id}/versions/new"
    before = row_counts(session)

    response = client.post(url, data={**form_values(client, url), "move": "2:up"})
    values = page_values(response)
    assert _numbers(values) == ["1", "3", "2"] and _keys(values) == [v1["1"], v1["3"], v1["2"]]
    assert re.search(r'id="move-up-1"[^>]*autofocus', text(response))  # the focus stays on the button
    values = page_values(client.post(url, data={**values, "move": "0:down"}))
    assert _numbers(values) == ["3", "1", "2"]
    response = client.post(url, data={**values, "move": "1:down"})
    assert _numbers(page_values(response)) == ["3", "2", "1"]
    assert re.search(r'id="move-up-2"[^>]*autofocus', text(response))  # at the bottom: its "up" button
    assert row_counts(session) == before  # moving saved nothing

    response = client.post(url, data=page_values(response))
    assert response.status_code == 302
    assert [cl.number for cl in clauses(session, draft, 2)] == ["3", "2", "1"]
    assert [cl.key for cl in clauses(session, draft, 2)] == [v1["3"], v1["2"], v1["1"]]


def test_adding_a_clause_between_two_others(app, session, people, login_as):
    client, draft = _draft(app, session, people, login_as)
    url = f"/drafts/{draft.id}/versions/new"
    response = client.post(url, data={**form_values(client, url), "insert": "0"})
    values = page_values(response)
    assert _numbers(values) == ["1", "", "2", "3"]
    html = text(response)
    assert re.search(r'id="clauses-1-number"[^>]*autofocus|autofocus[^>]*id="clauses-1-number"', html)
    assert html.count('<details class="clause-edit" open') == 1  # the new clause's fields, open
    values.update({"clauses-1-number": "1A", "clauses-1-heading": "Between", "clauses-1-body": "In between."})
    response = client.post(url, data={**values, "insert": "-1"})  # and one at the very beginning
    values = page_values(response)
    assert _numbers(values) == ["", "1", "1A", "2", "3"]
    values.update({"clauses-0-number": "0", "clauses-0-heading": "Foreword", "clauses-0-body": "First."})
    assert client.post(url, data=values).status_code == 302
    saved = clauses(session, draft, 2)
    assert [(cl.number, cl.heading) for cl in saved] == [
        ("0", "Foreword"), ("1", "Scope"), ("1A", "Between"), ("2", "Duty"), ("3", "Care")
    ]  # fmt: skip


def test_editing_in_place_survives_moves_and_is_marked(app, session, people, login_as):
    client, draft = _draft(app, session, people, login_as)
    url = f"/drafts/{draft.id}/versions/new"
    values = form_values(client, url)
    values["clauses-1-body"] = "Report **promptly**."
    values["clauses-2-remove"] = "y"
    response = client.post(url, data={**values, "move": "1:up"})
    html, values = text(response), page_values(response)
    assert values["clauses-0-body"] == "Report **promptly**." and values["clauses-2-remove"] == "y"
    assert "<strong>promptly</strong>" in html
    page = plain(html)
    assert "2 Duty changed" in page and "3 Care removed from the new version" in page
    assert client.post(url, data=values).status_code == 302
    saved = clauses(session, draft, 2)
    assert [(cl.number, cl.body) for cl in saved] == [("2", "Report **promptly**."), ("1", THREE[0][2])]


def test_editor_buttons_refuse_a_stale_token_and_ignore_malformed_values(app, session, people, login_as):
    client, draft = _draft(app, session, people, login_as)
    url = f"/drafts/{draft.id}/versions/new"
    values = form_values(client, url)
    response = client.post(url, data={**values, "csrf_token": "stale", "move": "1:up"})
    assert response.status_code == 400 and "this form had been open too long" in text(response)
    assert _numbers(page_values_any(response)) == ["1", "2", "3"]  # the input comes back as it was
    for bad in ("x:up", "1:sideways", "99:up", "0:up", "2:down", "-1:down", "1" * 40 + ":up"):
        response = client.post(url, data={**values, "move": bad})
        assert _numbers(page_values(response)) == ["1", "2", "3"], bad  # shown again, not saved
    for bad in ("x", "--1", "1" * 40):
        response = client.post(url, data={**values, "insert": bad})
        assert _numbers(page_values(response)) == ["1", "2", "3"], bad
    for far in ("99", "-7"):  # as far as it goes: at the end, at the beginning
        response = client.post(url, data={**values, "insert": far})
        assert len(_numbers(page_values(response))) == 4, far
    assert len(clauses(session, draft, 1)) == 3 and not clauses_or_none(session, draft, 2)


def test_a_new_draft_uses_the_same_editor(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    url = f"/consultations/{c.id}/drafts/new"
    values = form_values(client, url)
    values.update({"title": "Fresh", "clauses-0-number": "1", "clauses-0-heading": "A", "clauses-0-body": "a"})
    values.update({"clauses-1-number": "2", "clauses-1-heading": "B", "clauses-1-body": "b"})
    values = page_values(client.post(url, data={**values, "move": "1:up"}))
    assert _numbers(values)[:2] == ["2", "1"] and values["title"] == "Fresh"
    assert client.post(url, data=values).status_code == 302
    assert [cl.number for cl in clauses(session, the_draft(session, "Fresh"), 1)] == ["2", "1"]


def clauses_or_none(session, draft, number: int) -> list:
    from sqlalchemy import select

    from consult.drafts.models import DraftVersion
    from tests.support.state import fresh

    version = fresh(session).scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft.id, DraftVersion.number == number)
    )
    return [] if version is None else clauses(session, draft, number)


def page_values_any(response) -> dict:
    """The form's values whatever the status (a refusal that gives the input back)."""
    from tests.drafts.pages import FormParser

    parser = FormParser()
    parser.feed(text(response))
    return parser.values
