"""Visibility, the heart of the product: who sees which comments, on every surface.

For every preset × every phase, a round with accepted comments from two stakeholder groups
(governments, industry) and comments in every other state. The comments each viewer may see
are computed here from the table in DESIGN.md, written out in plain Python (not by asking
`consult.policy`); the test then checks that exactly those comments appear on the round page,
in its counts, in the side-by-side matrix (accepted ones) and as `/comments/<id>`, and that
nothing of the others (text, proposed change, id, link) appears in any response.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest

from consult.api import services as api_services
from consult.auth.models import Role, User
from consult.comments.models import Attribution, CommentStatus
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.factories import make_consultation
from tests.support.clients import sign_in
from tests.support.state import release

# --- The rule, from DESIGN.md ----------------------------------------------------------------

# preset -> (own group, other groups): the stage from which accepted comments become visible.
TABLE = {
    Preset.SEALED: ("after_close", "after_publication"),
    Preset.GROUP_DIALOGUE: ("while_open", "after_publication"),
    Preset.OPEN_DIALOGUE: ("while_open", "while_open"),
}
# The phases in which each stage has been reached.
REACHED = {
    "while_open": {Phase.OPEN, Phase.CLOSED, Phase.PUBLISHED, Phase.ARCHIVED},
    "after_close": {Phase.CLOSED, Phase.PUBLISHED, Phase.ARCHIVED},
    "after_publication": {Phase.PUBLISHED, Phase.ARCHIVED},
    "never": set(),
}
PUBLISHED = {Phase.PUBLISHED, Phase.ARCHIVED}
UNAPPROVED = {Phase.DRAFT, Phase.PENDING_APPROVAL}
STAFF = {"moderator", "organiser"}  # the admin runs the platform and reads like a visitor


@dataclass
class Spec:
    """A comment of the world: who wrote it, in what state, where."""

    author: str
    status: CommentStatus
    clause: str | None
    hidden: bool = False


SPECS = {
    "author's accepted": Spec("author", CommentStatus.ACCEPTED, "k1"),
    "colleague's accepted": Spec("colleague", CommentStatus.ACCEPTED, "k2"),
    "compatriot's accepted (general)": Spec("compatriot", CommentStatus.ACCEPTED, None),
    "industry's accepted": Spec("other group", CommentStatus.ACCEPTED, "k1"),
    "other industry organisation's accepted": Spec("industry2", CommentStatus.ACCEPTED, "k3"),
    "author's draft": Spec("author", CommentStatus.DRAFT, "k1"),
    "author's withdrawn": Spec("author", CommentStatus.WITHDRAWN, "k2"),
    "author's hidden": Spec("author", CommentStatus.ACCEPTED, "k3", hidden=True),
    "colleague's rejected": Spec("colleague", CommentStatus.REJECTED, "k1"),
    "colleague's awaiting sign-off": Spec("colleague", CommentStatus.AWAITING_SIGNOFF, "k3"),
    "compatriot's awaiting moderation": Spec("compatriot", CommentStatus.AWAITING_MODERATION, "k2"),
    "industry's hidden": Spec("industry2", CommentStatus.ACCEPTED, "k1", hidden=True),
    "industry's rejected": Spec("other group", CommentStatus.REJECTED, None),
}

# Viewer -> (organisation, stakeholder group) as the world builds them; None: no organisation.
MEMBERSHIP = {
    "anonymous": None,
    "author": ("ministry", "governments"),
    "colleague": ("ministry", "governments"),
    "focal point": ("ministry", "governments"),
    "same group, other organisation": ("other ministry", "governments"),
    "other group": ("company", "industry"),
    "moderator": None,
    "organiser": None,
    "admin": None,
}
AUTHORS = {
    "author": "author",
    "colleague": "colleague",
    "compatriot": "same group, other organisation",
    "other group": "other group",
    "industry2": None,  # another industry organisation: nobody's colleague among the viewers
}
AUTHOR_MEMBERSHIP = {**{k: MEMBERSHIP[v] for k, v in AUTHORS.items() if v}, "industry2": ("company 2", "industry")}


def round_visible(viewer: str, phase: Phase) -> bool:
    """Staff see every round; anyone signed in an approved one; visitors published public results."""
    if viewer in STAFF:
        return True
    if viewer == "anonymous":
        return phase in PUBLISHED  # the round's results are public, its consultation is public
    return phase not in UNAPPROVED


def expected_visible(viewer: str, spec: Spec, preset: Preset, phase: Phase) -> bool:
    """DESIGN.md: authors see their own, members of the organisation the organisation's,
    staff everything submitted, others accepted comments from the stage the table says;
    anonymous visitors only published public rounds. Drafts are the author's alone, a withdrawn
    comment is gone, a hidden one is hidden from everyone but its author and staff."""
    if not round_visible(viewer, phase):
        return False
    if viewer in STAFF:
        return spec.status not in (CommentStatus.DRAFT, CommentStatus.WITHDRAWN)
    if AUTHORS.get(spec.author) == viewer:
        return True
    shown = spec.status is CommentStatus.ACCEPTED and not spec.hidden
    membership = MEMBERSHIP[viewer]
    if membership is None:  # anonymous, admin
        return shown and phase in PUBLISHED
    organisation, group = membership
    author_organisation, author_group = AUTHOR_MEMBERSHIP[spec.author]
    if organisation == author_organisation and not spec.hidden:
        if spec.status not in (CommentStatus.DRAFT, CommentStatus.WITHDRAWN):
            return True
    own, other = TABLE[preset]
    return shown and phase in REACHED[own if group == author_group else other]


# --- The world ---------------------------------------------------------------------------------


@dataclass
class World:
    round_id: int
    consultation_id: int
    users: dict[str, User]
    ids: dict[str, int]  # spec name -> comment id
    markers: dict[str, tuple[str, str]]  # spec name -> (body marker, proposed-change marker)


def build(session, people, preset: Preset, phase: Phase) -> World:
    ministry = people.organisations["governments"]
    company = people.organisations["industry"]
    users = {
        "author": people["participant:governments"],
        "colleague": factories.make_user(session, Role.PARTICIPANT, ministry),
        "focal point": people["focal_point"],
        "same group, other organisation": factories.make_user(
            session, Role.PARTICIPANT, factories.make_organisation(session, "governments", "Other ministry")
        ),
        "other group": people["participant:industry"],
        "industry2": factories.make_user(
            session, Role.PARTICIPANT, factories.make_organisation(session, "industry", "Company 2")
        ),
        "moderator": people["moderator"],
        "organiser": people["organiser"],
        "admin": people["admin"],
    }
    assert users["focal point"].organisation_id == ministry.id and users["other group"].organisation_id == company.id
    consultation = make_consultation(session, title="Secure development norms")
    round_ = factories.make_round(session, phase, preset, consultation=consultation, results_public=True)
    ids, markers = {}, {}
    writer = {"compatriot": "same group, other organisation"}
    for name, spec in SPECS.items():
        body, proposal = f"body-{secrets.token_hex(6)}", f"proposal-{secrets.token_hex(6)}"
        comment = factories.make_comment(
            session,
            round_,
            users[writer.get(spec.author, spec.author)],
            clause_key=spec.clause,
            status=spec.status,
            body=body,
            proposed_change=proposal,
            hidden=spec.hidden,
        )
        ids[name], markers[name] = comment.id, (body, proposal)
    session.commit()
    return World(round_.id, consultation.id, users, ids, markers)


def client_for(app, login_as, session, people, world: World, viewer: str):
    client = sign_in(app, login_as, session, people, "anonymous")
    if viewer != "anonymous":
        login_as(client, world.users[viewer])
    release(session)
    return client


# --- Reading the pages -------------------------------------------------------------------------

ARTICLE_RE = re.compile(r'<article class="comment" id="comment-(\d+)"')
SECTION_RE = re.compile(r'<section aria-labelledby="(general|clause-(k\d+))-heading"(.*?)</section>', re.S)
COUNT_RE = re.compile(r'<p class="count">(\d+) comments? you can see')
TOTAL_RE = re.compile(r"Comments you can see</dt><dd>(\d+)</dd>")
LINK_RE = re.compile(r'href="/comments/(\d+)"')
SEARCH_HIT_RE = re.compile(r'<h2><span class="tag">[^<]*</span> <a href="[^"]*#comment-(\d+)"')


def leaks(html: str, world: World, hidden_names: set[str]) -> list[str]:
    """What of the comments the viewer must not see appears in `html`: text, ids, links."""
    found = []
    for name in hidden_names:
        cid = world.ids[name]
        body, proposal = world.markers[name]
        patterns = [
            re.escape(body),
            re.escape(proposal),
            rf"comment-{cid}(?!\d)",
            rf"/comments/{cid}(?!\d)",
            rf"comment_id={cid}(?!\d)",
            rf"(?i)\bcomment {cid}(?!\d)",
        ]
        found += [f"{name} ({pattern})" for pattern in patterns if re.search(pattern, html)]
    return found


VIEWERS = tuple(MEMBERSHIP)
PAGES_BY_VIEWER = {  # other pages that list comments, per viewer
    "author": ["/my/comments"],
    "colleague": ["/my/comments"],
    "focal point": ["/my/comments", "/signoff"],
    "same group, other organisation": ["/my/comments"],
    "other group": ["/my/comments"],
    "moderator": ["/moderation"],
}


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("preset", list(TABLE))
def test_every_surface_shows_exactly_the_visible_comments(app, session, people, login_as, preset, phase):
    world = build(session, people, preset, phase)
    by_id = {cid: name for name, cid in world.ids.items()}
    tokens = {
        viewer: api_services.create_token(session, actor=user, name="matrix", scopes=["read"], days=1).secret
        for viewer, user in world.users.items()
        if viewer in VIEWERS
    }
    session.commit()
    problems = []
    for viewer in VIEWERS:
        visible = {name for name, spec in SPECS.items() if expected_visible(viewer, spec, preset, phase)}
        invisible = set(SPECS) - visible
        client = client_for(app, login_as, session, people, world, viewer)
        responses = {}

        def get(url, client=client, responses=responses):
            response = client.get(url)
            responses[url] = response.get_data(as_text=True)
            return response

        def report(what, expected, got, viewer=viewer):
            if expected != got:
                problems.append(f"{viewer}: {what}: expected {sorted(expected, key=str)}, got {sorted(got, key=str)}")

        # The round page: the comments, the total and each clause's count.
        page = get(f"/rounds/{world.round_id}?size=100")
        report("round page status", {200 if round_visible(viewer, phase) else 404}, {page.status_code})
        html = responses[f"/rounds/{world.round_id}?size=100"]
        if page.status_code == 200:
            shown = {by_id.get(int(i), f"unknown {i}") for i in ARTICLE_RE.findall(html)}
            report("round page comments", visible, shown)
            report("round page total", {len(visible)}, set(map(int, TOTAL_RE.findall(html))))
            counts = {}
            for _section, key, inner in SECTION_RE.findall(html):
                found = COUNT_RE.search(inner)
                counts[key or None] = int(found.group(1)) if found else None
            expected_counts = {key: 0 for key in (None, "k1", "k2", "k3")}
            for name in visible:
                expected_counts[SPECS[name].clause] += 1
            report("round page counts by clause", set(expected_counts.items()), set(counts.items()))

        # The matrix: the visible positions (accepted, not hidden).
        matrix = get(f"/rounds/{world.round_id}/matrix")
        report("matrix status", {200 if round_visible(viewer, phase) else 404}, {matrix.status_code})
        if matrix.status_code == 200:
            linked = {
                by_id.get(int(i), f"unknown {i}")
                for i in LINK_RE.findall(responses[f"/rounds/{world.round_id}/matrix"])
            }
            positions = {n for n in visible if SPECS[n].status is CommentStatus.ACCEPTED and not SPECS[n].hidden}
            report("matrix comments", positions, linked)

        # Each comment's own page.
        for name, cid in world.ids.items():
            response = get(f"/comments/{cid}")
            report(f"/comments/<{name}>", {200 if name in visible else 404}, {response.status_code})

        for url in PAGES_BY_VIEWER.get(viewer, []):
            assert get(url).status_code == 200, (viewer, url)

        # Search: words every comment has find exactly the visible ones (body and proposed change).
        for word in ("body", "proposal"):
            url = f"/search?q={word}&kind=comment&round={world.round_id}"
            assert get(url).status_code == 200
            found = {by_id.get(int(i), f"unknown {i}") for i in SEARCH_HIT_RE.findall(responses[url])}
            report(f"search for {word!r}", visible, found)

        # The API, with a token of the viewer's (anonymous visitors have none).
        if viewer in tokens:
            headers = {"Authorization": f"Bearer {tokens[viewer]}"}

            def api(url, headers=headers, responses=responses, client=client):
                response = client.get(url, headers=headers)
                responses[url] = response.get_data(as_text=True)
                return response

            listed = api(f"/api/v1/rounds/{world.round_id}/comments?limit=100")
            report("API round comments status", {200 if round_visible(viewer, phase) else 404}, {listed.status_code})
            if listed.status_code == 200:
                report("API round comments", visible, {by_id.get(c["id"]) for c in listed.json["items"]})
            searched = api(f"/api/v1/search?q=body&kind=comment&round={world.round_id}&limit=100")
            report("API search", visible, {by_id.get(h["comment_id"]) for h in searched.json["items"]})
            for name, cid in world.ids.items():
                response = api(f"/api/v1/comments/{cid}")
                report(f"API /comments/<{name}>", {200 if name in visible else 404}, {response.status_code})

        # Nothing of what the viewer must not see, anywhere.
        for url, text in responses.items():
            own_page = re.match(r"(/api/v1)?/comments/\d+$", url) and by_id.get(int(url.rsplit("/", 1)[1])) in invisible
            found = leaks(text, world, invisible)
            if own_page:
                # A 404 for a comment names nothing but the URL asked for.
                found = [f for f in found if "/comments/" not in f and "comment-" not in f]
            if found:
                problems.append(f"{viewer}: GET {url} shows {found}")
    assert not problems, f"{preset.value}, {phase.value}:\n" + "\n".join(problems)


# --- Attribution ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attribution", [Attribution.PERSON, Attribution.ORGANISATION, Attribution.GROUP], ids=lambda a: a.value
)
def test_attribution_shows_what_the_author_chose(app, session, people, login_as, attribution):
    """Other participants learn the person (person), the organisation (organisation) or only the
    stakeholder group (group); the author's organisation and staff always know the person."""
    ministry = factories.make_organisation(session, "governments", name=f"Ministry {secrets.token_hex(4)}")
    author = factories.make_user(session, Role.PARTICIPANT, ministry, name=f"Author {secrets.token_hex(4)}")
    colleague = factories.make_user(session, Role.PARTICIPANT, ministry)
    round_ = factories.make_round(session, Phase.PUBLISHED, Preset.OPEN_DIALOGUE, results_public=True)
    comment = factories.make_comment(session, round_, author, attribution=attribution, body="Attributed comment")
    session.commit()
    person, organisation = author.display_name, ministry.name

    viewers = {
        "anonymous": None,
        "other group": people["participant:industry"],
        "same group, other organisation": people["participant:governments"],
        "colleague": colleague,
        "author": author,
        "moderator": people["moderator"],
        "organiser": people["organiser"],
    }
    knows_person = {"colleague", "author", "moderator", "organiser"}
    for viewer, user in viewers.items():
        client = sign_in(app, login_as, session, people, "anonymous")
        if user is not None:
            login_as(client, user)
        release(session)
        if viewer in knows_person or attribution is Attribution.PERSON:
            shows = {person, organisation}
        elif attribution is Attribution.ORGANISATION:
            shows = {organisation}
        else:
            shows = set()
        for url in (f"/rounds/{round_.id}", f"/rounds/{round_.id}/matrix", f"/comments/{comment.id}"):
            response = client.get(url)
            assert response.status_code == 200, (viewer, url)
            html = response.get_data(as_text=True)
            assert "Attributed comment" in html, (viewer, url)
            for name in (person, organisation):
                assert (name in html) == (name in shows), f"{viewer} on {url}: {name!r} shown: {name in html}"
            if not shows:
                assert "A participant from Governments" in html, (viewer, url)
        bylines = re.findall(r'class="byline"><strong>([^<]*)</strong>', client.get(f"/comments/{comment.id}").text)
        expected = {
            frozenset({person, organisation}): f"{person}, {organisation} (Governments)",
            frozenset({organisation}): f"{organisation} (Governments)",
            frozenset(): "A participant from Governments",
        }[frozenset(shows)]
        assert bylines == [expected], (viewer, bylines)
