"""Helpers shared by the policy, admin and web suites: isolated clients, CSRF tokens, a world.

Why `IsolatedClient`: the root `session` fixture keeps a test request context pushed for the
whole test, and Flask reuses a pushed app context for every request the test client makes.
Each request would then share `g` with the test and with every other client: the signed-in
user (`g._login_user`), the CSRF token and the database session leak from one request to the
next, so an anonymous client is served as whoever asked before. An isolated client runs each
request in an empty `contextvars.Context`, so it gets its own app context, `g` and database
session, exactly as under a real server.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from consult import tokens
from consult.auth.models import Invitation, Role, User
from consult.consultations.models import Consultation
from consult.db import Base, utcnow
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

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*\svalue="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context (see the module docstring)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("method", "GET") not in ("GET", "HEAD"):
            _release_test_session()
        return contextvars.Context().run(super().open, *args, **kwargs)


def _release_test_session() -> None:
    """End the transaction of the test's own session (a writer's: BEGIN IMMEDIATE on SQLite)
    before a request that writes, which would otherwise wait for it until "database is locked".
    Only when it holds no unflushed changes: those a test must commit first anyway."""
    from flask import g, has_app_context

    if not has_app_context():
        return
    db_session = g.get("db_session")
    if db_session is None or not db_session.in_transaction():
        return
    if not (db_session.new or db_session.dirty or db_session.deleted):
        db_session.rollback()


def isolate(app: Any) -> Any:
    """Make `app.test_client()` hand out isolated clients."""
    app.test_client_class = IsolatedClient
    return app


def csrf_token(client: Any) -> str:
    """A valid CSRF token for `client`'s session, read from a page as a browser would."""
    response = client.get("/login", follow_redirects=True)
    found = _CSRF_RE.search(response.get_data(as_text=True))
    assert found, "no CSRF token on the sign-in page (or the page it redirects to)"
    return found.group(1)


def post(client: Any, url: str, data: dict | None = None, **kwargs: Any) -> Any:
    """POST `data` with a valid CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def is_login_redirect(response: Any) -> bool:
    """A 302 to the sign-in page that asks to come back (`next=`): "please sign in first"."""
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers.get("Location", ""))
    return location.path == "/login" and "next" in parse_qs(location.query)


def assert_security_headers(response: Any, what: str = "") -> None:
    """The headers S8 asks of every response."""
    label = what or f"{response.request.method} {response.request.path} -> {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, f"{label}: no Content-Security-Policy"
    assert "'unsafe-inline'" not in csp, f"{label}: CSP allows 'unsafe-inline'"
    assert "frame-ancestors 'none'" in csp, f"{label}: CSP lacks frame-ancestors 'none'"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", f"{label}: no nosniff"
    assert response.headers.get("Referrer-Policy"), f"{label}: no Referrer-Policy"


def fresh(session: Session) -> Session:
    """End the test session's transaction so it sees what requests committed since."""
    session.rollback()
    session.expire_all()  # rollback outside a transaction expires nothing
    return session


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
    token_id: int = 0  # a personal access token of the subject
    # More objects by name, for the object dimension of the access matrix and for the crawler.
    objects: dict[str, int] = field(default_factory=dict)
    digest_id: int = 0  # an organiser digest of the public consultation

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
            "comment_id": self.comment_id,
            "report_id": self.report_id,
            "disposition_id": self.disposition_id,
            "token_id": self.token_id,
        }


def rule_for(app, endpoint: str, method: str):
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


def make_consultation(session: Session, title: str, public: bool, summary: str = "") -> Consultation:
    consultation = Consultation(
        title=title,
        summary=summary or f"Summary of {title}",
        conference_name="Seoul Conference on Cyberspace",
        conference_place="Seoul",
        conference_date=date(2030, 10, 17),
        is_public=public,
    )
    session.add(consultation)
    session.flush()
    return consultation


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
        invitation_id=make_invitation(session, "invited@example.org").id,
        revoked_invitation_id=make_invitation(session, "revoked@example.org", revoked=True).id,
        public_consultation_id=make_consultation(session, "Vulnerability disclosure norms", public=True).id,
        hidden_consultation_id=make_consultation(session, "Incident response (in preparation)", public=False).id,
    )
    _add_rounds_and_comments(session, people, world)
    digest = Digest(consultation_id=world.public_consultation_id, intro="Welcome", sent_at=utcnow())
    session.add(digest)
    session.flush()
    world.digest_id = digest.id
    from consult.api.services import create_token

    world.token_id = create_token(session, actor=subject, name="subject's tool", scopes=["read"], days=30).token.id
    session.flush()
    session.commit()
    return world


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


def sign_in(app: Any, login_as: Any, session: Session, people: factories.People, viewer: str) -> Any:
    """A fresh isolated client signed in as `viewer` (or anonymous)."""
    client = app.test_client()
    if viewer != "anonymous":
        fresh(session)  # the login id carries the session version, which requests may bump
        login_as(client, people[viewer])
    release(session)
    return client


def release(session: Session) -> None:
    """End the test session's transaction: it is a writer's (BEGIN IMMEDIATE on SQLite), and
    a request that writes would wait for it. Read what a test needs first, then release."""
    session.rollback()


def table_snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (the data set is small in these tests)."""
    fresh(session)
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        snapshot[table.name] = [tuple(row) for row in session.execute(select(table).order_by(*order))]
    return snapshot


def row_counts(session: Session) -> dict[str, int]:
    fresh(session)
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables
    }


def audit_count(session: Session) -> int:
    fresh(session)
    return session.scalar(text("SELECT count(*) FROM audit_event"))


class LinkParser(HTMLParser):
    """Collects `<a href>` targets, `<option>` values per select, and attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.options: dict[str, list[str]] = {}
        self.attributes: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.attributes.extend((tag, name, value) for name, value in values.items())
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "select":
            self._select = values.get("name") or values.get("id") or ""
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse(html: str) -> LinkParser:
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    return parser
