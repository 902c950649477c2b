"""The side-by-side page, cell by cell: for every preset × phase × viewer, each cell says exactly
what the rule lets the viewer know (the comments they may read, comments visible to them later
with their number only once the round has closed, no comment, or not shared with their group);
nothing of a comment they may not read (text, proposed change, id) is in the page.

The expected states are computed here from DESIGN.md's table in plain Python, not by asking
`consult.policy`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from consult.auth.models import Role
from consult.comments.models import CommentStatus
from consult.rounds.models import Phase, Preset, RoundVisibility, Stage
from tests import factories
from tests.support.clients import sign_in
from tests.support.state import release

TABLE = {  # preset -> (own group, other groups)
    Preset.SEALED: ("after_close", "after_publication"),
    Preset.GROUP_DIALOGUE: ("while_open", "after_publication"),
    Preset.OPEN_DIALOGUE: ("while_open", "while_open"),
}
REACHED = {
    "while_open": {Phase.OPEN, Phase.CLOSED, Phase.PUBLISHED},
    "after_close": {Phase.CLOSED, Phase.PUBLISHED},
    "after_publication": {Phase.PUBLISHED},
}
WHEN = {"after_close": "when the round closes", "after_publication": "when the results are published"}
GROUP_NAMES = {"governments": "Governments", "industry": "Industry", "civil-society": "Civil society"}
VIEWERS = ("participant:governments", "participant:industry", "anonymous", "admin", "moderator")


@dataclass
class Spec:
    author: str  # "colleague" (of the governments participant), "ministry", "industry", "cs"
    clause: str
    status: CommentStatus = CommentStatus.ACCEPTED
    hidden: bool = False


# Civil society's comments are never shared with governments or industry in these rounds (the
# rule is changed after the preset), which also keeps them from the public (`public_rule`).
SPECS = {
    "colleague k1": Spec("colleague", "k1"),
    "ministry k1": Spec("ministry", "k1"),
    "industry k1 a": Spec("industry", "k1"),
    "industry k1 b": Spec("industry", "k1"),
    "industry k2": Spec("industry", "k2"),
    "cs k1": Spec("cs", "k1"),
    "industry hidden k1": Spec("industry", "k1", hidden=True),
    "industry awaiting k3": Spec("industry", "k3", CommentStatus.AWAITING_MODERATION),
    "ministry rejected k3": Spec("ministry", "k3", CommentStatus.REJECTED),
}
AUTHOR_GROUP = {"colleague": "governments", "ministry": "governments", "industry": "industry", "cs": "civil-society"}


def reach(viewer: str, author_group: str, preset: Preset, phase: Phase) -> tuple[str, str | None]:
    """(visible | later | never, the stage for later) from DESIGN.md's table."""
    if viewer == "moderator":
        return "visible", None
    if viewer in ("anonymous", "admin"):
        if author_group == "civil-society":
            return "never", None
        return ("visible", None) if phase is Phase.PUBLISHED else ("later", "after_publication")
    if author_group == "civil-society":
        return "never", None
    own, other = TABLE[preset]
    stage = own if f"participant:{author_group}" == viewer else other
    return ("visible", None) if phase in REACHED[stage] else ("later", stage)


def readable(viewer: str, name: str, preset: Preset, phase: Phase) -> bool:
    """Positions (accepted, unhidden) the viewer reads on the page."""
    spec = SPECS[name]
    if spec.status is not CommentStatus.ACCEPTED or spec.hidden:
        return False
    if viewer == "participant:governments" and spec.author == "colleague":
        return True
    return reach(viewer, AUTHOR_GROUP[spec.author], preset, phase)[0] == "visible"


@pytest.fixture
def build(session, people):
    def build(preset: Preset, phase: Phase):
        governments = people.organisations["governments"]
        authors = {
            "colleague": factories.make_user(session, Role.PARTICIPANT, governments),
            "ministry": factories.make_user(
                session, Role.PARTICIPANT, factories.make_organisation(session, "governments", "Other ministry")
            ),
            "industry": factories.make_user(
                session, Role.PARTICIPANT, factories.make_organisation(session, "industry", "Company 2")
            ),
            "cs": factories.make_user(
                session, Role.PARTICIPANT, factories.make_organisation(session, "civil-society", "NGO 2")
            ),
        }
        round_ = factories.make_round(session, phase, preset, results_public=True)
        cs = factories.group(session, "civil-society")
        session.execute(
            update(RoundVisibility)
            .where(
                RoundVisibility.round_id == round_.id,
                RoundVisibility.author_group_id == cs.id,
                RoundVisibility.viewer_group_id != cs.id,
            )
            .values(stage=Stage.NEVER)
        )
        ids, markers = {}, {}
        for name, spec in SPECS.items():
            body, proposal = f"body-{secrets.token_hex(6)}", f"proposal-{secrets.token_hex(6)}"
            comment = factories.make_comment(
                session,
                round_,
                authors[spec.author],
                clause_key=spec.clause,
                status=spec.status,
                body=body,
                proposed_change=proposal,
                hidden=spec.hidden,
            )
            ids[name], markers[name] = comment.id, (body, proposal)
        session.commit()
        return round_.id, ids, markers

    return build


