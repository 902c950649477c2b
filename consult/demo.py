"""The demo consultation that `make run` shows: organisations, accounts, a consultation.

Modelled on the road from the Budapest Conference on Cyberspace (2012) to the Seoul
conference (2013); dates are set relative to today so that the demo is always live. The
organisations and people are fictional.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import audit
from consult.auth.models import SEED_GROUPS, Organisation, Role, StakeholderGroup, User
from consult.auth.services import hash_password
from consult.consultations.models import Consultation
from consult.db import utcnow

DEMO_PASSWORD = "consult-demo-2026"  # noqa: S105 (printed by `make run`, demo only)
# The authenticator-app secret of every demo account whose role needs a second factor: known, so
# that `flask demo totp <email>` (or any app given this key) shows the current code. Demo only.
DEMO_TOTP_SECRET = "CONSULTDEMOSTAFFKEYNOTFORREALUSE"  # noqa: S105

# (name, country, group slug)
ORGANISATIONS = (
    ("Republic of Korea, Ministry of Foreign Affairs", "KR", "governments"),
    ("Hungary, Ministry of Foreign Affairs and Trade", "HU", "governments"),
    ("Hanbit Networks", "KR", "industry"),
    ("Digital Rights Watch", "HU", "civil-society"),
    ("Danube Institute for Internet Research", "AT", "academia-technical"),
    ("Regional Cyber Cooperation Organisation", "", "igo"),
)

# (email, name, role, organisation index or None, timezone)
ACCOUNTS = (
    ("gov@demo.example", "Min-jun Park", Role.PARTICIPANT, 0, "Asia/Seoul"),
    ("focal@demo.example", "Ji-woo Kim", Role.FOCAL_POINT, 0, "Asia/Seoul"),
    ("gov.hu@demo.example", "Eszter Nagy", Role.PARTICIPANT, 1, "Europe/Budapest"),
    ("industry@demo.example", "Seo-yeon Lee", Role.PARTICIPANT, 2, "Asia/Seoul"),
    ("civil@demo.example", "Gábor Kovács", Role.PARTICIPANT, 3, "Europe/Budapest"),
    ("academia@demo.example", "Lena Huber", Role.PARTICIPANT, 4, "Europe/Vienna"),
    ("igo@demo.example", "Amara Okafor", Role.PARTICIPANT, 5, "Europe/Brussels"),
    ("moderator@demo.example", "Sofia Rossi", Role.MODERATOR, None, "Europe/Rome"),
    ("moderator2@demo.example", "Daniel Cohen", Role.MODERATOR, None, "Europe/London"),
    ("organiser@demo.example", "Hye-jin Choi", Role.ORGANISER, None, "Asia/Seoul"),
    ("admin@demo.example", "Alex Morgan", Role.ADMIN, None, "UTC"),
)


def ensure_groups(session: Session) -> dict[str, StakeholderGroup]:
    """The seeded stakeholder groups by slug (created if missing)."""
    groups = {g.slug: g for g in session.scalars(select(StakeholderGroup))}
    for position, (slug, name) in enumerate(SEED_GROUPS, start=1):
        if slug not in groups:
            groups[slug] = StakeholderGroup(slug=slug, name=name, position=position)
            session.add(groups[slug])
    session.flush()
    return groups


def give_staff_demo_totp(session: Session) -> None:
    """Demo accounts whose role needs a second factor get the known demo secret (if they have none)."""
    from consult import policy
    from consult.auth.models import TotpSecret

    emails = [a[0] for a in ACCOUNTS]
    for user in session.scalars(select(User).where(User.email.in_(emails))):
        if not policy.requires_second_factor(user):
            continue
        if session.scalar(select(TotpSecret.id).where(TotpSecret.user_id == user.id)) is None:
            session.add(TotpSecret(user_id=user.id, secret=DEMO_TOTP_SECRET, confirmed_at=utcnow()))
    session.flush()


def load_demo(session: Session, password: str = DEMO_PASSWORD, if_empty: bool = False) -> bool:
    """Create the demo data; with `if_empty`, only into a database without accounts."""
    if if_empty and session.scalar(select(func.count(User.id))):
        give_staff_demo_totp(session)  # a demo database from before second factors
        return False
    groups = ensure_groups(session)
    organisations = []
    for name, country, slug in ORGANISATIONS:
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, country=country, stakeholder_group=groups[slug])
            session.add(org)
        organisations.append(org)
    session.flush()
    password_hash = hash_password(password)
    for email, name, role, org_index, tz in ACCOUNTS:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            session.add(
                User(
                    email=email,
                    display_name=name,
                    role=role,
                    organisation=organisations[org_index] if org_index is not None else None,
                    timezone=tz,
                    password_hash=password_hash,
                )
            )
    session.flush()
    give_staff_demo_totp(session)
    if session.scalar(select(func.count(Consultation.id))) == 0:
        organiser = session.scalar(select(User).where(User.email == "organiser@demo.example"))
        consultation = Consultation(
            title="Norms of responsible behaviour in cyberspace: the road to Seoul",
            summary=(
                "Following the Budapest Conference on Cyberspace, governments, industry, civil "
                "society, the technical community and intergovernmental organisations comment on "
                "draft norms of responsible behaviour in cyberspace, ahead of the Seoul "
                "Conference on Cyberspace."
            ),
            conference_name="Seoul Conference on Cyberspace",
            conference_place="Seoul, Republic of Korea",
            conference_date=(utcnow() + timedelta(days=90)).date(),
            is_public=True,
            created_by_id=organiser.id if organiser else None,
        )
        session.add(consultation)
        audit.record(session, actor=None, action="demo.load", subject=consultation, summary="demo data loaded")
        from consult.demo_rounds import load_rounds

        load_rounds(session, consultation)
    return True


def demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """(email, role, organisation) of each demo account present in the database."""
    emails = [a[0] for a in ACCOUNTS]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    return [
        (u.email, u.role.value, u.organisation.name if u.organisation else "")
        for u in (users.get(e) for e in emails)
        if u is not None
    ]
