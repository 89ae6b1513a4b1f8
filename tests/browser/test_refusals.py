"""In a real browser: a POST without a CSRF token changes nothing; another hub's specialist
is "Page not found"; the lockout after 10 wrong passwords. axe-core runs on every page."""

from __future__ import annotations

from tests.browser.test_story import state_of
from tests.web.conftest import PASSWORD, STAFF


def sign_in(browser, who: str = "lead", password: str = PASSWORD) -> None:
    browser.visit("/sign-in")
    browser.fill("Email address", STAFF[who][0])
    browser.fill("Password", password)
    browser.click_button("Sign in")


def test_a_form_posted_without_its_csrf_token_changes_nothing(browser, served, runtime):
    _, world = served
    nominee = world.nominate(1)[0]
    sign_in(browser)
    browser.visit(f"/specialists/{nominee}/select")
    browser.driver.execute_script(
        "document.querySelector('main form input[name=csrf_token]').remove()"
    )
    browser.click_button("Select")
    assert browser.heading == "There is a problem with your request"
    assert state_of(runtime, nominee) == "nominated"


def test_another_hubs_specialist_is_page_not_found(browser, served):
    _, world = served
    theirs = world.nominate(1, school=world.other_school)[0]
    sign_in(browser)
    browser.visit(f"/specialists/{theirs}")
    assert browser.heading == "Page not found"
    browser.shoot("page-not-found")
    browser.visit(f"/specialists/{theirs}/select")
    assert browser.heading == "Page not found"


def test_ten_wrong_passwords_lock_the_address(browser, served):
    for _ in range(9):
        sign_in(browser, password="not my password at all")
        assert "Enter a correct email address and password" in browser.text
    sign_in(browser, password="not my password at all")
    assert "too many attempts" in browser.text
    sign_in(browser)  # the right password, while locked
    assert "too many attempts" in browser.text
    assert browser.path.startswith("/sign-in")
    browser.shoot("locked")
