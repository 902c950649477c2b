"""Text that comes out as it was written (issue 11.4 and 11.6): line breaks of plain-text fields
kept wherever they are shown (briefing page and PDF, pages without a pre-wrap stylesheet,
emails); optional parts of a sentence left out with their punctuation; comments named by their
number, never by the database id."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from consult.comments.models import Attribution, CommentStatus
from consult.dispositions import services as dispositions
from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.rounds.models import Phase, Preset
from tests.digests.helpers import html_of, text_of
from tests.exports.test_briefing import make_pdf
from tests.factories import make_comment, make_consultation, make_round
from tests.support import post
from tests.support.clients import sign_in

FIVE_LINES = "Replace the first sentence by:\nline two\nline three\nline four\nline five"


def test_lines_keeps_breaks_as_br_and_escapes():
    from consult.markup import lines

    assert str(lines("a <b>\r\nb\rc\nd")) == "<bdi>a &lt;b&gt;<br>b<br>c<br>d</bdi>"
    assert str(lines("")) == str(lines(None)) == ""


def test_user_text_keeps_its_own_direction_on_an_arabic_page(app):
    """A reason or a Latin title put into an Arabic sentence is isolated, so that "ISO/IEC
    29147:2018" is not reordered by the page's direction; attributes and titles get invisible
    isolate marks, never markup."""
    from flask import render_template_string
    from flask_babel import force_locale

    from consult.i18n import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE
    from consult.markup import lines

    template = (
        "<p title=\"{{ _('Version %(n)d of %(title)s', n=2, title=t) }}\">"
        "{{ _('The reason: %(reason)s', reason=r|lines) }}</p>"
    )
    with app.test_request_context("/"):
        with force_locale("ar"):
            arabic = render_template_string(template, t="ISO/IEC 29147:2018", r="see 6.2")
        with force_locale("en"):
            english = render_template_string(template, t="ISO/IEC 29147:2018", r="see 6.2")
    assert f"{FIRST_STRONG_ISOLATE}ISO/IEC 29147:2018{POP_DIRECTIONAL_ISOLATE}" in arabic
    assert "<bdi>see 6.2</bdi>" in arabic and "<bdi>see 6.2</bdi>" in english
    assert FIRST_STRONG_ISOLATE not in english
    assert str(lines("x")) == "<bdi>x</bdi>"
    assert "\n" not in str(lines(FIVE_LINES))  # nothing doubled under white-space: pre-wrap
    assert str(lines(None)) == ""


def broken_round(session, people, phase=Phase.PUBLISHED, consultation=None):
    round_ = make_round(session, phase, Preset.OPEN_DIALOGUE, consultation=consultation)
    comment = make_comment(
        session, round_, people["participant:governments"], "k1",
        body="Body one\nBody two", proposed_change=FIVE_LINES,
    )  # fmt: skip
    disposition = dispositions.record_disposition(
        session, actor=people["organiser"], comment=comment, kind=DispositionKind.NOT_ACCEPTED,
        observation="Observation one\nObservation two",
    )  # fmt: skip
    dispositions.release_dispositions(session, actor=people["organiser"], round_=round_)
    dispositions.acknowledge(
        session, actor=people["participant:governments"], disposition=disposition,
        kind=AcknowledgementKind.OBJECTION, reason="Reason one\nReason two",
    )  # fmt: skip
    session.commit()
    return round_, comment


def test_the_briefing_keeps_line_breaks_of_comments_changes_observations_and_reasons(app, session, people, login_as):
    round_, _comment = broken_round(session, people)
    text = sign_in(app, login_as, session, people, "organiser").get(f"/rounds/{round_.id}/briefing").get_data(True)
    assert "Body one<br>Body two" in text
    assert "line two<br>line three<br>line four<br>line five" in text
    assert "Observation one<br>Observation two" in text
    assert "Reason one<br>Reason two" in text


def test_the_briefing_pdf_keeps_a_five_line_proposed_change_on_five_lines(app, session, people, login_as):
    round_, _comment = broken_round(session, people)
    client = sign_in(app, login_as, session, people, "organiser")
    reader = PdfReader(io.BytesIO(make_pdf(client, f"/rounds/{round_.id}/briefing.pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for first, second in (("line two", "line three"), ("line four", "line five"), ("Body one", "Body two")):
        assert re.search(rf"{first}\s*\n\s*{second}", text), text


def test_pages_without_a_pre_wrap_style_keep_the_breaks_of_reasons(app, session, people, login_as, smtp):
    author = people["participant:industry"]
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    comment = make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION)
    session.commit()
    moderator = sign_in(app, login_as, session, people, "moderator")
    reason = "Off topic.\nSee clause 3 <instead>."
    assert post(moderator, f"/comments/{comment.id}/moderate", {"refuse": "1", "reason": reason}).status_code == 302
    (message,) = smtp.to(author.email)
    assert "Off topic.<br>See clause 3 &lt;instead&gt;." in html_of(message)
    assert "Off topic.\r\nSee clause 3 <instead>." in text_of(message)
    client = sign_in(app, login_as, session, people, "participant:industry")
    for page in (f"/comments/{comment.id}", "/notifications", "/my/comments"):
        assert "Off topic.<br>See clause 3 &lt;instead&gt;." in client.get(page).get_data(True), page


def test_the_briefing_without_a_conference_date_or_place_prints_no_empty_parts(app, session, people, login_as):
    consultation = make_consultation(session)
    consultation.conference_name, consultation.conference_place = "Genève Conference", "Genève – Suisse"
    consultation.conference_date = None
    broken_round(session, people, consultation=consultation)
    client = sign_in(app, login_as, session, people, "anonymous")
    text = client.get(f"/consultations/{consultation.id}/briefing").get_data(True)
    assert "For the Genève Conference, Genève – Suisse." in text
    assert ", ." not in text and ", , " not in text
    listing = client.get("/").get_data(True)
    assert "Leads to Genève Conference, Genève – Suisse." in listing and ", ." not in listing
    consultation.conference_place = ""
    session.commit()
    text = client.get(f"/consultations/{consultation.id}/briefing").get_data(True)
    assert "For the Genève Conference." in text and ", ." not in text


def test_comments_are_named_by_their_number_never_the_database_id(app, session, people, login_as):
    round_, numbered = broken_round(session, people)
    numbered.number = "KR-003"
    anonymous_group = make_comment(
        session, round_, people["participant:civil-society"], "k1", body="Group only", attribution=Attribution.GROUP
    )
    anonymous_group.number = "CS-001"
    session.commit()
    industry = sign_in(app, login_as, session, people, "participant:industry")
    urls = (f"/rounds/{round_.id}/briefing", f"/rounds/{round_.id}/dispositions", f"/comments/{anonymous_group.id}")
    for url in urls:
        text = industry.get(url).get_data(True)
        assert f"Comment {anonymous_group.id}<" not in text and f"Comment {anonymous_group.id} " not in text, url
        assert "CS-001" not in text, url  # the number names the organisation: withheld with it
    assert "Comment KR-003" in industry.get(f"/rounds/{round_.id}/dispositions").get_data(True)
    assert "Comment from" in industry.get(f"/comments/{anonymous_group.id}").get_data(True)
    organiser = sign_in(app, login_as, session, people, "organiser")
    found = organiser.get("/search?q=Group").get_data(True)
    assert "Comment CS-001" in found and f"Comment {anonymous_group.id}<" not in found


def test_an_unnumbered_comment_is_unnumbered_not_its_id_in_the_disposition_table(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    comment = make_comment(session, round_, people["participant:governments"], "k1", body="Bulk loaded")
    comment.number = None
    session.commit()
    page = sign_in(app, login_as, session, people, "organiser").get(f"/rounds/{round_.id}/dispositions/table")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Unnumbered comment" in text
    assert f">#{comment.id}<" not in text and f"of #{comment.id}" not in text
