"""Arabic, right to left, in a real browser at 390 and 1280 px: `<html lang="ar" dir="rtl">`,
the header's menu on the right, no page scrolling sideways, axe-core clean; and the switcher
itself, used as a person would (no JavaScript needed)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_journeys import Person, _no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (390, 1280)


def _arabic_person(browser, world, auditor, email: str = "") -> Person:
    person = Person(browser, world, auditor, email)
    person.context.close()
    person.context = browser.new_context(base_url=world.base, locale="ar", reduced_motion="reduce")
    person.context.set_default_timeout(15_000)
    person.page = person.context.new_page()
    return person


def _check_rtl(person: Person, path: str) -> None:
    page = person.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        person.goto(path)
        html = page.locator("html")
        expect(html).to_have_attribute("dir", "rtl")
        expect(html).to_have_attribute("lang", "ar")
        _no_sideways_scroll(person, f"{path} (ar)")
        # The header mirrors: the brand, first in the menu, stands on the right.
        brand = page.locator("header .brand").bounding_box()
        assert brand is not None and brand["x"] + brand["width"] > width / 2, f"{path} at {width}: brand at {brand}"
        switcher = page.locator("form.language-switcher")
        if not switcher.is_visible():  # a narrow screen: the switcher is in the header's menu
            page.locator(".site-menu > summary").click()
        expect(switcher).to_be_visible()
        box = switcher.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1


def test_arabic_pages_mirror_and_fit(browser, world, auditor):
    anonymous = _arabic_person(browser, world, auditor)
    try:
        for path in ("/login", "/", f"/consultations/{world.ids['consultation']}", "/password/forgot"):
            _check_rtl(anonymous, path)
    finally:
        anonymous.close()

    person = _arabic_person(browser, world, auditor, world.emails["participant:governments"])
    try:
        page = person.page
        person.goto("/login")
        page.locator("#email").fill(person.email)
        page.locator("#password").fill(factories.PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        for path in (
            "/",
            f"/rounds/{world.ids['keyboard_round']}",
            f"/rounds/{world.ids['keyboard_round']}/matrix",
            f"/rounds/{world.ids['table_round']}",
            "/my/comments",
            "/account",
            "/notifications",
            "/search?q=Table",
        ):
            _check_rtl(person, path)
    finally:
        # The account keeps the language it was signed in with: the other journeys get English back.
        page = person.page
        page.set_viewport_size({"width": 1280, "height": 900})
        person.goto("/")
        page.locator("#language-choice").select_option("en")
        with page.expect_navigation():
            page.locator("form.language-switcher button[type=submit]").click()
        person.close()
    auditor.assert_clean()


def test_the_switcher_changes_the_language_without_javascript(browser, world, auditor):
    context = browser.new_context(base_url=world.base, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        page.get_by_label("Language").select_option("ar")
        with page.expect_navigation():
            page.get_by_role("button", name="Change language").click()
        assert page.url.endswith("/login")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("h1")).to_have_text("تسجيل الدخول")
        page.goto("/")  # remembered by the browser
        expect(page.locator("html")).to_have_attribute("lang", "ar")
    finally:
        context.close()
