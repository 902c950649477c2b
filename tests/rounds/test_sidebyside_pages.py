"""The side-by-side page's filters and columns, the single-clause page with the comments of
earlier rounds, and the comment that says the text should stay."""

from __future__ import annotations

import re

from sqlalchemy import select

from consult.comments.models import Comment, CommentStatus
from consult.dispositions import services as dispositions
from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.drafts.models import Clause, DraftVersion
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh

ROW_RE = re.compile(r'<tr id="row-([\w-]+)">')
HEAD_RE = re.compile(r'<th scope="col">([^<]+)</th>')


def test_the_divergence_filters(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, clauses=4)
    gov, industry = people["participant:governments"], people["participant:industry"]
    factories.make_comment(session, round_, gov, "k1", proposed_change="Say shall.")
    factories.make_comment(session, round_, industry, "k1", proposed_change="Say should.")
    factories.make_comment(session, round_, gov, "k2", proposed_change="Delete the clause.")
    factories.make_comment(session, round_, industry, "k2", proposed_change="  delete the clause. ")  # the same
    factories.make_comment(session, round_, gov, "k3", proposed_change="Add a deadline.")
    factories.make_comment(session, round_, industry, "k3").supports_text = True
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:civil-society")

    def rows(show):
        response = client.get(f"/rounds/{round_.id}/matrix?show={show}")
        assert response.status_code == 200
        return ROW_RE.findall(response.text)

    assert rows("all") == ["k1", "k2", "k3", "k4"]
    assert rows("divergent") == ["k1"]
    assert rows("keep_or_change") == ["k3"]
    assert rows("uncommented") == ["k4"]
    assert rows("nonsense") == ["k1", "k2", "k3", "k4"]
    page = client.get(f"/rounds/{round_.id}/matrix").text
    assert "keep the text" in page and "groups diverge" in page and "change or keep" in page


def test_choosing_the_columns(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    gov, industry = factories.group(session, "governments"), factories.group(session, "industry")
    factories.make_comment(session, round_, people["participant:igo"], "k1", body="An IGO position")
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    page = client.get(f"/rounds/{round_.id}/matrix?group={gov.id}&group={industry.id}").text
    assert HEAD_RE.findall(page) == ["Clause", "Governments", "Industry"]
    assert "An IGO position" not in page
    assert f'value="{gov.id}" checked' in page and f'value="{industry.id}" checked' in page
    everything = client.get(f"/rounds/{round_.id}/matrix?group=abc&group=999999").text
    assert len(HEAD_RE.findall(everything)) == 6 and "An IGO position" in everything
    assert "checked" not in everything.split("<table")[0]


def next_version(session, round_, k1_text="A new text of clause 1."):
    v2 = DraftVersion(draft_id=round_.version.draft_id, number=2)
    session.add(v2)
    session.flush()
    session.add_all(
        [
            Clause(
                version_id=v2.id,
                key="k1",
                position=1,
                number="1",
                heading="Heading 1",
                body=k1_text,
                body_html=f"<p>{k1_text}</p>",
            ),
            Clause(version_id=v2.id, key="k2", position=2, number="2", heading="Heading 2", body="Text of clause 2."),
        ]
    )
    session.flush()
    return v2


def test_one_clause_across_the_groups_with_earlier_rounds(app, session, people, login_as):
    consultation = factories.make_consultation(session)
    earlier = factories.make_round(session, Phase.CLOSED, Preset.OPEN_DIALOGUE, consultation=consultation)
    gov = people["participant:governments"]
    old = factories.make_comment(session, earlier, gov, "k1", body="Earlier position", proposed_change="Say must.")
    old_k2 = factories.make_comment(session, earlier, gov, "k2", body="Earlier on clause 2")
    disposition = dispositions.record_disposition(
        session, actor=people["organiser"], comment=old, kind=DispositionKind.NOT_ACCEPTED, observation="Too strong."
    )
    dispositions.release_dispositions(session, actor=people["organiser"], round_=earlier)
    dispositions.acknowledge(
        session, actor=gov, disposition=disposition, kind=AcknowledgementKind.OBJECTION, reason="We insist."
    )
    v2 = next_version(session, earlier)
    current = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, consultation=consultation, version=v2)
    now_k1 = factories.make_comment(session, current, people["participant:industry"], "k1", body="Current position")
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:industry")

    page = client.get(f"/rounds/{current.id}/clauses/k1")
    assert page.status_code == 200
    text = page.text
    assert "A new text of clause 1." in text and "Current position" in text
    assert f'href="/comments/{now_k1.id}"' in text
    earlier_part = text.split("Earlier rounds on this clause")[1]
    assert "Earlier position" in earlier_part and "Say must." in earlier_part
    assert "Not accepted" in earlier_part and "Too strong." in earlier_part
    assert "Objection maintained" in earlier_part
    assert "We insist." not in earlier_part  # the reason: the commenter's organisation until published
    assert "on v1; the clause has since been changed" in earlier_part
    assert "Earlier on clause 2" not in text and f"/comments/{old_k2.id}" not in text
    # Clause 2 did not change: said so.
    assert "has since been unchanged" in client.get(f"/rounds/{current.id}/clauses/k2").text
    # The author's organisation reads the reason of the objection.
    assert (
        "We insist."
        in sign_in(app, login_as, session, people, "participant:governments")
        .get(f"/rounds/{current.id}/clauses/k1")
        .text
    )
    assert client.get(f"/rounds/{current.id}/clauses/general").status_code == 200
    assert client.get(f"/rounds/{current.id}/clauses/k9").status_code == 404
    assert client.get(f"/rounds/{current.id}/clauses/{'x' * 40}").status_code == 404
    # The side-by-side row links to it.
    assert f'href="/rounds/{current.id}/clauses/k1"' in client.get(f"/rounds/{current.id}/matrix").text


