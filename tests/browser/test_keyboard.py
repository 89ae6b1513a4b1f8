"""Every form usable by keyboard alone: signing in and selecting a nominee with Tab, typing
and Enter only (no clicks), the focus visible and in the order of the page."""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.browser.test_story import state_of
from tests.web.conftest import PASSWORD, STAFF


def tab_to(browser, describe: str, matches, limit: int = 25) -> None:
    """Press Tab until the focused element ``matches``; fail if it is never reached."""
    for _ in range(limit):
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
        focused = browser.driver.switch_to.active_element
        if matches(focused):
            outline = focused.value_of_css_property("outline-style")
            shadow = focused.value_of_css_property("box-shadow")
            assert outline != "none" or shadow != "none", f"no visible focus on {describe}"
            return
    raise AssertionError(f"Tab never reached {describe}")


def typed(browser, text: str) -> None:
    ActionChains(browser.driver).send_keys(text).perform()


def enter(browser) -> None:
    browser.navigate(ActionChains(browser.driver).send_keys(Keys.ENTER).perform)


def test_sign_in_and_select_by_keyboard_alone(browser, served, runtime):
    _, world = served
    nominee = world.nominate(1)[0]
    browser.visit("/sign-in")
    tab_to(browser, "the skip link", lambda e: e.text == "Skip to main content")
    tab_to(browser, "Email address", lambda e: e.get_attribute("name") == "email")
    typed(browser, STAFF["lead"][0])
    tab_to(browser, "Password", lambda e: e.get_attribute("name") == "password")
    typed(browser, PASSWORD)
    tab_to(browser, "the Sign in button", lambda e: e.text == "Sign in")
    enter(browser)
    assert browser.path == "/"

    browser.visit(f"/specialists/{nominee}")
    tab_to(browser, "the Select button", lambda e: e.text == "Select")
    enter(browser)
    assert browser.path == f"/specialists/{nominee}/select"
    tab_to(browser, "the override checkbox", lambda e: e.get_attribute("name") == "override")
    tab_to(browser, "Reason", lambda e: e.get_attribute("name") == "reason")
    tab_to(browser, "the Select button", lambda e: e.text == "Select")
    enter(browser)
    assert "Teacher 0 has been selected" in browser.text
    assert state_of(runtime, nominee) == "selected"
