"""A bulk deferral in a real browser (issue 17 points 5 and 8): a hub lead filters the list,
ticks three specialists, chooses "Defer" with a reason, checks the confirmation, confirms
and sees each specialist's result. axe-core runs on every page; screenshots
docs/screenshots/bulk-confirm.png and bulk-result.png."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.test_refusals import sign_in
from tests.browser.test_story import state_of
from workflow.services.auth import SYSTEM
from workflow.services.specialists import transition

NAMES = ("Amira Khan", "Ben Okafor", "Chloe Price", "Dev Patel")


def test_a_hub_lead_defers_three_specialists_at_once(browser, served, runtime, clock):
    _, world = served
    ids = {}
    for name in NAMES:
        email = name.lower().replace(" ", ".") + "@school.example"
        ids[name] = world.nominate(1, name=name, email=email)[0]
    for name in NAMES[:3]:  # Dev Patel stays nominated: the filter leaves him out
        transition(runtime.uow(), SYSTEM, ids[name], "select", clock.now())
    world.nominate(1, school=world.other_school, name="Sam South", email="sam@south.example")

    sign_in(browser, "lead")
    browser.visit("/specialists")
    Select(browser.field("State")).select_by_visible_text("Selected")
    browser.click_button("Search")
    assert "3 specialists" in browser.text and "Dev Patel" not in browser.text
    browser.shoot("bulk-list")

    for name in NAMES[:3]:  # the label (the checkbox's name, for screen readers) is clicked
        label = browser.driver.find_element(By.CSS_SELECTOR, f"label[for=specialist-{ids[name]}]")
        label.click()
        assert browser.driver.find_element(By.ID, f"specialist-{ids[name]}").is_selected()
    browser.choose("Defer")
    browser.fill("Reason for the deferral", "Maternity leave until September 2026")
    browser.click_button("Continue")

    assert browser.heading == "Check before you confirm"
    assert "Nothing has been done yet" in browser.text
    assert "3 selected: it will apply to 3" in browser.text
    for name in NAMES[:3]:
        assert name in browser.text
        assert state_of(runtime, ids[name]) == "selected"
    browser.shoot("bulk-confirm")

    browser.click_button("Confirm")
    assert browser.heading == "What was done"
    assert "Done for 3 of 3 specialists" in browser.text
    assert browser.text.count("Done") >= 4  # the sentence and a tag on each row
    assert [state_of(runtime, ids[n]) for n in NAMES] == ["deferred"] * 3 + ["nominated"]
    browser.shoot("bulk-result")

    browser.click_link("Back to the list")
    assert browser.path == "/specialists?state=selected"
    assert "0 specialists" in browser.text
