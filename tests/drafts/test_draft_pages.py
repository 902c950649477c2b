"""Drafts through their pages: a first version typed or imported, the next version edited
clause by clause (keys kept, new, dropped), Markdown import problems, and sanitized text."""

from __future__ import annotations

from io import BytesIO

from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.drafts.models import Clause, Draft, DraftVersion
from tests.drafts.pages import consultation, form_values, organiser_client, page_values, plain, text
from tests.support.html import parse
from tests.support.state import fresh, row_counts

GOOD_MARKDOWN = b"""# 1 Scope

These norms apply to States.

## 2 Vulnerability disclosure

States should report vulnerabilities
to the vendor.

## 2.1 Coordination

Coordinate with CERTs.
"""


def typed_rows(values: dict, clauses: list[tuple[str, str, str]]) -> dict:
    """Fill the first empty rows of an editor form with (number, heading, body), adding rows at
    the end when there are too few (as "Add a clause below" on the last clause does)."""
    rows = [i for i in range(100) if f"clauses-{i}-number" in values]
    free = [i for i in rows if not values.get(f"clauses-{i}-key") and not values.get(f"clauses-{i}-number")]
    free += list(range(max(rows, default=-1) + 1, max(rows, default=-1) + 1 + len(clauses) - len(free)))
    for index, (number, heading, body) in zip(free, clauses, strict=False):
        values.update(
            {f"clauses-{index}-number": number, f"clauses-{index}-heading": heading, f"clauses-{index}-body": body}
        )
    return values


def create_typed(client, consultation_id: int, title: str, clauses: list[tuple[str, str, str]]):
    values = form_values(client, f"/consultations/{consultation_id}/drafts/new")
    values["title"] = title
    return client.post(f"/consultations/{consultation_id}/drafts/new", data=typed_rows(values, clauses))


def the_draft(session, title: str) -> Draft:
    return fresh(session).scalar(select(Draft).where(Draft.title == title))


def clauses(session, draft: Draft, number: int) -> list[Clause]:
    version = fresh(session).scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft.id, DraftVersion.number == number)
    )
    assert version is not None, f"no version {number}"
    return list(session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.position)))


