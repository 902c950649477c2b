"""Each earlier comment shown against the next version: its clause changed, unchanged or deleted."""

from __future__ import annotations

from consult.dispositions import services
from consult.dispositions.models import DispositionKind
from consult.drafts.models import Clause, DraftVersion
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.support.clients import sign_in


def next_version(session, round_):
    """v2 of the round's draft: k1 unchanged, k2 changed, k3 deleted, k9 new."""
    v2 = DraftVersion(draft_id=round_.version.draft_id, number=2)
    session.add(v2)
    session.flush()
    session.add_all(
        [
            Clause(version_id=v2.id, key="k1", position=1, number="1", heading="Heading 1", body="Text of clause 1."),
            Clause(version_id=v2.id, key="k2", position=2, number="2", heading="Heading 2", body="A new text."),
            Clause(version_id=v2.id, key="k9", position=3, number="3", heading="Brand new", body="New."),
        ]
    )
    session.flush()
    return v2


def test_status_of_each_clause_in_the_next_version(session, people):
    round_ = make_round(session, Phase.CLOSED)
    assert services.carried_forward(session, round_, {"k1"}) == (None, {})
    v2 = next_version(session, round_)
    version, status = services.carried_forward(session, round_, {"k1", "k2", "k3", None})
    assert version.id == v2.id
    assert status == {"k1": "unchanged", "k2": "changed", "k3": "deleted", None: "general"}


def test_the_dispositions_page_shows_each_comment_against_the_next_version(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    author = people["participant:governments"]
    comments = {key: make_comment(session, round_, author, key) for key in ("k1", "k2", "k3")}
    v2 = next_version(session, round_)
    answer = next(c for c in services.later_clauses(session, round_) if c.key == "k9")
    services.record_disposition(
        session, actor=people["organiser"], comment=comments["k3"], kind=DispositionKind.ACCEPTED,
        observation="Moved", answer_clause_id=answer.id,
    )  # fmt: skip
    session.commit()
    page = sign_in(app, login_as, session, people, "organiser").get(f"/rounds/{round_.id}/dispositions")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for key, status in (("k1", "unchanged"), ("k2", "changed"), ("k3", "deleted")):
        section = text.split(f'id="comment-{comments[key].id}"')[1].split("</article>")[0]
        assert f"in v2: {status}" in section
    assert "Answered in clause 3 Brand new of the next version." in text
    assert f"/versions/{v2.id}#clause-k9" in text
