"""Comment numbers as committees write them ("KR-003"), given once at submission and kept;
the comment form's ISO fields (line number, paragraph/figure/table); numbers shown only where
the organisation may be seen."""

from __future__ import annotations

import itertools
import re

from sqlalchemy import select

from consult.comments import services
from consult.comments.models import Attribution, Comment, CommentStatus, CommentType
from consult.moderation import services as moderation
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh

_nonce = itertools.count(1)


def comment_input(**changes) -> services.CommentInput:
    values = {"clause_key": "k1", "type": CommentType.TECHNICAL, "body": "Say 'shall'.", "proposed_change": "",
              "attribution": Attribution.PERSON}  # fmt: skip
    return services.CommentInput(**{**values, **changes})


def save(session, actor, round_, submit=True, **changes) -> Comment:
    comment, _created = services.save_comment(
        session, actor=actor, round_=round_, data=comment_input(**changes), nonce=f"n{next(_nonce)}", submit=submit
    )
    session.commit()
    return comment


def test_numbers_are_given_at_submission_in_sequence_per_code_and_kept(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    korea = people.organisations["governments"]
    korea.mb_code = "KR"
    session.commit()
    author = people["participant:governments"]
    first = save(session, author, round_)
    draft = save(session, author, round_, submit=False)
    assert first.number == "KR-001" and (first.member_code, first.number_seq) == ("KR", 1)
    assert draft.number is None  # a draft is not numbered: numbers are the committee's, for submitted comments
    second = save(session, people["focal_point"], round_)
    assert second.number == "KR-002"
    services.update_comment(session, actor=author, comment=draft, data=comment_input(body="Now."), submit=True)
    session.commit()
    assert draft.number == "KR-003"
    # Edited, withdrawn, or after the organisation changes its code: the number stays.
    services.update_comment(session, actor=author, comment=first, data=comment_input(body="Edited."), submit=True)
    korea.mb_code = "KOR"
    session.commit()
    services.withdraw_comment(session, actor=author, comment=first)
    session.commit()
    assert first.number == "KR-001"
    assert save(session, author, round_).number == "KOR-001"
    # Another organisation with a country code only, and one without any code.
    industry = people.organisations["industry"]
    industry.country = "DE"
    session.commit()
    assert save(session, people["participant:industry"], round_).number == "DE-001"
    assert save(session, people["participant:igo"], round_).number == "001"
    # Another round starts again.
    other = factories.make_round(session, Phase.OPEN)
    session.commit()
    assert save(session, author, other).number == "KOR-001"


def test_a_comment_waiting_for_sign_off_is_numbered_when_submitted(session, people, colleague):
    round_ = factories.make_round(session, Phase.OPEN, requires_signoff=True)
    people.organisations["governments"].country = "KR"
    session.commit()
    waiting = save(session, colleague, round_)
    assert waiting.status is CommentStatus.AWAITING_SIGNOFF and waiting.number == "KR-001"
    moderation.sign_off(session, actor=people["focal_point"], comment=waiting, accept=False, reason="Shorter")
    session.commit()
    assert waiting.status is CommentStatus.DRAFT and waiting.number == "KR-001"  # kept when returned


def test_the_form_offers_line_number_and_paragraph(app, session, people, login_as):
    round_ = factories.make_round(session, Phase.OPEN)
    people.organisations["industry"].mb_code = "ACME"
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:industry")
    form = client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True)
    assert 'name="line_number"' in form and 'name="paragraph"' in form
    response = client.post(
        f"/rounds/{round_.id}/comments",
        data={"csrf_token": csrf_token(client), "clause": "k2", "type": "editorial", "body": "Typo.",
              "line_number": "17–19", "paragraph": "Table 1", "attribution": "person", "nonce": "form-1",
              "submit": "1"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    comment = fresh(session).scalar(select(Comment).where(Comment.nonce == "form-1"))
    assert (comment.line_number, comment.paragraph, comment.number) == ("17–19", "Table 1", "ACME-001")
    page = client.get(f"/rounds/{round_.id}?clause=k2").get_data(as_text=True)
    assert "line 17–19" in page and "Table 1" in page and "Comment ACME-001" in page
    edit = client.get(f"/comments/{comment.id}/edit").get_data(as_text=True)
    assert 'value="17–19"' in edit and 'value="Table 1"' in edit


def test_a_number_is_not_shown_where_the_organisation_is_not(app, session, people, login_as):
    """The number starts with the organisation's code: where only the group may be seen, the
    page, the comment's page and the exports do not show it."""
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    people.organisations["governments"].mb_code = "KR"
    hidden = factories.make_comment(session, round_, people["participant:governments"], body="Group only",
                                    attribution=Attribution.GROUP)  # fmt: skip
    session.commit()
    assert hidden.number == "KR-001"
    outsider = sign_in(app, login_as, session, people, "participant:industry")
    for url in (f"/rounds/{round_.id}", f"/comments/{hidden.id}", f"/rounds/{round_.id}/comments.csv",
                f"/rounds/{round_.id}/comments.json"):  # fmt: skip
        text = outsider.get(url).get_data(as_text=True)
        assert "Group only" in text and "KR-001" not in text, url
    staff = sign_in(app, login_as, session, people, "organiser")
    assert "KR-001" in staff.get(f"/comments/{hidden.id}").get_data(as_text=True)
    assert re.search(r"KR-001", staff.get(f"/rounds/{round_.id}/comments.csv").get_data(as_text=True))
