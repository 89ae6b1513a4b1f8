"""Driving Debian's Chromium through chromedriver (Selenium), with axe-core on every page.

``Browser`` finds things as a person does, by visible text or label, and after every page
it reaches runs axe-core (vendored in ``vendor/``) and fails the test on any serious or
critical violation. ``shoot`` writes a screenshot to docs/screenshots/.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1200,900",
    "--lang=en-GB",
]
BLOCKING = ("serious", "critical")


def available() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


class Browser:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="workflow-chromium-")
        options = Options()
        options.binary_location = CHROMIUM
        for flag in [*FLAGS, f"--user-data-dir={self.profile}"]:
            options.add_argument(flag)
        # The driver path is given: Selenium Manager never downloads anything.
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        self.axe_source = AXE.read_text()
        # page path -> the violations found there, of any impact ("id (impact)")
        self.checked: dict[str, list[str]] = {}

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- moving about -------------------------------------------------------------------

    def visit(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.after_navigation()

    def after_navigation(self) -> None:
        WebDriverWait(self.driver, 20).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self.axe()

    def click_button(self, text: str) -> None:
        self.follow(self.button(text))

    def click_link(self, text: str) -> None:
        self.follow(self.link(text))

    def follow(self, element: WebElement) -> None:
        """Click and wait for the next page."""
        self.navigate(element.click)

    def navigate(self, action: Callable[[], object]) -> None:
        """Do what leads to another page, and wait until that page has loaded.

        The old document is marked before the action and the wait is for a complete document
        without the mark. Waiting for the clicked element to go stale is not enough: while
        the page changes, chromedriver can answer "Node with given id does not belong to the
        document" rather than "stale element", and the wait would fail on it.
        """
        self.driver.execute_script("window.__workflowLeaving = true")
        action()
        WebDriverWait(self.driver, 20, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script(
                "return window.__workflowLeaving !== true && document.readyState === 'complete'"
            )
        )
        self.axe()

    def fill(self, label: str, value: str) -> None:
        field = self.field(label)
        field.clear()
        field.send_keys(value)

    def choose(self, label: str) -> None:
        self.field(label).click()

    # -- finding ------------------------------------------------------------------------

    def field(self, label: str) -> WebElement:
        for element in self.driver.find_elements(By.TAG_NAME, "label"):
            if element.text.strip() == label:
                return self.driver.find_element(By.ID, element.get_attribute("for"))
        raise AssertionError(f"no field labelled {label!r} on {self.path}")

    def button(self, text: str) -> WebElement:
        for element in self.driver.find_elements(
            By.CSS_SELECTOR, "button, input[type=submit], a[role=button]"
        ):
            if element.text.strip() == text:
                return element
        raise AssertionError(f"no button {text!r} on {self.path}")

    def link(self, text: str) -> WebElement:
        return self.driver.find_element(By.LINK_TEXT, text)

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    @property
    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    @property
    def heading(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "h1").text.strip()

    # -- checking -----------------------------------------------------------------------

    def axe(self) -> None:
        """Run axe-core on the current page; fail on serious or critical violations."""
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(self.axe_source)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e),"
            " nodes: []}]));"
        )
        path = self.path.split("?")[0]
        self.checked[path] = [f"{v['id']} ({v['impact']})" for v in result]
        blocking = [v for v in result if v["impact"] in BLOCKING]
        assert not blocking, f"axe-core on {path}: {blocking}"

    def shoot(self, name: str) -> Path:
        """A full-page screenshot, docs/screenshots/NAME.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1200, max(900, min(int(height) + 140, 4000)))
        self.driver.execute_script("window.scrollTo(0, 0)")
        target = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(target))
        self.driver.set_window_size(1200, 900)
        return target
