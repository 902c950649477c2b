"""Passkeys in headless Chromium with the DevTools virtual authenticator (issue 17).

The server's PUBLIC_URL is http://localhost:<port> (browsers refuse passkeys on an IP address),
so these journeys open the site by that name. An administrator without a second factor sets up
a passkey at their first sign-in and keeps the recovery codes; an organiser with an app adds
two named passkeys (one allowed to sign in without a password), signs in with a passkey as the
second factor, then with a passkey alone, and removes one. axe-core checks every page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_journeys import Person, fresh_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class PasskeyPerson(Person):
    """A person at the site's own name, with a virtual authenticator they can swap."""

    def __init__(self, browser, world, auditor, email: str) -> None:
        self.context = browser.new_context(base_url=world.named_base, locale="en-GB", reduced_motion="reduce")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.auditor = auditor
        self.email = email
        self.totp_secret = world.totp.get(email, "")
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        self.authenticator = ""

    def plug_in_authenticator(self) -> str:
        """A new platform authenticator with resident keys and user verification (PIN or finger)."""
        if self.authenticator:
            self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.authenticator})
        result = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.authenticator = result["authenticatorId"]
        return self.authenticator

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})["credentials"]

    def password_step(self) -> None:
        self.goto("/login")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(factories.PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in", exact=True).click()
        self.audit()

    def sign_out(self) -> None:
        self.click(self.page.get_by_role("button", name="Sign out").first)

    def add_passkey(self, name: str, passwordless: bool) -> None:
        self.page.get_by_label("Name of this passkey").fill(name)
        if passwordless:
            self.page.get_by_label("Also let this passkey sign me in without my password").check()
        with self.page.expect_navigation():  # the script runs the ceremony, then sends the form
            self.page.get_by_role("button", name="Add a passkey").click()
        self.audit(f"after adding {name}")


def test_an_administrator_sets_up_a_passkey_at_first_sign_in(browser, world, auditor):
    admin = PasskeyPerson(browser, world, auditor, world.emails["admin"])
    try:
        admin.plug_in_authenticator()
        admin.password_step()
        assert admin.page.url.endswith("/account/security")  # set-up first, nothing else
        expect(admin.page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
        admin.page.goto("/admin/")  # every other page leads back here
        assert admin.page.url.endswith("/account/security")

        admin.add_passkey("Work laptop", passwordless=False)
        expect(admin.page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        codes = re.findall(r"\b[a-z0-9]{5}-[a-z0-9]{5}\b", admin.page.locator(".recovery-codes").inner_text())
        assert len(codes) == 10
        assert len(admin.credentials()) == 1
        admin.click(admin.page.get_by_role("button", name="I have kept them: continue"))
        expect(admin.page.get_by_role("button", name="Sign out")).to_be_visible()
        admin.goto("/admin/")

        # Next time: the passkey is the second factor.
        admin.sign_out()
        admin.password_step()
        assert admin.page.url.endswith("/login/second-factor")
        expect(admin.page.get_by_label("Do not ask for a second factor on this browser for 30 days")).to_have_count(0)
        admin.click(admin.page.get_by_role("button", name="Use my passkey"))
        expect(admin.page.get_by_role("button", name="Sign out")).to_be_visible()
        assert admin.credentials()[0]["signCount"] >= 2
    finally:
        admin.close()
    auditor.assert_clean()


def test_an_organiser_adds_passkeys_uses_them_and_removes_one(browser, world, auditor):
    organiser = PasskeyPerson(browser, world, auditor, world.emails["organiser"])
    try:
        organiser.plug_in_authenticator()
        organiser.password_step()
        organiser.page.get_by_label("Code from your authenticator app").fill(fresh_code(organiser.totp_secret))
        organiser.click(organiser.page.get_by_role("button", name="Continue"))
        organiser.goto("/account/security")
        organiser.add_passkey("Work laptop", passwordless=False)
        expect(organiser.page.get_by_role("cell", name="Work laptop", exact=True)).to_be_visible()
        organiser.plug_in_authenticator()  # another device
        organiser.add_passkey("Phone", passwordless=True)
        expect(organiser.page.get_by_role("cell", name="Phone", exact=True)).to_be_visible()
        assert organiser.credentials()[0]["isResidentCredential"]

        # The phone's passkey as the second factor.
        organiser.sign_out()
        organiser.password_step()
        organiser.click(organiser.page.get_by_role("button", name="Use my passkey"))
        expect(organiser.page.get_by_role("button", name="Sign out")).to_be_visible()

        # The phone's passkey alone (its owner allowed it): no password.
        organiser.sign_out()
        organiser.goto("/login")
        organiser.click(organiser.page.get_by_role("button", name="Sign in with a passkey"))
        expect(organiser.page.get_by_role("button", name="Sign out")).to_be_visible()
        organiser.goto("/account")
        expect(organiser.page.get_by_text("(this browser)")).to_be_visible()

        # Remove the laptop's passkey.
        organiser.goto("/account/security")
        organiser.click(organiser.page.get_by_role("button", name="Remove the passkey Work laptop"))
        expect(organiser.page.get_by_role("cell", name="Work laptop", exact=True)).to_have_count(0)
        expect(organiser.page.get_by_role("cell", name="Phone", exact=True)).to_be_visible()
    finally:
        organiser.close()
    auditor.assert_clean()


def test_a_passkey_not_allowed_alone_does_not_sign_in_without_the_password(browser, world, auditor):
    moderator = PasskeyPerson(browser, world, auditor, world.emails["moderator"])
    try:
        moderator.plug_in_authenticator()
        moderator.password_step()
        moderator.page.get_by_label("Code from your authenticator app").fill(fresh_code(moderator.totp_secret))
        moderator.click(moderator.page.get_by_role("button", name="Continue"))
        moderator.goto("/account/security")
        moderator.add_passkey("Desk key", passwordless=False)
        moderator.sign_out()
        moderator.goto("/login")
        moderator.click(moderator.page.get_by_role("button", name="Sign in with a passkey"))
        expect(moderator.page.get_by_role("alert")).to_contain_text("not set up for signing in without a password")
        expect(moderator.page.get_by_role("button", name="Sign out")).to_have_count(0)
    finally:
        moderator.close()
    auditor.assert_clean()
