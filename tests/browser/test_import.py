"""Importing nominations in a real browser: upload, every row's result, then import."""

from __future__ import annotations

from types import SimpleNamespace

from tests.browser.test_refusals import sign_in
from tests.web.test_imports import BAD, GOOD, allow_nominees


def test_import_shows_every_row_then_saves(browser, served, runtime, tmp_path):
    allow_nominees(SimpleNamespace(runtime=runtime))
    sign_in(browser)
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD)
    good.write_text(GOOD)
    browser.visit("/nominations/import")
    browser.shoot("import")
    browser.field("CSV file").send_keys(str(bad))
    browser.click_button("Check the file")
    assert browser.heading == "Check the nominations"
    assert "2 rows ready, 1 with problems" in browser.text
    browser.shoot("import-check")
    browser.click_link("upload it again")
    browser.field("CSV file").send_keys(str(good))
    browser.click_button("Check the file")
    browser.click_button("Import nominations")
    assert "2 nominations imported" in browser.text
    assert "Ada Byron" in browser.text and "Alan Turing" in browser.text
