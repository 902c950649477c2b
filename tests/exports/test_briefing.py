"""The conference briefing: every clause, positions by group, dispositions, objections, charts; and its PDF."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from consult.dispositions import services as dispositions
from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.support.clients import csrf_token, sign_in


def briefed_round(session, people):
    round_ = make_round(session, Phase.PUBLISHED, clauses=4)
    gov = make_comment(session, round_, people["participant:governments"], "k1", body="Governments position")
    make_comment(session, round_, people["participant:industry"], "k1", body="Industry position")
    make_comment(session, round_, people["participant:civil-society"], None, body="General remark")
    disposition = dispositions.record_disposition(
        session, actor=people["organiser"], comment=gov, kind=DispositionKind.NOT_ACCEPTED, observation="Too broad"
    )
    dispositions.release_dispositions(session, actor=people["organiser"], round_=round_)
    dispositions.acknowledge(
        session, actor=people["participant:governments"], disposition=disposition,
        kind=AcknowledgementKind.OBJECTION, reason="We insist",
    )  # fmt: skip
    session.commit()
    return round_


def test_the_briefing_page_holds_clauses_positions_dispositions_and_charts(app, session, people, login_as):
    round_ = briefed_round(session, people)
    page = sign_in(app, login_as, session, people, "anonymous").get(f"/rounds/{round_.id}/briefing")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for n in range(1, 5):
        assert f"{n} Heading {n}" in text
    for expected in ("Governments position", "Industry position", "General remark", "Too broad", "We insist",
                     "1 objection maintained", "Comments by stakeholder group", "<svg"):  # fmt: skip
        assert expected in text
    assert 'style="' not in text  # CSP: no inline styles, charts use attributes and patterns


def make_pdf(client, url: str) -> bytes:
    """Ask for the PDF as a person would: the button, the progress page, the download."""
    page = client.get(url)
    assert page.status_code == 200 and "Make the PDF" in page.get_data(as_text=True)
    started = client.post(url, data={"csrf_token": csrf_token(client)})
    assert started.status_code == 302, started.get_data(as_text=True)
    progress = client.get(started.headers["Location"])
    text = progress.get_data(as_text=True)
    assert progress.status_code == 200 and "Ready." in text, text  # inline (no Redis): made already
    link = re.search(r'href="(/briefing-jobs/\d+/briefing\.pdf)"', text).group(1)
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.get_data()


def test_the_briefing_pdf_opens_and_holds_every_clause(app, session, people, login_as):
    round_ = briefed_round(session, people)
    client = sign_in(app, login_as, session, people, "organiser")
    for url in (f"/rounds/{round_.id}/briefing.pdf", f"/consultations/{round_.consultation_id}/briefing.pdf"):
        reader = PdfReader(io.BytesIO(make_pdf(client, url)))
        text = " ".join(page.extract_text() for page in reader.pages)
        for n in range(1, 5):
            assert f"Heading {n}" in text, url
        assert "Too broad" in text and "Governments position" in text
        assert "Summary by clause" in text


def test_a_hidden_round_has_no_briefing_for_outsiders(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    session.commit()
    anonymous = sign_in(app, login_as, session, people, "anonymous")
    assert anonymous.get(f"/rounds/{round_.id}/briefing").status_code == 404
    assert anonymous.get(f"/rounds/{round_.id}/briefing.pdf").status_code == 404
    token = csrf_token(anonymous)
    assert anonymous.post(f"/rounds/{round_.id}/briefing.pdf", data={"csrf_token": token}).status_code == 404
