"""The world the access matrix, the parameter sweep and the crawler point at: every viewer,
one of every object (rounds in every phase, comments in every state), and each rule's URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from consult.auth.models import RememberedBrowser, Role, User, UserSession
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.digests.models import Digest
from tests import factories

HOST = "consult.test"  # SERVER_NAME in the root `app_config`

VIEWERS = (
    "anonymous",
    "participant:governments",
    "participant:industry",
    "participant:civil-society",
    "participant:academia-technical",
    "participant:igo",
    "focal_point",
    "moderator",
    "organiser",
    "admin",
)
SIGNED_IN = VIEWERS[1:]


@dataclass
class World:
    """The objects an access matrix points at, by URL argument."""

    subject: User  # a participant nobody else is: the "other person" of user pages
    organisation_id: int
    other_group_organisation_id: int
    group_id: int
    invitation_id: int
    revoked_invitation_id: int
    public_consultation_id: int
    hidden_consultation_id: int
    # A draft of the public consultation, its version, an open group-dialogue round on it,
    # an accepted comment of the subject (civil society) in that round, and a report on it.
    draft_id: int = 0
    version_id: int = 0
    round_id: int = 0
    comment_id: int = 0
    report_id: int = 0
    disposition_id: int = 0  # released, on the governments participant's comment in the closed round
    # More objects by name, for the object dimension of the access matrix and for the crawler.
    objects: dict[str, int] = field(default_factory=dict)
    digest_id: int = 0  # an organiser digest of the public consultation
    job_id: int = 0  # a finished briefing PDF of the open round, asked for by the governments participant
    # The subject's passkey, session record and remembered browser (nobody else may touch them).
    passkey_id: int = 0
    session_id: int = 0
    browser_id: int = 0
    token_id: int = 0  # a personal access token of the subject
    notification_id: int = 0  # the governments participant's notification that the base round opened
    pending_id: int = 0  # the subject's table sent again to the base round, waiting for confirmation

    def url_args(self) -> dict[str, Any]:
        """A value for every URL argument name the app's rules use."""
        return {
            "user_id": self.subject.id,
            "organisation_id": self.organisation_id,
            "group_id": self.group_id,
            "invitation_id": self.invitation_id,
            "consultation_id": self.public_consultation_id,
            "digest_id": self.digest_id,
            "token": "not-a-valid-token",
            "draft_id": self.draft_id,
            "version_id": self.version_id,
            "round_id": self.round_id,
            "clause_key": "k1",
            "comment_id": self.comment_id,
            "report_id": self.report_id,
            "disposition_id": self.disposition_id,
            "job_id": self.job_id,
            "passkey_id": self.passkey_id,
            "session_id": self.session_id,
            "browser_id": self.browser_id,
            "token_id": self.token_id,
            "notification_id": self.notification_id,
            "pending_id": self.pending_id,
        }


