"""A cohort's year set up in the browser alone (issue 17's "done when"): a national admin
gives a hub its places and invites its hub lead; the lead creates a password from the
emailed link and selects a nominee; the admin then sees the cohort's progress. No command
line and no service call between the steps: only what the people click."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.test_refusals import sign_in
from tests.browser.test_story import invitation_link, state_of
from tests.web.conftest import PASSWORD


def test_a_national_admin_sets_up_a_cohorts_year_in_the_browser_alone(
    browser, served, runtime, clock
):
    runtime.settings.require_admin_totp = False  # the authenticator has its own test
    _, world = served
    nominees = world.nominate(2)  # nominated by their schools' hub staff beforehand
    sign_in(browser, "admin")

    # Places for North in cohort 9.
    browser.click_link("Hubs")
    browser.click_link("North Maths Hub")
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, 'a[href$="/cohorts/9/places"]'))
    browser.fill("Places", "5")
    browser.click_button("Save places")
    assert "North Maths Hub now has 5 places in cohort 9" in browser.text

    # North's new hub lead.
    browser.click_link("Staff")
    browser.click_button("Invite a member of staff")
    browser.fill("Full name", "Nadia Rahman")
    browser.fill("Email address", "nadia.rahman@north.example")
    browser.choose("Hub lead")
    Select(browser.field("Hub")).select_by_visible_text("North Maths Hub")
    browser.click_button("Send invitation")
    assert "An invitation has been sent to nadia.rahman@north.example" in browser.text
    browser.click_button("Sign out")

    # The lead takes the emailed link, creates a password, signs in and selects a nominee.
    browser.driver.get(invitation_link(runtime, "nadia.rahman@north.example"))
    browser.after_navigation()
    assert browser.heading == "Create your password"
    browser.fill("Password", PASSWORD)
    browser.fill("Confirm password", PASSWORD)
    browser.click_button("Create password")
    browser.fill("Email address", "nadia.rahman@north.example")
    browser.fill("Password", PASSWORD)
    browser.click_button("Sign in")
    assert browser.heading == "Your hub"
    browser.visit(f"/specialists/{nominees[0]}")
    browser.click_link("Select")
    browser.click_button("Select")
    assert state_of(runtime, nominees[0]) == "selected"
    browser.click_button("Sign out")

    # The admin sees the cohort's progress: North's place used, its allocation of 5.
    sign_in(browser, "admin")
    browser.click_link("Cohorts")
    browser.click_link("Cohort 9")
    text = browser.text
    assert "Places used: 1 of 9 allocated" in text  # North 5, South 4
    north = next(
        row.text
        for row in browser.driver.find_elements(By.CSS_SELECTOR, "tr")
        if row.text.startswith("North Maths Hub")
    )
    assert "1 of 5" in north, north
