"""Plain builders for tests: `make_*` functions that add rows to a session (no commit)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import audit, policy, tokens
from consult.auth.models import Invitation, Organisation, Role, StakeholderGroup, User
from consult.auth.services import hash_password
from consult.db import utcnow

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def group(session: Session, slug: str) -> StakeholderGroup:
    found = session.scalar(select(StakeholderGroup).where(StakeholderGroup.slug == slug))
    assert found is not None, f"no stakeholder group {slug}"
    return found


def make_organisation(session: Session, group_slug: str = "governments", name: str | None = None) -> Organisation:
    org = Organisation(
        name=name or f"Organisation {next(_seq)}", country="", stakeholder_group=group(session, group_slug)
    )
    session.add(org)
    session.flush()
    return org


def make_user(
    session: Session,
    role: Role = Role.PARTICIPANT,
    organisation: Organisation | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    name: str | None = None,
    active: bool = True,
) -> User:
    n = next(_seq)
    if role in (Role.PARTICIPANT, Role.FOCAL_POINT) and organisation is None:
        organisation = make_organisation(session)
    user = User(
        email=email or f"person{n}@example.org",
        display_name=name or f"Person {n}",
        role=role,
        organisation=organisation,
        password_hash=hash_password(password),
        is_active_flag=active,
    )
    session.add(user)
    session.flush()
    return user


def make_passkey(session: Session, user: User, name: str = "Security key", passwordless: bool = False):
    """A stored passkey (its key material is not a real authenticator's: for listing and removing)."""
    import secrets

    from consult.auth.models import Passkey

    passkey = Passkey(
        user_id=user.id,
        name=name,
        credential_id=secrets.token_urlsafe(32),
        public_key=b"not a real key",
        user_handle=secrets.token_urlsafe(32),
        passwordless=passwordless,
    )
    session.add(passkey)
    session.flush()
    return passkey


def make_totp(session: Session, user: User, secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"):  # noqa: S107
    """A confirmed authenticator app for `user` with a known secret (pyotp.TOTP(secret).now())."""
    from consult.auth.models import TotpSecret

    totp = TotpSecret(user_id=user.id, secret=secret, confirmed_at=utcnow())
    session.add(totp)
    session.flush()
    return totp


@dataclass
class People:
    """Everyone the access matrices need, by name."""

    by_name: dict[str, User] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)

    def __getitem__(self, name: str) -> User:
        return self.by_name[name]


GROUP_SLUGS = ("governments", "industry", "civil-society", "academia-technical", "igo")


def make_people(session: Session) -> People:
    """A participant per stakeholder group, a government focal point, moderator, organiser, admin."""
    people = People()
    for slug in GROUP_SLUGS:
        org = make_organisation(session, slug, name=f"{slug} org")
        people.organisations[slug] = org
        people.by_name[f"participant:{slug}"] = make_user(
            session, Role.PARTICIPANT, org, email=f"{slug}@example.org", name=f"{slug} participant"
        )
    people.by_name["focal_point"] = make_user(
        session, Role.FOCAL_POINT, people.organisations["governments"], email="focal@example.org"
    )
    people.by_name["moderator"] = make_user(session, Role.MODERATOR, email="moderator@example.org")
    people.by_name["organiser"] = make_user(session, Role.ORGANISER, email="organiser@example.org")
    people.by_name["admin"] = make_user(session, Role.ADMIN, email="admin@example.org")
    return people


def make_invitation(session: Session, email: str, role: Role = Role.MODERATOR, revoked: bool = False) -> Invitation:
    """A pending (or revoked) invitation; its token is thrown away."""
    _token, token_hash = tokens.new_random_token()
    now = utcnow()
    invitation = Invitation(
        email=email,
        role=role,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + timedelta(days=14),
        revoked_at=now if revoked else None,
    )
    session.add(invitation)
    session.flush()
    return invitation


# --- Consultations, drafts, rounds, comments -------------------------------------------------

from consult.comments.models import Attribution, Comment, CommentStatus, CommentType  # noqa: E402
from consult.comments.services import stamp_keys  # noqa: E402
from consult.consultations.models import Consultation  # noqa: E402
from consult.drafts.models import Clause, Draft, DraftVersion  # noqa: E402
from consult.rounds import services as round_services  # noqa: E402
from consult.rounds.models import Phase, Preset, Round, RoundStatus  # noqa: E402


def make_consultation(
    session: Session, public: bool = True, title: str | None = None, summary: str = "A consultation for tests"
) -> Consultation:
    """A consultation (public unless told otherwise) leading to a conference."""
    consultation = Consultation(
        title=title or f"Consultation {next(_seq)}",
        summary=summary,
        conference_name="Seoul Conference on Cyberspace",
        conference_place="Seoul",
        conference_date=date(2030, 10, 17),
        is_public=public,
    )
    session.add(consultation)
    session.flush()
    return consultation


def make_version(
    session: Session, consultation: Consultation, clauses: int = 3, draft: Draft | None = None
) -> DraftVersion:
    """A draft version with `clauses` clauses numbered 1..n (keys k1..kn)."""
    if draft is None:
        draft = Draft(consultation_id=consultation.id, title=f"Draft {next(_seq)}")
        session.add(draft)
        session.flush()
    number = 1 + len(session.scalars(select(DraftVersion.id).where(DraftVersion.draft_id == draft.id)).all())
    version = DraftVersion(draft_id=draft.id, number=number)
    session.add(version)
    session.flush()
    for i in range(1, clauses + 1):
        session.add(
            Clause(
                version_id=version.id,
                key=f"k{i}",
                position=i,
                number=str(i),
                heading=f"Heading {i}",
                body=f"Text of clause {i}.",
                body_html=f"<p>Text of clause {i}.</p>",
            )
        )
    session.flush()
    return version


# The stored status and clock window that put a round in each phase.
def _window(phase: Phase) -> tuple[RoundStatus, timedelta, timedelta]:
    day = timedelta(days=1)
    return {
        Phase.DRAFT: (RoundStatus.DRAFT, day, 10 * day),
        Phase.PENDING_APPROVAL: (RoundStatus.PENDING_APPROVAL, day, 10 * day),
        Phase.SCHEDULED: (RoundStatus.APPROVED, day, 10 * day),
        Phase.OPEN: (RoundStatus.APPROVED, -day, 10 * day),
        Phase.CLOSED: (RoundStatus.APPROVED, -10 * day, -day),
        Phase.PUBLISHED: (RoundStatus.PUBLISHED, -10 * day, -day),
        Phase.ARCHIVED: (RoundStatus.ARCHIVED, -10 * day, -day),
    }[phase]


def make_round(
    session: Session,
    phase: Phase = Phase.OPEN,
    preset: Preset = Preset.GROUP_DIALOGUE,
    consultation: Consultation | None = None,
    version: DraftVersion | None = None,
    requires_signoff: bool = False,
    premoderation: bool = False,
    results_public: bool = True,
    prepared_by: User | None = None,
    clauses: int = 3,
) -> Round:
    """A round in `phase` (by its stored status and dates relative to now) with its rule."""
    consultation = consultation or make_consultation(session)
    version = version or make_version(session, consultation, clauses)
    status, opens, closes = _window(phase)
    now = utcnow()
    settings = round_services.RoundSettings(
        title=f"Round {next(_seq)}",
        description="",
        opens_at=now + opens,
        closes_at=now + closes,
        preset=preset,
        requires_signoff=requires_signoff,
        premoderation=premoderation,
        results_public=results_public,
    )
    round_ = Round(
        consultation_id=consultation.id,
        version_id=version.id,
        status=status,
        prepared_by_id=prepared_by.id if prepared_by else None,
        published_at=now - timedelta(hours=1) if status in (RoundStatus.PUBLISHED, RoundStatus.ARCHIVED) else None,
        **round_services.settings_fields(settings),
    )
    session.add(round_)
    session.flush()
    round_services.write_rule(session, round_, round_services.rule_cells(session, settings))
    session.flush()
    assert round_.phase(now) is phase
    return round_


def make_comment(
    session: Session,
    round_: Round,
    author: User,
    clause_key: str | None = "k1",
    status: CommentStatus = CommentStatus.ACCEPTED,
    body: str | None = None,
    proposed_change: str = "",
    type: CommentType = CommentType.GENERAL,
    attribution: Attribution = Attribution.PERSON,
    hidden: bool = False,
) -> Comment:
    """A comment stored directly (no clock checks): for building states, not for testing services."""
    position = 0
    if clause_key is not None:
        position = session.scalar(
            select(Clause.position).where(Clause.version_id == round_.version_id, Clause.key == clause_key)
        )
    n = next(_seq)
    comment = Comment(
        round_id=round_.id,
        clause_key=clause_key,
        clause_position=position,
        type=type,
        body=body or f"Comment {n} by {author.email}",
        proposed_change=proposed_change,
        author_id=author.id,
        organisation_id=author.organisation_id,
        stakeholder_group_id=author.organisation.stakeholder_group_id,
        attribution=attribution,
        status=status,
        nonce=f"factory-{n}",
        submitted_at=utcnow(),
        hidden_at=utcnow() if hidden else None,
        hidden_reason="hidden in a test" if hidden else "",
    )
    session.add(comment)
    session.flush()
    if status in policy.SUBMITTED:  # its number and digest keys, as the services give them
        event = audit.record(session, actor=author, action="comment.submit", subject=comment)
        stamp_keys(session, comment, None, event)
        session.flush()
    return comment
