"""Every form that creates something is sent once (issue 11.18): the same form sent again (a
double click, a re-sent page) creates nothing and leads to what the first one created.

Each case opens the form's page as its person would, fills it in, sends it twice with the same
one-time value, and counts the rows of what it creates. (The comment form has its own nonce,
tested in tests/comments; the digest composer in tests/digests/test_composer.py.)
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from consult.api.models import ApiToken
from consult.auth.models import Invitation, Organisation, Role, StakeholderGroup
from consult.comments.models import Comment, CommentReport
from consult.consultations.models import Consultation
from consult.drafts.models import Draft, DraftVersion
from consult.exports.models import BriefingJob
from consult.rounds.models import Phase, Round
from consult.submissions import FormSubmission
from tests import factories
from tests.support.clients import sign_in
from tests.support.html import form_values
from tests.support.state import fresh

HEADER = ["MB/NC", "Clause/Subclause", "Type of comment", "Comments", "Proposed change"]


def _sheet(rows: list[list]) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class Case:
    """A creating form: who sends it, where it is shown and sent, what it fills in, what it makes."""

    viewer: str
    page: Callable[[Any], str]  # the page that shows the form, from the objects
    action: Callable[[Any], str]  # where the form posts ("" for the page itself)
    model: type
    values: Callable[[Any], dict] = lambda objects: {}
    files: Callable[[Any], dict] = lambda objects: {}
    button: dict = field(default_factory=dict)


@dataclass
class Objects:
    consultation: Consultation
    draft: Draft
    round_: Round
    closed: Round
    comment: Comment
    people: Any


CASES = {
    "consultation": Case(
        "organiser",
        lambda o: "/consultations/new",
        lambda o: "",
        Consultation,
        lambda o: {"title": "Sent once", "conference_name": "A conference"},
    ),
    "draft": Case(
        "organiser",
        lambda o: f"/consultations/{o.consultation.id}/drafts/new",
        lambda o: "",
        Draft,
        lambda o: {"title": "A draft sent once", "clauses-0-number": "1", "clauses-0-body": "Text."},
    ),
    "version": Case(
        "organiser",
        lambda o: f"/drafts/{o.draft.id}/versions/new",
        lambda o: "",
        DraftVersion,
        lambda o: {"note": "Second version"},
    ),
    "imported version": Case(
        "organiser",
        lambda o: f"/drafts/{o.draft.id}/import",
        lambda o: "",
        DraftVersion,
        files=lambda o: {"file": (io.BytesIO(b"## 1 Scope\n\nThe scope.\n"), "draft.md")},
    ),
    "round": Case(
        "organiser",
        lambda o: f"/consultations/{o.consultation.id}/rounds/new",
        lambda o: "",
        Round,
        lambda o: {"title": "A round sent once"},
    ),
    "invitation": Case(
        "admin",
        lambda o: "/admin/invitations",
        lambda o: "/admin/invitations",
        Invitation,
        lambda o: {"email": "once@example.org", "role": "moderator"},
    ),
    "organisation": Case(
        "admin",
        lambda o: "/admin/organisations",
        lambda o: "/admin/organisations",
        Organisation,
        lambda o: {"name": "Sent Once Ltd"},
    ),
    "stakeholder group": Case(
        "admin",
        lambda o: "/admin/groups",
        lambda o: "",
        StakeholderGroup,
        lambda o: {"name": "Sent once", "slug": "sent-once"},
    ),
    "report": Case(
        "participant:governments",
        lambda o: f"/comments/{o.comment.id}/report",
        lambda o: "",
        CommentReport,
        lambda o: {"reason": "Off topic"},
    ),
    "API token": Case(
        "participant:governments",
        lambda o: "/account",
        lambda o: "/account/tokens",
        ApiToken,
        lambda o: {"name": "my tool", "scopes": "read"},
    ),
    "briefing PDF": Case(
        "participant:governments",
        lambda o: f"/rounds/{o.round_.id}/briefing.pdf",
        lambda o: "",
        BriefingJob,
    ),
    "comment table": Case(
        "participant:governments",
        lambda o: f"/rounds/{o.round_.id}/import",
        lambda o: "",
        Comment,
        files=lambda o: {
            "sheet": (
                io.BytesIO(_sheet([[o.people.organisations["governments"].name, "1", "te", "Imported", ""]])),
                "t.xlsx",
            )
        },
    ),
    "compiled table": Case(
        "organiser",
        lambda o: f"/rounds/{o.closed.id}/import-compiled",
        lambda o: "",
        Comment,
        files=lambda o: {"sheet": (io.BytesIO(_sheet([["KR", "1", "te", "Compiled", ""]])), "t.xlsx")},
    ),
}


@pytest.fixture
def objects(session, people) -> Objects:
    consultation = factories.make_consultation(session)
    round_ = factories.make_round(session, Phase.OPEN, consultation=consultation)
    closed = factories.make_round(session, Phase.CLOSED, consultation=consultation)
    draft = session.get(DraftVersion, round_.version_id).draft
    session.add(Organisation(name="Korea", country="KR", stakeholder_group=factories.group(session, "governments")))
    colleague = factories.make_user(
        session, Role.PARTICIPANT, people.organisations["governments"], email="colleague@example.org"
    )
    comment = factories.make_comment(session, round_, colleague)  # one the governments participant reads
    session.commit()
    return Objects(consultation, draft, round_, closed, comment, people)


def _count(session, model) -> int:
    return fresh(session).scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("name", list(CASES))
def test_a_creating_form_sent_twice_creates_once(app, session, people, login_as, objects, name):
    case = CASES[name]
    client = sign_in(app, login_as, session, people, case.viewer)
    page_url, action = case.page(objects), case.action(objects)
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    values = form_values(page.get_data(as_text=True), action)
    assert values.get("nonce"), f"the {name} form carries no one-time value"
    values.update(case.values(objects))
    before = _count(session, case.model)
    url = action or page_url
    responses = []
    for _attempt in range(2):
        data = {**values, **case.files(objects)}
        responses.append(client.post(url, data=data, content_type="multipart/form-data"))
    first, again = responses
    assert first.status_code in (200, 302), first.get_data(as_text=True)[:2000]
    assert _count(session, case.model) == before + 1, f"the {name} form sent twice created twice"
    assert again.status_code == 302
    if first.status_code == 302:
        assert again.headers["Location"] == first.headers["Location"], "the second lands where the first did"
    assert _count(session, FormSubmission) == 1
