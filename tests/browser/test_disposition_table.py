"""The secretariat's disposition table in a real browser: keyboard first, saved by the page's
script without leaving the page (and by a plain form post without it), at 390 px wide without
sideways scrolling; and the briefing PDF made as a job, from the button to the download."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import Person, fresh_code, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The page's own content (the site's header is the layout's, shared by every page).
NO_SIDEWAYS_SCROLL = """() => [...document.querySelectorAll('main *')].every(
    (el) => el.getBoundingClientRect().right <= window.innerWidth + 1)"""


def test_dispositions_are_recorded_row_by_row_with_the_keyboard(browser, world, auditor):
    person = Person(browser, world, auditor, world.emails["organiser"])
    page = person.page
    round_id = world.ids["table_round"]
    try:
        person.sign_in()
        person.goto(f"/rounds/{round_id}/dispositions/table")
        expect(page.locator("#answered-figure")).to_have_text("0 of 3 answered")
        page.evaluate("() => { window.stayedOnThePage = true; }")  # gone if the page were left
        rows = page.locator("form.row-form")
        first_kind = rows.nth(0).get_by_label("Disposition of")
        tab_to(page, first_kind)
        page.keyboard.press("ArrowDown")  # — choose — -> Accepted
        expect(first_kind).to_have_value("accepted")
        tab_to(page, rows.nth(0).locator("textarea"))
        page.keyboard.type("Accepted. Clause 1 is reworded.")
        page.keyboard.press("Control+Enter")  # saves the row where the focus is
        expect(rows.nth(0).locator(".row-status")).to_have_text("Saved: Accepted (drafted, not released).")
        expect(page.locator("#answered-figure")).to_have_text("1 of 3 answered")
        assert page.evaluate("() => window.stayedOnThePage === true")
        # Tab goes on to the row's number field, its Save button, then the next row.
        tab_to(page, rows.nth(1).get_by_label("Disposition of"), limit=6)
        person.audit("(a row saved by the script)")

        # At 390 px the table is a list of cards: nothing scrolls sideways.
        page.set_viewport_size({"width": 390, "height": 800})
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        person.audit("(390 px)")
    finally:
        person.close()
    auditor.assert_clean()


def test_without_script_a_row_posts_and_comes_back(browser, world, auditor):
    context = browser.new_context(base_url=world.base, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(world.emails["organiser"])
        page.get_by_label("Password").fill("correct horse battery staple")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        if page.url.endswith("/login/second-factor"):  # organisers give their app's code
            page.get_by_label("Code from your authenticator app").fill(
                fresh_code(world.totp[world.emails["organiser"]])
            )
            with page.expect_navigation():
                page.get_by_role("button", name="Continue").click()
        page.goto(f"/rounds/{world.ids['table_round']}/dispositions/table")
        row = page.locator("form.row-form").nth(2)
        row.get_by_label("Disposition of").select_option("noted")
        row.locator("textarea").fill("Noted; see the next version.")
        with page.expect_navigation():
            row.get_by_role("button", name="Save").click()
        assert page.url.endswith("#row-" + page.url.rsplit("#row-", 1)[1])
        expect(page.locator(".flashes")).to_contain_text("Saved: Noted")
    finally:
        context.close()


def test_the_briefing_pdf_is_made_as_a_job(browser, world, auditor):
    person = Person(browser, world, auditor, world.emails["organiser"])
    page = person.page
    try:
        person.sign_in()
        person.goto(f"/rounds/{world.ids['table_round']}/briefing.pdf")
        person.click(page.get_by_role("button", name="Make the PDF"))
        expect(page.get_by_role("status")).to_contain_text("Ready.")  # inline: made before the page
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the briefing").click()
        assert download.value.suggested_filename.endswith(".pdf")
    finally:
        person.close()
    auditor.assert_clean()
