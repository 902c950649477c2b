"""Every count in the pages and the emails goes through ngettext (issue 11.5): "1 comment
imported", never "1 comments imported"; other languages have more than two forms, so even a
count that is never 1 in English needs its plural forms."""

from __future__ import annotations

import re
from pathlib import Path

from consult.dispositions import services as dispositions
from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.rounds.models import Phase
from tests.exports.test_import import upload
from tests.exports.test_import_template import filled_template
from tests.factories import make_comment, make_round
from tests.support import post
from tests.support.clients import sign_in

ROOT = Path(__file__).resolve().parents[2]
# A gettext call (not ngettext) whose message puts a number before a plural noun: "%(n)d comments".
NOUNS = (
    "comments|characters|problems|people|persons|rounds|dispositions|objections|reports|messages|tokens|"
    "clauses|rows|answers|notifications|recipients|days|hours|minutes|codes|selections|positions|items|"
    "groups|organisations|versions|digests|sessions|keys|times|seconds|attempts|pages|authors"
)
SINGULAR_CALL = re.compile(
    rf"""(?<![n\w])_l?\(\s*(["'])((?:(?!\1).)*%\(\w+\)d\s+(?:\w+\s+)?(?:{NOUNS})\b(?:(?!\1).)*)\1"""
)


def test_no_count_is_written_with_gettext_alone():
    found = []
    for folder, pattern in (("consult", "*.py"), ("templates", "*.html"), ("templates", "*.txt")):
        for path in (ROOT / folder).rglob(pattern):
            for match in SINGULAR_CALL.finditer(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT)}: {match.group(2)}")
    assert found == []


def test_one_of_each_is_said_in_the_singular_in_the_briefing(app, session, people, login_as):
    round_ = make_round(session, Phase.PUBLISHED)
    comment = make_comment(session, round_, people["participant:governments"], "k1", body="Only one")
    disposition = dispositions.record_disposition(
        session, actor=people["organiser"], comment=comment, kind=DispositionKind.NOT_ACCEPTED, observation="No"
    )
    dispositions.release_dispositions(session, actor=people["organiser"], round_=round_)
    dispositions.acknowledge(
        session, actor=people["participant:governments"], disposition=disposition,
        kind=AcknowledgementKind.OBJECTION, reason="We insist",
    )  # fmt: skip
    session.commit()
    text = sign_in(app, login_as, session, people, "organiser").get(f"/rounds/{round_.id}/briefing").get_data(True)
    assert "1 comment, 1 answered, and 1 objection maintained" in text
    assert "1 comments" not in text and "1 objections" not in text


def test_one_imported_comment_is_one_comment(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    data = filled_template(client, round_.id, [None, None, "1", None, "te", "Alone", None])
    response = upload(client, round_.id, data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 comment imported." in page and "1 comments" not in page


def test_one_released_disposition_is_one_answered_comment_in_the_email(app, session, people, login_as, smtp):
    round_ = make_round(session, Phase.CLOSED)
    comment = make_comment(session, round_, people["participant:governments"], "k1", body="Only one")
    dispositions.record_disposition(
        session, actor=people["organiser"], comment=comment, kind=DispositionKind.NOTED, observation="Noted."
    )
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    response = post(client, f"/rounds/{round_.id}/dispositions/release", {"expected": "1"}, follow_redirects=True)
    assert "1 disposition released; its author has been told." in response.get_data(as_text=True)
    (message,) = smtp.to(people["participant:governments"].email)
    assert message["Subject"] == f"The secretariat has answered your comment on {round_.title}"
