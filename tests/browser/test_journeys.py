"""End-to-end journeys in headless Chromium against gunicorn, with axe-core on every page.

An organiser prepares a round and a moderator approves it; participants from two stakeholder
groups comment; the round closes early and is published; each sees the other's input in the
side-by-side matrix. The comment journey is also done with the keyboard alone. The last test
runs the Nu HTML checker over every page the journeys saved.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from consult.db import utcnow
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROUND_TITLE = "Second round: vulnerability disclosure"
GOV_TEXT = "Governments ask that disclosure timelines respect national CERT procedures."
INDUSTRY_TEXT = "Industry proposes a 90-day coordinated disclosure window."


_USED_STEPS: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """The app's current code, waiting for the next one when this one was used (once only)."""
    import pyotp

    totp = pyotp.TOTP(secret)
    while int(time.time()) // 30 <= _USED_STEPS.get(secret, -1):
        time.sleep(1)
    _USED_STEPS[secret] = int(time.time()) // 30
    return totp.now()


class Person:
    """One person's browser context (own cookies) and page, audited on every page it visits."""

    def __init__(self, browser, world, auditor, email: str) -> None:
        self.context = browser.new_context(base_url=world.base, locale="en-GB", reduced_motion="reduce")
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.auditor = auditor
        self.email = email
        self.totp_secret = world.totp.get(email, "")

    def audit(self, label: str = "") -> None:
        self.auditor.check(self.page, label)

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        self.audit()

    def sign_in(self) -> None:
        self.goto("/login")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(factories.PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in", exact=True).click()
        if self.page.url.endswith("/login/second-factor"):  # staff: the code from their app
            self.audit("second factor")
            self.page.get_by_label("Code from your authenticator app").fill(fresh_code(self.totp_secret))
            self.page.get_by_role("button", name="Continue").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()
        self.audit()

    def click(self, locator) -> None:
        """Click something that loads a page, then audit that page."""
        with self.page.expect_navigation():
            locator.click()
        self.audit()

    def open_link(self, name: str | re.Pattern, role: str = "link") -> None:
        self.click(self.page.get_by_role(role, name=name).first)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, world, auditor):
    opened: list[Person] = []

    def person(name: str) -> Person:
        p = Person(browser, world, auditor, world.emails[name])
        p.sign_in()
        opened.append(p)
        return p

    yield person
    for p in opened:
        p.close()
    auditor.assert_clean()


def _flash(page: Page) -> str:
    return page.locator(".flashes").inner_text()


def test_round_from_preparation_to_matrix(world, people):
    consultation = world.ids["consultation"]

    # The organiser prepares the round from the consultation page and submits it.
    organiser = people("organiser")
    organiser.goto(f"/consultations/{consultation}")
    organiser.open_link("New round", role="button")  # a link styled as a button
    page = organiser.page
    page.get_by_label("Title").fill(ROUND_TITLE)
    page.get_by_label("Description").fill("Comment on each clause; say what you would change.")
    closes = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")  # the organiser's timezone is UTC
    page.get_by_label("Closes at").fill(closes)
    organiser.click(page.get_by_role("button", name="Prepare the round"))
    assert "Round prepared" in _flash(page)
    organiser.click(page.get_by_role("button", name="Submit for approval"))
    assert "approval" in _flash(page).lower()

    # The moderator approves it from the moderation queue.
    moderator = people("moderator")
    moderator.goto("/moderation")
    page = moderator.page
    page.get_by_text("Approve or send back").first.click()
    moderator.audit("(approval opened)")
    moderator.click(page.get_by_role("button", name="Approve the round"))
    assert "approved" in _flash(page).lower()

    # Participants of two stakeholder groups comment on clause 1, through the real pages.
    for name, text in (("participant:governments", GOV_TEXT), ("participant:industry", INDUSTRY_TEXT)):
        participant = people(name)
        participant.goto("/")
        participant.open_link("Norms of responsible behaviour in cyberspace")
        participant.open_link(ROUND_TITLE)
        page = participant.page
        round_page = page.url
        participant.open_link(re.compile(r"^Comment on 1$"))  # the round page, with the form at clause 1
        form = page.locator("section.comment-form")
        form.get_by_label("Type of comment").select_option("technical")
        form.get_by_label(re.compile(r"^Comment")).fill(text)
        form.get_by_label("Proposed change").fill(f"Proposed by {name}.")
        participant.click(form.get_by_role("button", name="Submit comment"))
        assert "Comment submitted" in _flash(page)
        expect(page.locator(".comment-body", has_text=text)).to_be_visible()
        participant.open_link("My comments")
        expect(page.get_by_text(text)).to_be_visible()
        participant.open_link(text)  # the comment page
        expect(page.get_by_text(text)).to_be_visible()
        # Group dialogue: the other group's input is not visible before publication.
        participant.goto(round_page + "/matrix")
        other = INDUSTRY_TEXT if text == GOV_TEXT else GOV_TEXT
        expect(page.get_by_text(other)).to_have_count(0)

    # The moderator closes the round early; the organiser asks for publication; the moderator publishes.
    moderator.goto("/")
    moderator.open_link("Norms of responsible behaviour in cyberspace")
    moderator.open_link(ROUND_TITLE)
    round_url = moderator.page.url
    page = moderator.page
    page.get_by_text("Close early or extend").click()
    moderator.audit("(close early opened)")
    page.get_by_label("Reason for closing now").fill("All groups have answered; the conference is near.")
    moderator.click(page.get_by_role("button", name="Close the round now"))
    assert "closed" in _flash(page).lower()

    organiser.goto(round_url)
    organiser.click(organiser.page.get_by_role("button", name="Ask the moderators to publish the results"))

    moderator.goto("/moderation")
    page.get_by_text("Publish or decline").first.click()
    moderator.audit("(publication opened)")
    moderator.click(page.get_by_role("button", name="Publish the results"))
    assert "published" in _flash(page).lower()

    # Each group now sees the other's input side by side.
    for name in ("participant:governments", "participant:industry"):
        participant = people(name)
        participant.goto(round_url)
        participant.open_link("Side-by-side view by stakeholder group")
        matrix = participant.page.locator("table.matrix")
        expect(matrix.get_by_text(GOV_TEXT)).to_be_visible()
        expect(matrix.get_by_text(INDUSTRY_TEXT)).to_be_visible()


FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        description: `${el.tagName.toLowerCase()}#${el.id} "${(el.innerText || el.value || '').trim().slice(0, 40)}"`,
        outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
        visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def tab_to(page: Page, target, limit: int = 120) -> None:
    """Press Tab until `target` has the focus, checking that every focused element shows it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"no visible focus on {focused['description']}: outline {focused['outline']}"
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {limit} presses of Tab")


def test_comment_with_the_keyboard_only(browser, world, auditor):
    """Sign in, open the round, open a clause's comment form, choose the type, type, submit, see
    the comment: Tab, Enter, Space, arrow keys and typing only."""
    person = Person(browser, world, auditor, world.emails["participant:governments"])
    page = person.page
    text = "Keyboard users can comment: this clause should name a point of contact."
    try:
        person.goto("/login")
        tab_to(page, page.get_by_label("Email"))
        page.keyboard.type(person.email)
        tab_to(page, page.get_by_label("Password"))
        page.keyboard.type(factories.PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        person.audit("(signed in with the keyboard)")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        tab_to(page, page.get_by_role("link", name="Secure development consultation"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        person.audit()
        tab_to(page, page.get_by_role("link", name="Keyboard round"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        person.audit()

        # The form opens where it is asked for: the link reloads the round page with it at clause 1.
        tab_to(page, page.get_by_role("link", name=re.compile(r"^Comment on 1$")))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        form = page.locator("section.comment-form")
        expect(form).to_have_count(1)
        person.audit("(comment form opened with the keyboard)")
        comment_type = form.get_by_label("Type of comment")
        tab_to(page, comment_type)
        page.keyboard.press("ArrowDown")  # General -> Technical
        expect(comment_type).to_have_value("technical")
        tab_to(page, form.get_by_label(re.compile(r"^Comment")))
        page.keyboard.type(text)
        organisation_only = form.get_by_label("My organisation only")
        group_only = form.get_by_label("My stakeholder group only")
        expect(group_only).to_be_checked()  # the least exposing level, unless the author chooses
        tab_to(page, group_only)
        page.keyboard.press("ArrowUp")
        expect(organisation_only).to_be_checked()
        tab_to(page, form.get_by_role("button", name="Submit comment"))
        with page.expect_navigation():
            page.keyboard.press("Space")
        person.audit("(comment submitted with the keyboard)")
        assert "Comment submitted" in _flash(page)
        comment = page.locator("article.comment", has_text=text)
        expect(comment).to_be_visible()
        expect(comment.locator(".tag", has_text="Technical")).to_be_visible()
    finally:
        person.close()
    auditor.assert_clean()


def _text_of(message) -> str:
    parts = [p for p in message.walk() if p.get_content_type() == "text/plain"] or [message]
    return "\n".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8") for p in parts)


def test_organiser_sends_a_digest_that_arrives(world, people):
    """The organiser previews a digest as a participant and sends it; it reaches the SMTP sink."""
    consultation = world.ids["consultation"]
    organiser = people("organiser")
    response = organiser.page.request.get(f"/consultations/{consultation}/digests/new")
    if response.status == 404:
        pytest.skip("the organiser's digest composer (branch email) is not in this branch yet")
    intro = "Results of the second round are published: see how the other groups answered."
    industry = world.emails["participant:industry"]
    organiser.goto(f"/consultations/{consultation}")
    organiser.open_link("New digest", role="button")
    page = organiser.page
    composer = page.locator("form[method=post]", has=page.get_by_role("button", name="Preview"))
    composer.get_by_label("Introduction").fill(intro)
    recipient = composer.locator("option", has_text=f"({industry})").get_attribute("value")
    composer.get_by_label("Preview as").select_option(recipient)
    organiser.click(composer.get_by_role("button", name="Preview"))
    expect(page.locator(".digest-preview")).to_contain_text(intro)
    organiser.click(page.get_by_role("button", name="Review and send"))
    expect(page.locator(".digest-review")).to_contain_text("will receive this digest")
    world.smtp.clear()
    organiser.click(page.get_by_role("button", name=re.compile(r"^Send the digest to \d+ people$")))
    assert "on its way" in _flash(page)

    deadline = time.monotonic() + 20
    while not world.smtp.to(industry) and time.monotonic() < deadline:
        time.sleep(0.2)
    received = world.smtp.to(industry)
    assert len(received) == 1, f"{len(received)} digests reached {industry}"
    assert intro in _text_of(received[0])
    assert world.smtp.to(world.emails["participant:governments"]), "the other group's participant got none"
    organiser.goto(page.url)  # the progress page, once sent


def test_search_and_an_api_token(world, people):
    """The header's search box at 390 px, the results with the words marked; a token made on the
    account page works on the API (and not once revoked)."""
    person = people("participant:industry")
    page = person.page
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()  # in the closed menu
    page.locator(".site-menu > summary").click()  # the Menu button opens it, no JavaScript
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("searchbox", name="Search consultations, drafts and comments").fill("responsible behaviour")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    person.audit("search results")
    expect(page.locator(".search-hits mark").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    person.goto("/account")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tokens = page.locator("#api-tokens")
    tokens.get_by_label("Name").fill("Browser journey tool")
    tokens.get_by_label(re.compile("Read what you may see")).check()
    person.click(tokens.get_by_role("button", name="Create token"))
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("cst_")
    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.ok and me.json()["scopes"] == ["read"]
    person.goto("/account")
    person.click(page.get_by_role("button", name="Revoke the token Browser journey tool"))
    assert page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status == 401
    page.set_viewport_size({"width": 1280, "height": 800})


WORKSPACE_ROUND = "Third round: incident response"
BELL = re.compile(r"^Notifications, (\d+|none) unread$")


def _bell_count(person: Person) -> int:
    name = person.page.locator("a.bell .visually-hidden").inner_text().strip()  # its accessible name
    found = BELL.match(name)
    assert found, f"bell reads {name!r}"
    return 0 if found.group(1) == "none" else int(found.group(1))


def _no_sideways_scroll(person: Person, what: str) -> None:
    width = person.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 0, f"{what} scrolls sideways by {width}px at {person.page.viewport_size}"


def test_moderator_is_told_approves_from_the_workspace_and_the_organiser_is_told(world, people):
    """The organiser submits a round; the moderator's home page says "1 round waits for your
    approval", the moderator follows it and approves; the organiser's bell then shows it."""
    consultation = world.ids["consultation"]
    organiser = people("organiser")
    organiser.goto(f"/consultations/{consultation}")
    organiser.open_link("New round", role="button")
    page = organiser.page
    page.get_by_label("Title").fill(WORKSPACE_ROUND)
    closes = (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Closes at").fill(closes)
    organiser.click(page.get_by_role("button", name="Prepare the round"))
    organiser.click(page.get_by_role("button", name="Submit for approval"))
    organiser.goto("/")
    before = _bell_count(organiser)

    moderator = people("moderator")
    moderator.goto("/")
    page = moderator.page
    expect(page.get_by_role("heading", name="What needs you")).to_be_visible()
    waiting = page.locator("section", has=page.get_by_role("heading", name="1 round waits for your approval"))
    expect(waiting).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile(r"^Notifications, [1-9]\d* unread$"))).to_be_visible()
    moderator.click(waiting.get_by_role("link", name=WORKSPACE_ROUND))
    page.get_by_text("Approve or send back").click()
    moderator.audit("(approval opened from the workspace)")
    moderator.click(page.get_by_role("button", name="Approve the round"))
    assert "approved" in _flash(page).lower()
    moderator.goto("/")
    expect(page.get_by_role("heading", name=re.compile("waits? for your approval"))).to_have_count(0)

    organiser.goto("/")
    assert _bell_count(organiser) > before
    organiser.click(organiser.page.locator("a.bell"))
    expect(
        organiser.page.get_by_role("link", name=re.compile(f"A moderator approved the round {WORKSPACE_ROUND}"))
    ).to_be_visible()

    # The workspace, the notifications and the moderation queue at 390 px: no sideways scrolling.
    for person, path in ((organiser, "/notifications"), (organiser, "/"), (moderator, "/"), (moderator, "/moderation")):
        person.page.set_viewport_size({"width": 390, "height": 844})
        person.goto(path)
        _no_sideways_scroll(person, path)
        person.page.locator(".site-menu > summary").click()  # the bell is in the menu
        expect(person.page.locator("a.bell")).to_be_visible()


def test_pages_are_valid_html(auditor):
    """The Nu HTML checker over every page the journeys saved (it refuses localhost URLs)."""
    if not auditor.saved:
        pytest.skip("no journey ran in this session")
    errors = auditor.validate_html()
    assert not errors, f"Nu HTML checker, {len(errors)} errors:\n" + "\n".join(errors)
