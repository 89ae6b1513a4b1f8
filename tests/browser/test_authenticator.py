"""A national admin's first sign-in in a real browser: the authenticator app is set up from
the key shown as text (the QR code beside it is drawn on the server), then asked for."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from tests.browser.test_refusals import sign_in


def test_a_national_admin_sets_up_then_uses_an_authenticator_app(browser, runtime, clock):
    runtime.settings.require_admin_totp = True
    sign_in(browser, "admin")
    assert browser.heading == "Set up your authenticator app"
    assert browser.driver.find_element("css selector", ".app-qr svg")
    browser.shoot("set-up-authenticator")
    secret = browser.driver.find_element("css selector", ".app-secret").text
    browser.fill("Code from your authenticator app", "000000")
    browser.click_button("Continue")
    assert "Enter the code shown in your authenticator app" in browser.text
    browser.fill("Code from your authenticator app", pyotp.TOTP(secret).at(clock.now()))
    browser.click_button("Continue")
    assert browser.heading == "All hubs"
    browser.click_button("Sign out")

    clock.set(clock.now() + timedelta(seconds=30))  # a code is accepted once only
    sign_in(browser, "admin")
    assert browser.heading == "Enter the code from your authenticator app"
    browser.fill("Code from your authenticator app", pyotp.TOTP(secret).at(clock.now()))
    browser.click_button("Continue")
    assert browser.heading == "All hubs"