ROW_RE = re.compile(r'<tr id="row-([\w-]+)">(.*?)</tr>', re.S)
CELL_RE = re.compile(
    r'<p class="cell-group">([^<]+)</p>\s*<div class="cell cell-(\w+)" data-state="\w+">(.*?)</div>\s*</td>', re.S
)


def cells_of(html: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(row key, group name) -> (state, inner HTML)."""
    found = {}
    for key, row in ROW_RE.findall(html):
        for group, state, inner in CELL_RE.findall(row):
            found[(key, group)] = (state, inner)
    return found


def leaks(html: str, ids: dict, markers: dict, names: set[str]) -> list[str]:
    found = []
    for name in names:
        cid = ids[name]
        for pattern in (*map(re.escape, markers[name]), rf"/comments/{cid}(?!\d)", rf"comment-{cid}(?!\d)"):
            if re.search(pattern, html):
                found.append(f"{name} ({pattern})")
    return found


@pytest.mark.parametrize("phase", [Phase.OPEN, Phase.CLOSED, Phase.PUBLISHED])
@pytest.mark.parametrize("preset", list(TABLE))
def test_each_cell_says_what_the_viewer_may_know(app, session, people, login_as, build, preset, phase):
    round_id, ids, markers = build(preset, phase)
    problems = []
    for viewer in VIEWERS:
        client = sign_in(app, login_as, session, people, viewer)
        response = client.get(f"/rounds/{round_id}/matrix")
        if viewer == "anonymous" and phase is not Phase.PUBLISHED:
            assert response.status_code == 404
            continue
        assert response.status_code == 200, viewer
        html = response.get_data(as_text=True)
        cells = cells_of(html)
        readable_names = {n for n in SPECS if readable(viewer, n, preset, phase)}
        problems += [f"{viewer}: shows {leak}" for leak in leaks(html, ids, markers, set(SPECS) - readable_names)]
        for name in readable_names:
            if markers[name][0] not in html or f'href="/comments/{ids[name]}"' not in html:
                problems.append(f"{viewer}: does not show {name}")
        for key in ("k1", "k2", "k3"):
            for slug, group in GROUP_NAMES.items():
                state, inner = cells[(key, group)]
                kind, stage = reach(viewer, slug, preset, phase)
                shown = {n for n in readable_names if SPECS[n].clause == key and AUTHOR_GROUP[SPECS[n].author] == slug}
                waiting = {
                    n
                    for n, s in SPECS.items()
                    if s.clause == key
                    and AUTHOR_GROUP[s.author] == slug
                    and s.status is CommentStatus.ACCEPTED
                    and not s.hidden
                    and n not in readable_names
                }
                where = f"{viewer} {key} {group}"
                if "No comment from this group" in inner and (shown or waiting):
                    problems.append(f"{where}: says no comment where comments exist")
                if kind == "never":
                    expected_state = "comments" if shown else "never"
                    if re.search(r"\d+ (more )?comments? from this group", inner):
                        problems.append(f"{where}: a never cell gives a count")
                elif kind == "visible":
                    expected_state = "comments" if shown else "none"
                else:
                    expected_state = "comments" if shown else "waiting"
                    counts_known = phase is not Phase.OPEN and viewer.startswith("participant")
                    if counts_known and waiting:
                        n = len(waiting)
                        more = "more " if shown else ""
                        text = f"{n} {more}comment{'s' if n > 1 else ''} from this group, visible to you {WHEN[stage]}"
                        if text not in inner:
                            problems.append(f"{where}: expected {text!r} in {inner!r}")
                    elif counts_known and not waiting and not shown:
                        expected_state = "none"
                    else:
                        if "if any" not in inner or re.search(r"\d+ (more )?comments? from this group", inner):
                            problems.append(f"{where}: expected a count-free 'if any' sentence in {inner!r}")
                if state != expected_state:
                    problems.append(f"{where}: state {state}, expected {expected_state}")
        release(session)
    assert not problems, f"{preset.value}, {phase.value}:\n" + "\n".join(problems)


def test_never_cells_say_so_to_the_groups_and_to_the_public(app, session, people, login_as, build):
    round_id, _ids, _markers = build(Preset.OPEN_DIALOGUE, Phase.PUBLISHED)
    html = sign_in(app, login_as, session, people, "participant:industry").get(f"/rounds/{round_id}/matrix").text
    assert "This group's comments are not shared with your group." in cells_of(html)[("k1", "Civil society")][1]
    html = sign_in(app, login_as, session, people, "anonymous").get(f"/rounds/{round_id}/matrix").text
    assert "This group's comments are not made public." in cells_of(html)[("k1", "Civil society")][1]