def rule_for(app, endpoint: str, method: str):
    """The URL rule `endpoint` that answers `method`."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == endpoint and method in rule.methods:
            return rule
    raise AssertionError(f"no rule {endpoint} {method}")


def build_url(app, endpoint: str, method: str, args: dict[str, Any]) -> str:
    """The URL of the rule `endpoint` answering `method`, with its arguments from `args`."""
    rule = rule_for(app, endpoint, method)
    missing = rule.arguments - args.keys()
    assert not missing, f"{rule.rule}: add a value for {sorted(missing)} to World.url_args()"
    with app.test_request_context():
        return url_for(endpoint, **{name: args[name] for name in rule.arguments})


def build_world(session: Session, people: factories.People) -> World:
    """One of everything the matrix and the crawler need, committed."""
    subject = factories.make_user(
        session,
        Role.PARTICIPANT,
        people.organisations["civil-society"],
        email="subject@example.org",
        name="Subject",
    )
    world = World(
        subject=subject,
        organisation_id=people.organisations["industry"].id,
        other_group_organisation_id=people.organisations["igo"].id,
        group_id=factories.group(session, "governments").id,
        invitation_id=factories.make_invitation(session, "invited@example.org").id,
        revoked_invitation_id=factories.make_invitation(session, "revoked@example.org", revoked=True).id,
        public_consultation_id=factories.make_consultation(session, title="Vulnerability disclosure norms").id,
        hidden_consultation_id=factories.make_consultation(
            session, public=False, title="Incident response (in preparation)"
        ).id,
    )
    _add_rounds_and_comments(session, people, world)
    digest = Digest(consultation_id=world.public_consultation_id, intro="Welcome", sent_at=utcnow())
    session.add(digest)
    session.flush()
    world.digest_id = digest.id
    from consult.api.services import create_token

    world.token_id = create_token(
        session, actor=world.subject, name="subject's tool", scopes=["read"], days=30
    ).token.id
    session.flush()
    from consult.exports.models import BriefingJob, JobStatus

    job = BriefingJob(
        requested_by_id=people["participant:governments"].id,
        round_id=world.round_id,
        status=JobStatus.DONE,
        stage="done",
        progress=100,
        pdf=b"%PDF-1.4 a briefing of the open round",
        size=38,
        finished_at=utcnow(),
    )
    session.add(job)
    session.flush()
    world.job_id = world.objects["briefing job"] = job.id
    from consult.exports.models import PendingImport

    pending = PendingImport(user_id=world.subject.id, round_id=world.round_id, data=b"a table sent again")
    session.add(pending)
    session.flush()
    world.pending_id = world.objects["the subject's pending import"] = pending.id
    _add_security_records(session, people, world)
    from consult.notifications.models import Notification

    notification = Notification(
        user_id=people["participant:governments"].id,
        event=f"round_opened:r{world.round_id}",
        kind="round_opened",
        round_id=world.round_id,
        params={"round_id": world.round_id},
    )
    session.add(notification)
    session.flush()
    world.notification_id = world.objects["a notification of the governments participant"] = notification.id
    session.commit()
    return world


def _add_security_records(session: Session, people: factories.People, world: World) -> None:
    """A passkey, an ended-or-not session record and a remembered browser for the subject and for
    every signed-in viewer (`own passkey:<viewer>`, ...), for the rules that act on them."""
    owners = [("subject", world.subject)] + [(viewer, people[viewer]) for viewer in SIGNED_IN]
    for name, user in owners:
        passkey = factories.make_passkey(session, user)
        record = UserSession(user_id=user.id, method="password", device="Firefox, Linux", network="192.0.2.0/24")
        browser = RememberedBrowser(
            user_id=user.id,
            browser_hash=f"{user.id:064d}",
            device="Firefox, Linux",
            expires_at=utcnow() + timedelta(days=30),
        )
        session.add_all([record, browser])
        session.flush()
        if name == "subject":
            world.passkey_id, world.session_id, world.browser_id = passkey.id, record.id, browser.id
        else:
            world.objects[f"own passkey:{name}"] = passkey.id
            world.objects[f"own session:{name}"] = record.id
            world.objects[f"own browser:{name}"] = browser.id


def _add_rounds_and_comments(session: Session, people: factories.People, world: World) -> None:
    """Drafts, rounds in every phase and comments in every state, named in `world.objects`.

    The base objects (`world.round_id`, `world.comment_id`, ...) are in the public consultation:
    an open group-dialogue round and an accepted comment of the subject (civil society), whom
    only the civil-society participant and staff may read while the round is open.
    """
    from consult.comments.models import CommentReport, CommentStatus
    from consult.rounds.models import Phase, Preset

    public = session.get(Consultation, world.public_consultation_id)
    hidden = session.get(Consultation, world.hidden_consultation_id)
    organiser = people["organiser"]
    version = factories.make_version(session, public)
    world.draft_id, world.version_id = version.draft_id, version.id
    objects = world.objects

    def round_(name: str, phase: Phase, **kwargs: Any) -> Any:
        kwargs.setdefault("consultation", public)
        if kwargs["consultation"] is public:
            kwargs.setdefault("version", version)
        made = factories.make_round(session, phase, prepared_by=organiser, **kwargs)
        objects[name] = made.id
        return made

    def comment(name: str, where: Any, author: User, **kwargs: Any) -> Any:
        made = factories.make_comment(session, where, author, **kwargs)
        objects[name] = made.id
        return made

    base = round_("open round", Phase.OPEN)
    world.round_id = base.id
    world.comment_id = comment("subject's accepted comment", base, world.subject).id
    report = CommentReport(comment_id=world.comment_id, reporter_id=world.subject.id, reason="Off topic")
    session.add(report)
    session.flush()
    world.report_id = report.id
    objects["open report"] = report.id

    # A round in every phase (group dialogue, results public, in the public consultation).
    for phase in Phase:
        round_(f"{phase.value} round", phase)
    round_("published round, results not public", Phase.PUBLISHED, results_public=False)
    elsewhere = round_("published round of a hidden consultation", Phase.PUBLISHED, consultation=hidden)
    objects["draft of the hidden consultation"] = elsewhere.version.draft_id
    objects["version of the hidden consultation"] = elsewhere.version_id
    round_("pending round to approve", Phase.PENDING_APPROVAL)
    round_("draft round to submit", Phase.DRAFT)

    # Comments of each participant (and the focal point) in the open round, and in a closed one.
    closed = session.get(type(base), objects["closed round"])
    for viewer in SIGNED_IN:
        user = people[viewer]
        if user.organisation_id is not None:
            comment(f"own comment:{viewer}", base, user, clause_key="k2")
            comment(f"own comment in the closed round:{viewer}", closed, user, clause_key="k2")
            comment(f"own draft:{viewer}", base, user, clause_key="k3", status=CommentStatus.DRAFT)

    # A released disposition on the governments participant's comment in the closed round.
    from consult.dispositions.models import Disposition, DispositionKind

    disposition = Disposition(
        comment_id=objects["own comment in the closed round:participant:governments"],
        round_id=closed.id,
        kind=DispositionKind.NOTED,
        observation="Noted.",
        recorded_by_id=organiser.id,
        released_at=utcnow(),
        released_by_id=organiser.id,
    )
    session.add(disposition)
    session.flush()
    world.disposition_id = objects["released disposition"] = disposition.id

    # A sealed open round: a government colleague's comment (same organisation as the
    # governments participant and the focal point) and one of another government organisation.
    sealed = round_("sealed open round", Phase.OPEN, preset=Preset.SEALED)
    colleague = factories.make_user(
        session, Role.PARTICIPANT, people.organisations["governments"], email="colleague@example.org"
    )
    other_ministry = factories.make_organisation(session, "governments", name="Other ministry")
    compatriot = factories.make_user(session, Role.PARTICIPANT, other_ministry, email="compatriot@example.org")
    comment("a government colleague's comment (sealed round)", sealed, colleague)
    comment("another government organisation's comment (sealed round)", sealed, compatriot)
    comment("a colleague's comment awaiting sign-off", base, colleague, status=CommentStatus.AWAITING_SIGNOFF)

    # The subject's comments in other states, and comments of published rounds.
    comment("subject's hidden comment", base, world.subject, hidden=True)
    comment("subject's draft", base, world.subject, status=CommentStatus.DRAFT)
    comment("subject's withdrawn comment", base, world.subject, status=CommentStatus.WITHDRAWN)
    comment("subject's rejected comment", base, world.subject, status=CommentStatus.REJECTED)
    comment("subject's comment awaiting moderation", base, world.subject, status=CommentStatus.AWAITING_MODERATION)
    published = session.get(type(base), objects["published round"])
    comment("accepted comment of a published public round", published, world.subject)
    not_public = session.get(type(base), objects["published round, results not public"])
    comment("accepted comment of a published round, results not public", not_public, world.subject)
    other = session.get(type(base), objects["published round of a hidden consultation"])
    comment("accepted comment of a published round of another consultation", other, world.subject)
    session.flush()
