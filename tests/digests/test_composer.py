"""The organiser's digest composer (issue 11): Markdown rendered everywhere the introduction is
shown, one introduction box, a review with the recipients counted per group before anything is
sent, only rounds still open under "Rounds now open", one digest however often the form is
sent, and after a publication the newly visible comments, said to be so."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.digests.models import Digest
from consult.digests.services import send_digest
from consult.mail.models import OutboxMessage
from consult.moderation import services as moderation  # noqa: F401 (the room's services load)
from consult.rounds import services as round_services
from consult.rounds.models import Phase, Preset
from tests.factories import make_comment, make_consultation, make_round
from tests.support.clients import post
from tests.support.html import forms

INTRO = "First line with **bold** words.\n\nA second paragraph, and a [link](https://example.org)."


def _html_of(message) -> str:
    part = [p for p in message.walk() if p.get_content_type() == "text/html"][0]
    return part.get_payload(decode=True).decode()


def _compose(client, consultation_id: int, **data):
    return post(client, f"/consultations/{consultation_id}/digests/new", data)


def test_the_introduction_is_markdown_in_the_preview_the_review_and_the_email(
    app, session, people, smtp, login_as, client
):
    consultation = make_consultation(session)
    session.commit()
    login_as(client, people["organiser"])
    preview = _compose(client, consultation.id, step="preview", intro=INTRO, recipient=people["participant:igo"].id)
    review = _compose(client, consultation.id, step="review", intro=INTRO)
    for page, shown in ((preview, 'class="digest-preview"'), (review, 'class="digest-intro"')):
        html = page.get_data(as_text=True).split(shown)[1].split("</section>")[0]
        assert "<strong>bold</strong>" in html and "**bold**" not in html
        assert "<p>A second paragraph" in html
    _compose(client, consultation.id, step="send", intro=INTRO, nonce="markdown")
    html = _html_of(smtp.to(people["participant:igo"].email)[0])
    assert "<strong>bold</strong>" in html and "**" not in html
    assert "<p>A second paragraph" in html and 'href="https://example.org"' in html


def test_markdown_in_the_introduction_is_sanitised(app, session, people, smtp, login_as, client):
    consultation = make_consultation(session)
    session.commit()
    login_as(client, people["organiser"])
    evil = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    page = _compose(client, consultation.id, step="review", intro=evil).get_data(as_text=True)
    review = page.split('class="digest-intro"')[1].split("</div>")[0]
    assert "<script" not in review and 'href="javascript' not in review and "<img" not in review
    assert "&lt;script&gt;" in review  # shown as text


def test_one_introduction_box_and_nothing_sent_before_the_review(app, session, people, smtp, login_as, client):
    consultation = make_consultation(session)
    session.commit()
    login_as(client, people["organiser"])
    page = client.get(f"/consultations/{consultation.id}/digests/new").get_data(as_text=True)
    assert page.count("<textarea") == 1
    assert [a for a, _v in forms(page) if "digests/new" in a] == [f"/consultations/{consultation.id}/digests/new"]
    review = _compose(client, consultation.id, intro="Hello")  # no step: a preview, never a send
    assert review.status_code == 200
    assert session.scalar(select(func.count(Digest.id))) == 0 and smtp.messages == []


def test_the_review_counts_recipients_per_group(app, session, people, login_as, client):
    consultation = make_consultation(session)
    session.commit()
    login_as(client, people["organiser"])
    page = _compose(client, consultation.id, step="review", intro="Hello").get_data(as_text=True)
    groups = {p.organisation.stakeholder_group.name for p in people.by_name.values() if p.organisation_id}
    from markupsafe import escape

    for name in groups:
        assert str(escape(name)) in page
    assert f"{len(people.by_name)} people will receive this digest." in page


def test_the_same_form_sent_twice_sends_one_digest(app, session, people, smtp, login_as, client):
    consultation = make_consultation(session)
    session.commit()
    login_as(client, people["organiser"])
    first = _compose(client, consultation.id, step="send", intro="Once", nonce="same-form")
    again = _compose(client, consultation.id, step="send", intro="Once", nonce="same-form")
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert session.scalar(select(func.count(Digest.id))) == 1
    assert len(smtp.to(people["participant:igo"].email)) == 1


def test_after_a_publication_the_organiser_digest_lists_what_became_visible(app, session, people, smtp):
    """Industry's comment is visible to governments only after publication (group dialogue): the
    digest sent after the publication lists it once, and says why; the next one does not."""
    consultation = make_consultation(session)
    round_ = make_round(session, Phase.CLOSED, Preset.GROUP_DIALOGUE, consultation=consultation)
    make_comment(session, round_, people["participant:industry"], body="INDUSTRY position")
    session.commit()
    organiser, reader = people["organiser"], people["participant:governments"]
    send_digest(session, actor=organiser, consultation=consultation, intro="before")
    session.commit()
    assert "INDUSTRY position" not in _html_of(smtp.to(reader.email)[-1])
    round_services.request_publication(session, actor=organiser, round_=round_)
    round_services.publish(session, actor=people["moderator"], round_=round_)
    session.commit()
    smtp.clear()
    send_digest(session, actor=organiser, consultation=consultation, intro="after publication")
    session.commit()
    html = _html_of(smtp.to(reader.email)[-1])
    assert "INDUSTRY position" in html
    assert "since these rounds closed or their results were published" in html and round_.title in html
    smtp.clear()
    send_digest(session, actor=organiser, consultation=consultation, intro="later")
    session.commit()
    assert "INDUSTRY position" not in _html_of(smtp.to(reader.email)[-1])
    assert session.scalar(select(func.count(OutboxMessage.id))) > 0
