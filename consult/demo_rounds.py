"""The demo's drafts, rounds and comments: a published first round and an open second one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.auth.models import User
from consult.comments import services as comments
from consult.comments.models import Attribution, CommentType
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.dispositions import services as dispositions
from consult.dispositions.models import AcknowledgementKind, Disposition, DispositionKind
from consult.drafts import services as drafts
from consult.drafts.importer import ClauseText
from consult.rounds import services as rounds
from consult.rounds.models import Preset, Round

V1 = [
    ClauseText(
        "1",
        "Purpose",
        "These norms describe responsible behaviour in cyberspace, to be "
        "discussed at the Seoul Conference on Cyberspace.",
    ),
    ClauseText(
        "2",
        "Protection of critical infrastructure",
        "States should not conduct or knowingly support activity that intentionally damages "
        "critical infrastructure providing services to the public.",
    ),
    ClauseText(
        "3",
        "Coordinated vulnerability disclosure",
        "States should encourage responsible reporting of vulnerabilities and share associated "
        "information on available remedies.",
    ),
    ClauseText(
        "4",
        "Incident response teams",
        "States should not harm the information systems of authorised emergency response teams.",
    ),
    ClauseText("5", "Secure development", "Producers should follow secure development practices."),
    ClauseText("6", "Review", "These norms are reviewed after two years."),
]

# (account, clause number or None, type, body, proposed change, attribution)
ROUND_ONE_COMMENTS = [
    (
        "gov@demo.example",
        "2",
        CommentType.TECHNICAL,
        "The notion of critical infrastructure should follow national designations.",
        "…critical infrastructure, as designated by each State, providing services…",
        Attribution.PERSON,
    ),
    (
        "gov.hu@demo.example",
        "3",
        CommentType.GENERAL,
        "We support this norm and the reference to remedies.",
        "",
        Attribution.ORGANISATION,
    ),
    (
        "industry@demo.example",
        "3",
        CommentType.TECHNICAL,
        "Disclosure timelines must leave vendors time to ship fixes.",
        "…share associated information on available remedies, in coordination with affected vendors.",
        Attribution.ORGANISATION,
    ),
    (
        "industry@demo.example",
        "5",
        CommentType.TECHNICAL,
        "Secure development should reference recognised international standards.",
        "Producers should follow recognised secure development standards.",
        Attribution.PERSON,
    ),
    (
        "civil@demo.example",
        "2",
        CommentType.GENERAL,
        "Civilian infrastructure must be protected at all times, not only when it serves the public.",
        "States should not conduct or knowingly support activity that damages civilian infrastructure.",
        Attribution.PERSON,
    ),
    (
        "academia@demo.example",
        "4",
        CommentType.EDITORIAL,
        "Use the established term 'computer security incident response teams (CSIRTs)'.",
        "…the information systems of computer security incident response teams (CSIRTs).",
        Attribution.GROUP,
    ),
    (
        "igo@demo.example",
        None,
        CommentType.GENERAL,
        "The draft would benefit from a reference to existing regional confidence-building measures.",
        "",
        Attribution.ORGANISATION,
    ),
]


def _user(session: Session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def load_rounds(session: Session, consultation: Consultation) -> None:
    """A draft with two versions, a published round on v1 and an open round on v2."""
    now = utcnow()
    organiser = _user(session, "organiser@demo.example")
    moderator = _user(session, "moderator@demo.example")
    draft = drafts.create_draft(
        session, actor=organiser, consultation=consultation, title="Norms of responsible behaviour in cyberspace"
    )
    session.flush()
    v1 = drafts.create_version(session, actor=organiser, draft=draft, clauses=V1, note="First draft")
    draft.created_at = v1.created_at = now - timedelta(days=65)  # the demo's story starts two months ago
    keys = {c.number: c.key for c in drafts.clauses_of(session, v1)}

    first = rounds.create_round(
        session,
        actor=organiser,
        consultation=consultation,
        version=v1,
        settings=rounds.RoundSettings(
            title="First round: comments on the first draft",
            description="Comment on every clause; your group sees its own input while the round is open.",
            opens_at=now - timedelta(days=60),
            closes_at=now - timedelta(days=30),
            preset=Preset.GROUP_DIALOGUE,
            requires_signoff=False,
            premoderation=False,
            results_public=True,
        ),
    )
    rounds.submit_for_approval(session, actor=organiser, round_=first, now=now - timedelta(days=62))
    rounds.approve_round(session, actor=moderator, round_=first, now=now - timedelta(days=61))
    first_comments = []
    for n, (email, number, kind, body, change, attribution) in enumerate(ROUND_ONE_COMMENTS):
        comment, _created = comments.save_comment(
            session,
            actor=_user(session, email),
            round_=first,
            data=comments.CommentInput(keys.get(number) if number else None, kind, body, change, attribution),
            nonce=f"demo-1-{n}",
            submit=True,
            now=now - timedelta(days=50 - n),
        )
        first_comments.append(comment)
    # Hungary supports clause 3 as drafted, where industry asks for a change: the side-by-side
    # page's "change or keep" filter finds it.
    first_comments[1].supports_text = True
    rounds.request_publication(session, actor=organiser, round_=first, now=now - timedelta(days=25))
    rounds.publish(session, actor=moderator, round_=first, now=now - timedelta(days=20))

    v2_clauses = [
        ClauseText(c.number, c.heading, c.body, c.key) for c in drafts.clauses_of(session, v1) if c.number != "6"
    ]
    v2_clauses[1].body = (
        "States should not conduct or knowingly support activity that intentionally damages "
        "critical infrastructure, as designated by each State, providing services to the public."
    )
    v2_clauses[
        3
    ].body = "States should not harm the information systems of computer security incident response teams (CSIRTs)."
    v2_clauses.append(
        ClauseText("6", "Confidence-building measures", "States should build on regional confidence-building measures.")
    )
    v2 = drafts.create_version(
        session, actor=organiser, draft=draft, clauses=v2_clauses, note="Revised after the first round"
    )
    v2.created_at = now - timedelta(days=15)
    keys2 = {c.number: c.key for c in drafts.clauses_of(session, v2)}
    _answer_first_round(session, organiser, first_comments, drafts.clauses_of(session, v2), now)
    second = rounds.create_round(
        session,
        actor=organiser,
        consultation=consultation,
        version=v2,
        settings=rounds.RoundSettings(
            title="Second round: the revised draft",
            description="Comments need your focal point's sign-off before they count.",
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=14),
            preset=Preset.GROUP_DIALOGUE,
            requires_signoff=True,
            premoderation=False,
            results_public=True,
        ),
    )
    rounds.submit_for_approval(session, actor=organiser, round_=second, now=now - timedelta(days=5))
    rounds.approve_round(session, actor=moderator, round_=second, now=now - timedelta(days=4))
    for n, (email, number, body, keep) in enumerate(
        [
            ("focal@demo.example", "2", "The national designation is welcome; we support the revised text.", True),
            ("gov@demo.example", "6", "Regional measures should be listed in an annex.", False),
            ("industry@demo.example", "3", "Coordination with vendors is still missing from this clause.", False),
        ]
    ):
        data = comments.CommentInput(keys2[number], CommentType.GENERAL, body, "", Attribution.ORGANISATION)
        data.supports_text = keep
        comments.save_comment(
            session,
            actor=_user(session, email),
            round_=second,
            data=data,
            nonce=f"demo-2-{n}",
            submit=True,
            now=now - timedelta(days=2, hours=n),
        )


# (disposition, observation, clause number of v2 that answers it or None) for each first-round comment.
ROUND_ONE_DISPOSITIONS = [
    (DispositionKind.ACCEPTED, "Clause 2 now refers to infrastructure as designated by each State.", "2"),
    (DispositionKind.NOTED, "Support for the norm is noted.", None),
    (DispositionKind.NOT_ACCEPTED, "Coordination with vendors is left to national disclosure policies.", "3"),
    (DispositionKind.ACCEPTED_IN_PRINCIPLE, "Standards will be referenced in the explanatory note.", "5"),
    (DispositionKind.PARTIALLY_ACCEPTED, "The protection of civilian infrastructure is discussed further.", "2"),
    (DispositionKind.ACCEPTED, "The established term is used.", "4"),
    (DispositionKind.ACCEPTED, "A clause on confidence-building measures was added.", "6"),
]
# (comment index, account, acknowledgement, reason)
ROUND_ONE_REPLIES = [
    (0, "gov@demo.example", AcknowledgementKind.SATISFIED, ""),
    (5, "academia@demo.example", AcknowledgementKind.SATISFIED, "Thank you."),
    (6, "igo@demo.example", AcknowledgementKind.SATISFIED, ""),
    (2, "industry@demo.example", AcknowledgementKind.OBJECTION, "Without vendor coordination, disclosure harms users."),
]


def _answer_first_round(session: Session, organiser: User, first_comments: list, v2_clauses: list, now) -> None:
    """Dispositions of the published first round (released), a few replies and one objection."""
    by_number = {c.number: c.id for c in v2_clauses}
    round_ = session.get(Round, first_comments[0].round_id)
    for comment, (kind, observation, number) in zip(first_comments, ROUND_ONE_DISPOSITIONS, strict=True):
        dispositions.record_disposition(
            session,
            actor=organiser,
            comment=comment,
            kind=kind,
            observation=observation,
            answer_clause_id=by_number.get(number) if number else None,
            now=now - timedelta(days=19),
        )
    dispositions.release_dispositions(session, actor=organiser, round_=round_, now=now - timedelta(days=18))
    for index, email, kind, reason in ROUND_ONE_REPLIES:
        disposition = session.scalar(select(Disposition).where(Disposition.comment_id == first_comments[index].id))
        dispositions.acknowledge(
            session, actor=_user(session, email), disposition=disposition, kind=kind, reason=reason, now=now
        )
