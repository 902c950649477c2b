"""The clause editor with the keyboard alone, at a phone's width and at 1280 px: move a clause
down (the focus stays on the button pressed), add a clause between two others (the focus goes
to its number), edit one in place (Enter on "Edit" opens it), save; the new version keeps the
order, and no page of the journey scrolls sideways. axe-core audits every state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import FOCUSED, Person, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACTIVE_ID = "() => document.activeElement && document.activeElement.id"


def tab_back_to(page, target, limit: int = 40) -> None:
    """Press Shift+Tab until `target` has the focus, each focused element showing it."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"no visible focus on {focused['description']}: outline {focused['outline']}"
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {limit} presses of Shift+Tab")


def _no_sideways_scroll(page, what: str) -> None:
    over = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert over <= 0, f"{what} scrolls sideways by {over}px at {page.viewport_size}"


@pytest.mark.parametrize("width", [390, 1280])
def test_clause_editor_with_the_keyboard(browser, world, auditor, width):
    organiser = Person(browser, world, auditor, world.emails["organiser"])
    page = organiser.page
    try:
        organiser.sign_in()
        page.set_viewport_size({"width": width, "height": 900})
        organiser.goto(f"/drafts/{world.ids[f'editor_draft_{width}']}/versions/new")
        _no_sideways_scroll(page, "the clause editor")
        titles = page.locator(".clause-item-title")
        expect(titles).to_have_count(3)
        start = [t.strip() for t in titles.all_inner_texts()]

        # Move the first clause down: Enter on its button; the focus comes back to that button.
        tab_to(page, page.get_by_role("button", name=f"Move down {start[0]}"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        organiser.audit("(clause moved down)")
        assert [t.strip() for t in titles.all_inner_texts()] == [start[1], start[0], start[2]]
        assert page.evaluate(ACTIVE_ID) == "move-down-1"

        # Add a clause below the first (back up from the button pressed): the focus lands in the
        # new clause's number.
        tab_back_to(page, page.get_by_role("button", name=f"Add a clause below {start[1]}"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        organiser.audit("(clause added)")
        assert page.evaluate(ACTIVE_ID) == "clauses-1-number"
        page.keyboard.type("1A")
        page.keyboard.press("Tab")
        page.keyboard.type("Points of contact")
        page.keyboard.press("Tab")
        page.keyboard.type("States should name a *point of contact* for incidents.")

        # Edit the last clause in place: Enter on its "Edit" opens the fields.
        summary = page.locator("#row-3 summary")
        tab_to(page, summary)
        page.keyboard.press("Enter")
        body = page.locator("#clauses-3-body")
        expect(body).to_be_visible()
        organiser.audit("(clause opened for editing)")
        tab_to(page, body)
        page.keyboard.press("End")
        page.keyboard.type(" Edited with the keyboard.")
        _no_sideways_scroll(page, "the clause editor, a clause open")

        tab_to(page, page.get_by_role("button", name="Save the new version"), limit=200)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        organiser.audit("(version saved)")
        expect(page.locator(".flashes")).to_contain_text(re.compile(r"Version \d+ is saved"))
        headings = [h.strip() for h in page.locator("section.clause h3").all_inner_texts()]
        assert headings == [start[1], "1A Points of contact", start[0], start[2]]
        expect(page.locator("section.clause", has_text=start[2])).to_contain_text("Edited with the keyboard.")
        expect(page.locator("section.clause em", has_text="point of contact")).to_be_visible()
    finally:
        organiser.close()
    auditor.assert_clean()