def test_the_clause_page_lists_this_rounds_dispositions(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.CLOSED, Preset.OPEN_DIALOGUE)
    comment = factories.make_comment(session, round_, people["participant:governments"], "k1", body="Answer me")
    dispositions.record_disposition(
        session, actor=people["organiser"], comment=comment, kind=DispositionKind.ACCEPTED, observation="Done."
    )
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:industry")
    text = client.get(f"/rounds/{round_.id}/clauses/k1").text
    assert "Done." not in text  # drafted, not released
    dispositions.release_dispositions(
        session, actor=people["organiser"], round_=fresh(session).get(type(round_), round_.id)
    )
    session.commit()
    text = client.get(f"/rounds/{round_.id}/clauses/k1").text
    section = text.split('id="dispositions-heading"')[1]
    assert "Done." in section and "Accepted" in section


def test_a_comment_may_say_the_text_should_stay(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:industry")
    form = client.get(f"/rounds/{round_.id}/comments/new").text
    assert 'name="supports_text"' in form
    data = {"csrf_token": csrf_token(client), "clause": "k1", "type": "general", "body": "Keep it.",
            "attribution": "person", "submit": "1", "supports_text": "y"}  # fmt: skip
    refused = client.post(f"/rounds/{round_.id}/comments", data={**data, "nonce": "k-1", "proposed_change": "Change"})
    assert refused.status_code == 400
    assert "supports the text as it stands proposes no change" in refused.text
    stored = client.post(f"/rounds/{round_.id}/comments", data={**data, "nonce": "k-2"})
    assert stored.status_code == 302, stored.text
    comment = fresh(session).scalar(select(Comment).where(Comment.nonce == "k-2"))
    assert comment.supports_text is True
    assert "supports the text as it stands" in client.get(f"/comments/{comment.id}").text


def test_comments_on_their_way_are_not_silence(app, session, people, login_as):
    """A comment waiting for sign-off is not a position yet; its organisation (and staff) read
    that it is on its way, where the cell would otherwise say "no comment"."""
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE, requires_signoff=True)
    factories.make_comment(session, round_, people["participant:industry"], "k2", status=CommentStatus.AWAITING_SIGNOFF)
    session.commit()
    on_its_way = "1 comment you can read is waiting for sign-off or moderation."
    for viewer, told in (("participant:industry", True), ("moderator", True), ("participant:governments", False)):
        html = sign_in(app, login_as, session, people, viewer).get(f"/rounds/{round_.id}/matrix").text
        row = html.split('<tr id="row-k2">')[1].split("</tr>")[0]
        assert (on_its_way in row) is told, viewer
        if told:
            assert "No comment from this group." not in row.split("Industry</p>")[1].split("</td>")[0], viewer
    html = (
        sign_in(app, login_as, session, people, "participant:industry")
        .get(f"/rounds/{round_.id}/matrix?show=uncommented")
        .text
    )
    assert 'id="row-k2"' not in html and 'id="row-k1"' in html
