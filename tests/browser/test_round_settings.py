"""The round settings form at 1280 px (it fits) and on a phone (the visibility rule becomes a
card per viewer group, every choice with its own visible label, nothing scrolls sideways)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import Person

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_the_visibility_rule_is_usable_on_a_phone_and_the_form_fits_a_laptop(browser, world, auditor):
    organiser = Person(browser, world, auditor, world.emails["organiser"])
    page = organiser.page
    try:
        organiser.sign_in()
        page.set_viewport_size({"width": 1280, "height": 800})
        organiser.goto(f"/consultations/{world.ids['consultation']}/rounds/new")
        assert page.evaluate(WIDTH) <= 0, "the round form scrolls sideways at 1280 px"
        last = page.locator("table.rule select").last
        box = last.bounding_box()
        assert box and box["x"] + box["width"] <= 1280, "the rule's last column is cut off at 1280 px"
        hidden = page.get_by_text("Comments of Industry, seen by Governments").bounding_box()
        assert hidden and hidden["width"] <= 1, "at 1280 px the table's headers name the cell, not a label"

        page.set_viewport_size({"width": 390, "height": 844})
        organiser.audit("(at 390 px)")
        assert page.evaluate(WIDTH) <= 0, "the round form scrolls sideways at 390 px"
        card = page.locator("table.rule tr", has_text="What Governments see")
        expect(card).to_be_visible()
        label = card.get_by_text("Comments of Industry, seen by Governments")
        expect(label).to_be_visible()
        choice = page.get_by_label("Comments of Industry, seen by Governments")
        choice.select_option("while_open")
        expect(choice).to_have_value("while_open")
        box = choice.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        organiser.close()
    auditor.assert_clean()
