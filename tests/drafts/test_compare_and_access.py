"""The comparison page, and who may read and write drafts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.drafts.models import Draft, DraftVersion
from tests.drafts.pages import consultation, form_values, organiser_client, plain, text
from tests.drafts.test_draft_pages import create_typed, typed_rows
from tests.support.clients import is_login_redirect, sign_in
from tests.support.html import parse
from tests.support.state import fresh, row_counts
from tests.support.world import SIGNED_IN


def two_versions(app, login_as, session, people, public: bool = True) -> tuple[Draft, DraftVersion, DraftVersion]:
    """A draft whose v2 changes clause 1, removes clause 2, keeps 3 and adds 4."""
    c = consultation(session, public=public, title=f"Consultation {'public' if public else 'hidden'}")
    client = organiser_client(app, login_as, session, people)
    title = f"Draft of {c.title}"
    create_typed(
        client,
        c.id,
        title,
        [("1", "Scope", "States should report flaws."), ("2", "Gone", "Old text."), ("3", "Kept", "Same.")],
    )
    draft = fresh(session).scalar(select(Draft).where(Draft.title == title))
    values = form_values(client, f"/drafts/{draft.id}/versions/new")
    values["clauses-0-body"] = "States must report flaws promptly."
    values["clauses-1-remove"] = "y"
    typed_rows(values, [("4", "Added", "Brand new.")])
    assert client.post(f"/drafts/{draft.id}/versions/new", data=values).status_code == 302
    v1, v2 = fresh(session).scalars(
        select(DraftVersion).where(DraftVersion.draft_id == draft.id).order_by(DraftVersion.number)
    )
    return draft, v1, v2


def rows_of(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [plain(row) for row in body.split("</tr>") if "<tr" in row]


def test_compare_shows_each_status_in_words_and_the_changed_words(app, session, people, login_as):
    draft, v1, v2 = two_versions(app, login_as, session, people)
    client = sign_in(app, login_as, session, people, "participant:industry")
    response = client.get(f"/drafts/{draft.id}/compare")  # by default the last two versions
    assert response.status_code == 200
    html = text(response)
    rows = rows_of(html)
    assert [r.split()[0:2] for r in rows] == [["1", "Scope"], ["3", "Kept"], ["4", "Added"], ["2", "Gone"]]
    assert [r.split()[2] for r in rows] == ["changed", "unchanged", "added", "removed"]
    assert "<del>should</del><ins>must</ins>" in html
    assert "report <del>flaws.</del><ins>flaws promptly.</ins>" in html
    assert "<ins>Brand new.</ins>" in html and "<del>Old text.</del>" in html
    assert "1 added, 1 removed, 1 changed, and 1 unchanged" in plain(html)
    assert '<caption id="compare-caption">' in html and 'scope="row"' in html

    explicit = client.get(f"/drafts/{draft.id}/compare?from={v2.id}&to={v1.id}")
    assert explicit.status_code == 200
    assert [r.split()[2] for r in rows_of(text(explicit))] == ["changed", "added", "unchanged", "removed"]
    same = client.get(f"/drafts/{draft.id}/compare?from={v1.id}&to={v1.id}")
    assert same.status_code == 200 and "Choose two different versions" in text(same)


def test_compare_refuses_bad_or_foreign_versions(app, session, people, login_as):
    draft, v1, v2 = two_versions(app, login_as, session, people)
    other, o1, _o2 = two_versions(app, login_as, session, people, public=False)
    client = sign_in(app, login_as, session, people, "organiser")
    for query in (
        f"from=abc&to={v2.id}",
        f"from={v1.id}&to=-1",
        f"from=99999999&to={v2.id}",
        f"from={o1.id}&to={v2.id}",
        f"from={v1.id}&to=1e3",
        "from=" + "9" * 40,
        f"from=%C2%B2&to={v2.id}",  # a superscript two: a digit to str.isdigit, not to int()
    ):
        assert client.get(f"/drafts/{draft.id}/compare?{query}").status_code == 404, query
    assert client.get("/drafts/99999999/compare").status_code == 404
    assert client.get(f"/drafts/{other.id}/compare?from={o1.id}").status_code == 200


@pytest.mark.parametrize("viewer", ["anonymous", *SIGNED_IN])
def test_who_reads_drafts(app, session, people, login_as, viewer):
    public, p1, _p2 = two_versions(app, login_as, session, people, public=True)
    hidden, h1, _h2 = two_versions(app, login_as, session, people, public=False)
    client = sign_in(app, login_as, session, people, viewer)
    expected_hidden = 404 if viewer == "anonymous" else 200
    for url in (f"/drafts/{public.id}", f"/versions/{p1.id}", f"/drafts/{public.id}/compare"):
        assert client.get(url).status_code == 200, url
    for url in (f"/drafts/{hidden.id}", f"/versions/{h1.id}", f"/drafts/{hidden.id}/compare"):
        assert client.get(url).status_code == expected_hidden, url
    page = text(client.get(f"/consultations/{public.consultation_id}"))
    assert f"/drafts/{public.id}" in page and f"/versions/{p1.id}" in page
    assert (f'href="/drafts/{public.id}/versions/new"' in text(client.get(f"/drafts/{public.id}"))) == (
        viewer == "organiser"
    )


@pytest.mark.parametrize("viewer", ["anonymous", *SIGNED_IN])
def test_only_organisers_write_drafts(app, session, people, login_as, viewer):
    draft, v1, _v2 = two_versions(app, login_as, session, people)
    before = row_counts(session)
    client = sign_in(app, login_as, session, people, viewer)
    pages = (
        f"/consultations/{draft.consultation_id}/drafts/new",
        f"/drafts/{draft.id}/versions/new",
        f"/drafts/{draft.id}/import",
    )
    for url in pages:
        for method in ("GET", "POST"):
            response = client.open(url, method=method, data={"title": "Sneaky", "clauses-0-number": "1"})
            if viewer == "anonymous":
                assert is_login_redirect(response), (method, url)
            elif viewer == "organiser":
                assert response.status_code in (200, 400), (method, url)  # reached the form
            else:
                assert response.status_code == 403, (viewer, method, url)
    assert row_counts(session) == before


def test_write_pages_of_missing_objects_are_404(app, session, people, login_as):
    client = sign_in(app, login_as, session, people, "organiser")
    for url in ("/consultations/99999/drafts/new", "/drafts/99999/versions/new", "/drafts/99999/import"):
        assert client.get(url).status_code == 404, url
    for url in ("/drafts/99999", "/versions/99999"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("viewer", ["anonymous", *SIGNED_IN])
def test_crawling_draft_pages_changes_nothing_and_never_fails(app, session, people, login_as, viewer):
    draft, v1, v2 = two_versions(app, login_as, session, people)
    hidden, h1, _h2 = two_versions(app, login_as, session, people, public=False)
    before = row_counts(session)
    client = sign_in(app, login_as, session, people, viewer)
    queue = [
        f"/consultations/{draft.consultation_id}",
        f"/drafts/{draft.id}",
        f"/drafts/{hidden.id}",
        f"/versions/{h1.id}",
        f"/drafts/{draft.id}/versions/new",
        f"/drafts/{draft.id}/import",
        f"/consultations/{draft.consultation_id}/drafts/new",
    ]
    seen: set[str] = set()
    while queue and len(seen) < 60:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        if response.mimetype == "text/html":
            html = text(response)
            assert " style=" not in html and "<script" not in html, url
            queue += [
                link.split("#")[0]
                for link in parse(html).links
                if link.startswith(("/drafts", "/versions", "/consultations")) and link.split("#")[0] not in seen
            ]
    assert f"/versions/{v2.id}" in seen
    assert row_counts(session) == before
