"""The side-by-side page and the single-clause page in headless Chromium, on the demo data: the
keyboard journey (choose the columns, filter, unfold a clause's text, open one clause), axe-core
on every state, at 1280 and 390 px; the header row stays in view while the page scrolls; the
content never makes the page scroll sideways.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from config import TestingConfig
from consult import create_app
from consult.demo import DEMO_PASSWORD
from tests.browser.conftest import Auditor
from tests.browser.test_journeys import tab_to
from tests.load.server import gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 390)
PUBLISHED = "First round: comments on the first draft"
OPEN = "Second round: the revised draft"

# The elements of <main> wider than the window (the widest first): what makes a page scroll
# sideways; and the document's own scroll width.
OVERFLOW = """() => {
    const width = window.innerWidth;
    const wide = [];
    for (const el of document.querySelectorAll('main *')) {
        const box = el.getBoundingClientRect();
        if (box.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
            wide.push([Math.round(box.right), `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`]);
        }
    }
    wide.sort((a, b) => b[0] - a[0]);
    return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """gunicorn serving the demo data (`flask demo load`) on a SQLite file of its own."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('sbs-db') / 'demo.sqlite3'}"
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app({**config, "DATABASE_URL": database_url})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "load"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    from sqlalchemy import select

    from consult.rounds.models import Round

    with app.app_context():
        session = app.extensions["consult.db"].new_session()
        rounds = dict(session.execute(select(Round.title, Round.id)).all())
        session.close()
    app.extensions["consult.db"].engine.dispose()
    with gunicorn(database_url, workers=2, log=Path(tempfile.gettempdir()) / "sbs-gunicorn.log") as base:
        yield base, rounds


def sign_in(browser, base: str, email: str, width: int) -> Page:
    context = browser.new_context(
        base_url=base, locale="en-GB", reduced_motion="reduce", viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def no_sideways_scroll(page: Page, where: str) -> None:
    found = page.evaluate(OVERFLOW)
    assert not found["wide"], f"{where}: wider than {found['width']} px: {found['wide']}"
    assert found["scrollWidth"] <= found["width"], f"{where}: the page scrolls sideways ({found})"


@pytest.mark.parametrize("width", WIDTHS)
def test_keyboard_journey_through_the_side_by_side_page(browser, demo, auditor: Auditor, width):
    base, rounds = demo
    page = sign_in(browser, base, "gov@demo.example", width)
    try:
        page.goto(f"/rounds/{rounds[PUBLISHED]}")
        auditor.check(page, f"({width} px)")
        tab_to(page, page.get_by_role("link", name="Side-by-side view by stakeholder group"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        auditor.check(page, f"({width} px)")
        no_sideways_scroll(page, f"side by side, {width} px")
        table = page.locator("table.sbs")
        expect(table.get_by_text("Disclosure timelines must leave vendors time to ship fixes.")).to_be_visible()

        # Choose two columns and a filter with the keyboard: Space ticks, arrows choose.
        tab_to(page, page.get_by_label("Governments", exact=True))
        page.keyboard.press("Space")
        tab_to(page, page.get_by_label("Industry", exact=True))
        page.keyboard.press("Space")
        show = page.get_by_label("Clauses", exact=True)
        tab_to(page, show)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")  # All -> divergent -> change or keep
        expect(show).to_have_value("keep_or_change")
        tab_to(page, page.get_by_role("button", name="Show"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        auditor.check(page, f"(two columns, change or keep; {width} px)")
        assert re.search(r"group=\d+&group=\d+&show=keep_or_change", page.url), page.url
        if width > 600:
            expect(table.locator("thead th")).to_have_count(3)
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table.get_by_text("keep the text")).to_be_visible()
        no_sideways_scroll(page, f"filtered, {width} px")

        # Unfold the clause's text with the keyboard, then open the clause on its own page.
        summary = table.locator("summary").first
        tab_to(page, summary)
        page.keyboard.press("Enter")
        expect(table.locator("details").first).to_have_attribute("open", "")
        auditor.check(page, f"(clause text unfolded; {width} px)")
        # Back up (Shift+Tab) to the clause's link, above its text.
        link = table.get_by_role("link", name=re.compile(r"^3 Coordinated vulnerability disclosure"))
        for _ in range(10):
            page.keyboard.press("Shift+Tab")
            if link.evaluate("el => el === document.activeElement"):
                break
        else:
            raise AssertionError("the clause's link was not reached with Shift+Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        auditor.check(page, f"(one clause; {width} px)")
        no_sideways_scroll(page, f"clause page, {width} px")
        expect(page.get_by_role("heading", level=1)).to_have_text("3 Coordinated vulnerability disclosure")
        for heading in ("Text of the clause", "Comments by stakeholder group", "Dispositions"):
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(
            page.get_by_text("Coordination with vendors is left to national disclosure policies.").first
        ).to_be_visible()

        # The open round's clause 3: the first round's comments below, the clause unchanged since.
        page.goto(f"/rounds/{rounds[OPEN]}/matrix")
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile(r"^3 Coordinated vulnerability disclosure")).click()
        auditor.check(page, f"(open round's clause, earlier rounds; {width} px)")
        no_sideways_scroll(page, f"open round's clause page, {width} px")
        earlier = page.locator("section", has=page.get_by_role("heading", name="Earlier rounds on this clause"))
        expect(earlier.get_by_text("Disclosure timelines must leave vendors time to ship fixes.")).to_be_visible()
        expect(earlier.get_by_text("the clause has since been unchanged")).to_be_visible()
    finally:
        page.context.close()
    auditor.assert_clean()


@pytest.mark.parametrize("viewer", ["gov@demo.example", "industry@demo.example"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_state_of_the_page_passes_axe_and_fits(browser, demo, auditor: Auditor, viewer, width):
    base, rounds = demo
    page = sign_in(browser, base, viewer, width)
    try:
        for title in (OPEN, PUBLISHED):
            for query in ("", "?show=divergent", "?show=uncommented"):
                page.goto(f"/rounds/{rounds[title]}/matrix{query}")
                auditor.check(page, f"({viewer}, {width} px)")
                no_sideways_scroll(page, f"{title}{query} as {viewer}, {width} px")
    finally:
        page.context.close()
    auditor.assert_clean()


def test_the_header_row_stays_in_view(browser, demo):
    base, rounds = demo
    page = sign_in(browser, base, "industry@demo.example", 1280)
    try:
        page.goto(f"/rounds/{rounds[PUBLISHED]}/matrix")
        header = page.locator("table.sbs thead th").nth(1)
        page.mouse.wheel(0, 1500)
        page.wait_for_function("() => window.scrollY > 1000")
        assert abs(header.bounding_box()["y"]) < 2, header.bounding_box()
        # On a phone the table is cards: no header row, each cell names its group.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"/rounds/{rounds[PUBLISHED]}/matrix")
        expect(page.locator("table.sbs thead")).to_be_hidden()
        expect(page.locator("table.sbs .cell-group").first).to_be_visible()
        # Printed: no header, no filters; the clause texts unfolded.
        page.emulate_media(media="print")
        expect(page.locator("form.sbs-filters")).to_be_hidden()
        expect(page.locator("table.sbs .clause-text.print-only").first).to_be_visible()
    finally:
        page.context.close()
