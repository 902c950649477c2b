"""The secretariat translates a version in the browser and a reader reads it: axe-core on every
page, the Nu HTML checker on the pages of this journey."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import Person, _flash

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_organiser_translates_a_version_and_a_reader_switches_languages(browser, world, auditor):
    version = world.ids["version"]
    organiser = Person(browser, world, auditor, world.emails["organiser"])
    try:
        organiser.sign_in()
        organiser.goto(f"/versions/{version}")
        page = organiser.page
        expect(page.get_by_text("Authoritative text: English")).to_be_visible()
        organiser.open_link("Add a translation into français")
        page.get_by_label("Heading").first.fill("Portée")
        page.get_by_label("Text (Markdown)").first.fill("Les présentes normes s’appliquent aux États.")
        organiser.click(page.get_by_role("button", name="Save the translation"))
        assert "is saved" in _flash(page)
        expect(page.get_by_text("Translation: français — the English text is authoritative.")).to_be_visible()
        expect(page.locator('section[lang="fr"]')).to_have_count(1)
        organiser.open_link("Read the authoritative text")
        expect(page.get_by_text("Authoritative text: English")).to_be_visible()
        organiser.open_link("français")
        expect(page.get_by_role("heading", name="1 Portée")).to_be_visible()
        for width in (390, 1280):  # nothing scrolls sideways
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        organiser.close()
    auditor.assert_clean()
    errors = auditor.validate_html()
    assert not errors, f"Nu HTML checker, {len(errors)} errors:\n" + "\n".join(errors)
