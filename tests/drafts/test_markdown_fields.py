"""Every field labelled Markdown renders Markdown, sanitised, wherever it is shown (issue 11):
a clause's text ("Text (Markdown)") on the version page, the round page, the side-by-side
page, the briefing in HTML and in PDF. (The digest's introduction: tests/digests/test_composer.py.)"""

from __future__ import annotations

import io

import pytest

from consult.drafts import services as drafts
from consult.drafts.importer import ClauseText
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.support.clients import sign_in

BODY = "States **should** not conduct or knowingly support ICT activity.\n\nA second paragraph with a [link](https://example.org).\n\n<script>alert(1)</script>"


@pytest.fixture
def markdown_round(session, people):
    consultation = factories.make_consultation(session)
    draft = drafts.create_draft(session, actor=people["organiser"], consultation=consultation, title="Norms")
    version = drafts.create_version(
        session, actor=people["organiser"], draft=draft, clauses=[ClauseText("13", "Norm (f)", BODY)]
    )
    round_ = factories.make_round(
        session, Phase.PUBLISHED, Preset.OPEN_DIALOGUE, consultation=consultation, version=version
    )
    session.commit()
    return round_


def _rendered(html: str) -> None:
    assert "<strong>should</strong>" in html and "**should**" not in html
    assert "<p>A second paragraph" in html and 'href="https://example.org"' in html
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize(
    "path",
    ["/versions/{version}", "/rounds/{round}", "/rounds/{round}/briefing"],
)
def test_clause_text_is_rendered_markdown_on_every_page(app, session, people, login_as, markdown_round, path):
    client = sign_in(app, login_as, session, people, "participant:governments")
    response = client.get(path.format(version=markdown_round.version_id, round=markdown_round.id))
    assert response.status_code == 200
    _rendered(response.get_data(as_text=True))


def test_clause_text_is_rendered_markdown_in_the_briefing_pdf(app, session, people, login_as, markdown_round):
    from pypdf import PdfReader

    client = sign_in(app, login_as, session, people, "participant:governments")
    response = client.get(f"/rounds/{markdown_round.id}/briefing.pdf", follow_redirects=True)
    if response.mimetype != "application/pdf":
        pytest.skip("the PDF is made as a job here: tests/exports covers its text")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "should not conduct" in text and "**" not in text and "<script>" not in text