def test_organiser_creates_a_draft_with_typed_clauses(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    response = create_typed(
        client, c.id, "Norms of responsible behaviour", [("1", "Scope", "All *States*."), ("2", "Duty", "Report.")]
    )
    assert response.status_code == 302
    draft = the_draft(session, "Norms of responsible behaviour")
    assert response.headers["Location"].endswith(f"/drafts/{draft.id}")
    rows = clauses(session, draft, 1)
    assert [(r.number, r.heading, r.body) for r in rows] == [("1", "Scope", "All *States*."), ("2", "Duty", "Report.")]
    assert "<em>States</em>" in rows[0].body_html
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["draft.create", "draft.version_create"]
    page = text(client.get(f"/drafts/{draft.id}"))
    assert "Version 1" in page and f"/versions/{rows[0].version_id}" in page


def test_empty_rows_are_ignored_and_a_draft_needs_a_clause_or_a_file(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    before = row_counts(session)
    response = create_typed(client, c.id, "Empty", [])
    assert response.status_code == 400
    assert "Type at least one clause, or choose a Markdown file to import." in text(response)
    response = create_typed(client, c.id, "No number", [("", "Heading without a number", "Text")])
    assert response.status_code == 400
    assert "Give this clause a number." in text(response)
    assert "Heading without a number" in text(response)  # the input comes back
    assert row_counts(session) == before


def test_more_rows_button_saves_nothing(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    before = row_counts(session)
    values = typed_rows(form_values(client, f"/consultations/{c.id}/drafts/new"), [("1", "Kept", "Kept text")])
    response = client.post(f"/consultations/{c.id}/drafts/new", data={**values, "title": "T", "add_rows": "1"})
    assert response.status_code == 200
    page = text(response)
    assert "clauses-7-number" in page and "Kept text" in page
    assert row_counts(session) == before


def test_next_version_keeps_keys_of_edited_clauses_and_drops_removed_ones(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    create_typed(
        client, c.id, "Disclosure", [("1", "Scope", "Old scope."), ("2", "Gone", "Bye."), ("3", "Same", "Same.")]
    )
    draft = the_draft(session, "Disclosure")
    v1 = {cl.number: cl.key for cl in clauses(session, draft, 1)}

    values = form_values(client, f"/drafts/{draft.id}/versions/new")
    assert values["clauses-0-key"] == v1["1"] and values["clauses-0-body"] == "Old scope."
    assert "clauses-3-number" not in values  # no empty rows: "Add a clause below" makes one
    values = page_values(client.post(f"/drafts/{draft.id}/versions/new", data={**values, "insert": "2"}))
    assert values["clauses-3-key"] == "" and values["clauses-3-number"] == ""
    values["clauses-0-body"] = "New scope."
    values["clauses-1-remove"] = "y"
    values["clauses-2-position"] = "5"  # clause 3 moves first
    typed_rows(values, [("4", "Brand new", "Fresh text.")])
    values["note"] = "Second reading"
    response = client.post(f"/drafts/{draft.id}/versions/new", data=values)
    assert response.status_code == 302, plain(text(response))

    v2 = clauses(session, draft, 2)
    assert [cl.number for cl in v2] == ["3", "1", "4"]
    assert v2[0].key == v1["3"] and v2[1].key == v1["1"]
    assert v2[1].body == "New scope."
    assert v2[2].key not in v1.values()
    assert v1["2"] not in {cl.key for cl in v2}
    assert [cl.number for cl in clauses(session, draft, 1)] == ["1", "2", "3"]  # v1 is untouched
    version = session.scalar(select(DraftVersion).where(DraftVersion.id == v2[0].version_id))
    assert version.note == "Second reading"
    assert response.headers["Location"].endswith(f"/versions/{version.id}")


def test_a_forged_key_or_a_stale_base_writes_nothing(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    create_typed(client, c.id, "Keys", [("1", "One", "Text.")])
    draft = the_draft(session, "Keys")
    before = row_counts(session)

    values = form_values(client, f"/drafts/{draft.id}/versions/new")
    response = client.post(f"/drafts/{draft.id}/versions/new", data={**values, "clauses-0-key": "deadbeefdeadbeef"})
    assert response.status_code == 400
    assert "refers to a clause of the previous version that does not exist" in text(response)

    response = client.post(f"/drafts/{draft.id}/versions/new", data={**values, "base": "7"})
    assert response.status_code == 409
    assert "Someone saved a new version meanwhile" in text(response)

    response = client.post(
        f"/drafts/{draft.id}/versions/new", data=typed_rows(dict(values), [("1", "Twice", "Same number.")])
    )
    assert response.status_code == 400
    assert "Clause number 1 is used twice." in text(response)
    assert row_counts(session) == before


def test_a_stale_csrf_token_keeps_the_input(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    values = typed_rows(form_values(client, f"/consultations/{c.id}/drafts/new"), [("1", "Kept", "My long text")])
    values.update(title="Mine", csrf_token="stale")
    response = client.post(f"/consultations/{c.id}/drafts/new", data=values)
    assert response.status_code == 400
    assert "this form had been open too long" in text(response) and "My long text" in text(response)
    assert the_draft(session, "Mine") is None


def upload(client, url: str, content: bytes, filename: str = "draft.md", **extra):
    values = form_values(client, url)
    return client.post(
        url, data={**values, **extra, "file": (BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def test_create_a_draft_from_markdown(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    response = upload(client, f"/consultations/{c.id}/drafts/new", GOOD_MARKDOWN, title="Imported")
    assert response.status_code == 302, plain(text(response))
    rows = clauses(session, the_draft(session, "Imported"), 1)
    assert [(r.number, r.heading) for r in rows] == [
        ("1", "Scope"),
        ("2", "Vulnerability disclosure"),
        ("2.1", "Coordination"),
    ]
    assert rows[1].body == "States should report vulnerabilities\nto the vendor."


def test_import_next_version_matches_clauses_by_heading_then_number(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    upload(client, f"/consultations/{c.id}/drafts/new", GOOD_MARKDOWN, title="Imported")
    draft = the_draft(session, "Imported")
    v1 = {cl.heading: cl.key for cl in clauses(session, draft, 1)}
    second = b"# 1 Scope\n\nChanged.\n\n## 2 Disclosure of vulnerabilities\n\nText.\n\n## 3 New clause\n\nNew.\n"
    response = upload(client, f"/drafts/{draft.id}/import", second, note="From the editor")
    assert response.status_code == 302, plain(text(response))
    v2 = clauses(session, draft, 2)
    assert v2[0].key == v1["Scope"]  # same heading
    assert v2[1].key == v1["Vulnerability disclosure"]  # same number
    assert v2[2].key not in v1.values()  # 3 is new; 2.1 was dropped
    assert len(v2) == 3


BAD_FILES = {
    "text before the first heading": (b"Preamble.\n\n# 1 Scope\nText\n", ["line 1: text before the first heading"]),
    "a heading without a number": (
        b"# 1 Scope\n\n## Definitions\n",
        ["line 3: the heading “Definitions” has no clause number"],
    ),
    "a repeated number": (b"# 1 A\n\n# 2 B\n\n# 2 C\n", ["line 5: clause number 2 is used again (first on line 3)"]),
    "not UTF-8": (b"# 1 Scope\n\nCaf\xe9\n", ["line 3: the file is not UTF-8 text"]),
    "an empty file": (b"", ["the file has no headings, so no clauses"]),
    "several problems": (
        b"intro\n# 1 A\n## B\n# 1 C\n",
        [
            "line 1: text before the first heading",
            "line 3: the heading “B” has no clause number",
            "line 4: clause number 1 is used again (first on line 2)",
        ],
    ),
}


def test_bad_markdown_lists_every_problem_and_writes_nothing(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    upload(client, f"/consultations/{c.id}/drafts/new", GOOD_MARKDOWN, title="Imported")
    draft = the_draft(session, "Imported")
    before = row_counts(session)
    for case, (content, expected) in BAD_FILES.items():
        for url, extra in ((f"/drafts/{draft.id}/import", {}), (f"/consultations/{c.id}/drafts/new", {"title": "Bad"})):
            response = upload(client, url, content, **extra)
            assert response.status_code == 400, (case, url)
            page = plain(text(response))
            assert "Nothing was imported." in page, (case, url)
            for problem in expected:
                assert problem in page, (case, url, problem)
            listed = text(response).split('<ul class="import-problems">', 1)[1].split("</ul>", 1)[0]
            assert listed.count("<li>") == len(expected), (case, url)
    assert row_counts(session) == before


def test_import_refuses_other_files(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    upload(client, f"/consultations/{c.id}/drafts/new", GOOD_MARKDOWN, title="Imported")
    draft = the_draft(session, "Imported")
    before = row_counts(session)
    response = upload(client, f"/drafts/{draft.id}/import", GOOD_MARKDOWN, filename="draft.exe")
    assert response.status_code == 400 and "Choose a Markdown file (.md or .txt)." in text(response)
    response = upload(client, f"/drafts/{draft.id}/import", b"# 1 A\n" + b"x" * 1_100_000)
    assert response.status_code == 400 and "larger than 1 MB" in text(response)
    values = form_values(client, f"/drafts/{draft.id}/import")
    response = client.post(f"/drafts/{draft.id}/import", data=values, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a Markdown file to import." in text(response)
    assert row_counts(session) == before


XSS = (
    "<script>alert(1)</script>\n\n"
    '<img src=x onerror="alert(2)">\n\n'
    "[click](javascript:alert(3)) and [ok](https://example.org)\n\n"
    '<a href="javascript:alert(4)">raw</a>'
)


def test_xss_in_clause_bodies_and_headings_is_neutralised(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    heading = '<img src=x onerror="alert(5)">'
    create_typed(client, c.id, "<script>alert(6)</script>", [("1", heading, XSS), ("2", "Plain", "Fine.")])
    draft = the_draft(session, "<script>alert(6)</script>")
    v1 = clauses(session, draft, 1)
    values = form_values(client, f"/drafts/{draft.id}/versions/new")
    values["clauses-1-body"] = XSS + "\n\n<svg onload=alert(7)>"
    client.post(f"/drafts/{draft.id}/versions/new", data=values)
    v2 = clauses(session, draft, 2)
    pages = [
        client.get(f"/versions/{v1[0].version_id}"),
        client.get(f"/versions/{v2[0].version_id}"),
        client.get(f"/drafts/{draft.id}"),
        client.get(f"/drafts/{draft.id}/compare"),
        client.get(f"/consultations/{c.id}"),
        client.get(f"/drafts/{draft.id}/versions/new"),
    ]
    for response in pages:
        path = response.request.path
        assert response.status_code == 200, path
        html = text(response).lower()
        assert "<script" not in html and "<img" not in html and "<svg" not in html, path
        for tag, name, value in parse(html).attributes:
            assert not name.startswith("on"), (path, tag, name)
            assert not value.strip().startswith("javascript:"), (path, tag, name)
    version_page = text(pages[0])
    assert 'href="https://example.org"' in version_page
    assert "&lt;script&gt;alert(6)&lt;/script&gt;" in version_page


def test_version_page_lists_clauses_in_order_with_anchors(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    upload(client, f"/consultations/{c.id}/drafts/new", GOOD_MARKDOWN, title="Anchored")
    rows = clauses(session, the_draft(session, "Anchored"), 1)
    page = text(client.get(f"/versions/{rows[0].version_id}"))
    positions = [page.index(f'id="clause-{r.key}"') for r in rows]
    assert positions == sorted(positions)
    assert f'href="#clause-{rows[2].key}"' in page
    assert session.scalar(select(func.count(Clause.id)).where(Clause.version_id == rows[0].version_id)) == 3


def test_malformed_editor_input_is_a_400_not_a_500(app, session, people, login_as):
    c = consultation(session)
    client = organiser_client(app, login_as, session, people)
    create_typed(client, c.id, "Robust", [("1", "One", "Text.")])
    draft = the_draft(session, "Robust")
    before = row_counts(session)
    values = form_values(client, f"/drafts/{draft.id}/versions/new")
    for bad in (
        {"clauses-0-position": "abc"},
        {"clauses-0-position": "-5"},
        {"clauses-0-number": "1" * 21},
        {"clauses-99999999999-number": "2", "clauses-99999999999-heading": "Far away", "clauses-0-remove": "y"},
    ):
        response = client.post(f"/drafts/{draft.id}/versions/new", data={**values, **bad})
        assert response.status_code in (302, 400), bad
        if response.status_code == 302:  # the far row is simply the next row
            assert [cl.heading for cl in clauses(session, draft, 2)] == ["Far away"]
    assert row_counts(session)["draft_version"] == before["draft_version"] + 1
