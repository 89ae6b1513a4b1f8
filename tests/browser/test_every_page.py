"""Every page of the application, in a real browser, through axe-core: each GET route is
either visited here (as the people who use it) or named below with the test that visits it.

A new route fails ``test_every_route_is_visited_or_named`` until it is added to ``PAGES`` (or
to ``ELSEWHERE`` with the reason), so no page escapes the accessibility check. The harness
fails a visit on any serious or critical violation.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.browser.test_refusals import sign_in
from workflow.services import specialists
from workflow.services.auth import SYSTEM
from workflow.web.app import create_app

#: Routes visited by other browser tests (or not pages), with why they are not visited here.
ELSEWHERE = {
    "/static/<path:filename>": "not a page",
    "/assets/<path:filename>": "static files",
    "/sign-out": "POST only",
    "/sign-in/code": "test_authenticator.py (needs an authenticator app set up)",
    "/sign-in/set-up-code": "test_authenticator.py",
    "/invitations/<token>": "test_story.py (needs an emailed token)",
    "/password-reset/<token>": "test_story.py (needs an emailed token)",
    "/specialists.csv": "a download, not a page",
    "/funding.csv": "a download, not a page",
    "/funding/statements/<int:statement_id>.csv": "a download, not a page",
    "/funding/statements/<int:statement_id>": "test_registers_funding.py (needs a statement)",
    "/specialists/<int:specialist_id>/milestones/<int:milestone_id>/void": (
        "test_corrections.py (needs a milestone recorded)"
    ),
    "/report.csv": "a download, not a page",
    "/specialists/bulk": "test_bulk.py (its pages answer POSTs; a GET goes back to the list)",
    "/specialists/<int:specialist_id>/export": "a download (JSON), not a page",
    "/specialists/<int:specialist_id>/export.html": "a download (the readable export)",
    "/specialists/<int:specialist_id>/erase": "test_people.py (needs someone who has left)",
    "/staff/<int:staff_id>/role": "test_people.py",
    "/staff/<int:staff_id>/deactivate": "test_people.py",
    "/staff/<int:staff_id>/reactivate": "test_people.py (needs someone deactivated)",
}


#: Route pattern -> (who visits it, the path to visit, from the world built below).
PAGES: dict[str, tuple[str, Callable]] = {
    "/": ("lead", lambda w: "/"),
    "/sign-in": (None, lambda w: "/sign-in"),
    "/password-reset": (None, lambda w: "/password-reset"),
    "/specialists": ("lead", lambda w: "/specialists?state=year1"),
    "/specialists/<int:specialist_id>": ("lead", lambda w: f"/specialists/{w.ids['year1']}"),
    "/specialists/<int:specialist_id>/<action>": (
        "lead",
        lambda w: f"/specialists/{w.ids['year1']}/record",
    ),
    "/nominations/new": ("staff", lambda w: "/nominations/new"),
    "/nominations/import": ("lead", lambda w: "/nominations/import"),
    "/cohorts/<int:cohort>/events": ("staff", lambda w: "/cohorts/9/events"),
    "/cohorts/<int:cohort>/events/<event_id>": ("admin", lambda w: "/cohorts/9/events/y1-launch1"),
    # As a national admin: the hub chooser (test_registers_funding.py visits a hub's sheet).
    "/cohorts/<int:cohort>/events/<event_id>/register": (
        "admin",
        lambda w: "/cohorts/9/events/y1-launch1/register",
    ),
    "/funding": ("staff", lambda w: "/funding?cohort=9"),
    "/funding/statements": ("lead", lambda w: "/funding/statements?cohort=9"),
    "/specialists/<int:specialist_id>/corrections/<name>": (
        "lead",
        lambda w: f"/specialists/{w.ids['year1']}/corrections/move",
    ),
    "/nominations/late": ("admin", lambda w: "/nominations/late"),
    "/hubs": ("admin", lambda w: "/hubs"),
    "/hubs/<code>": ("admin", lambda w: "/hubs/north"),
    "/hubs/<code>/cohorts/<int:number>/places": ("admin", lambda w: "/hubs/north/cohorts/9/places"),
    "/cohorts": ("lead", lambda w: "/cohorts"),
    "/cohorts/<int:number>": ("lead", lambda w: "/cohorts/9"),
    "/cohorts/<int:number>/window": ("admin", lambda w: "/cohorts/9/window"),
    "/dead-letters": ("admin", lambda w: "/dead-letters"),
    "/system": ("admin", lambda w: "/system"),
    "/report": ("admin", lambda w: "/report?cohort=9"),
    "/schools": ("staff", lambda w: "/schools?q=north"),
    "/schools/<urn>": ("lead", lambda w: "/schools/100001"),
    "/staff": ("lead", lambda w: "/staff"),
    "/staff/invite": ("lead", lambda w: "/staff/invite"),
}


def _rules(app) -> set[str]:
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) or rule.rule in ELSEWHERE
    }


def test_every_route_is_visited_or_named(runtime):
    app = create_app(runtime)
    missing = sorted(_rules(app) - PAGES.keys() - ELSEWHERE.keys())
    assert not missing, f"pages not in the accessibility run: {missing}"


class _Ids:
    def __init__(self, world, clock):
        nominee, selected = world.nominate(2)
        uow = world.runtime.uow
        specialists.transition(uow(), SYSTEM, selected, "select", clock.now())
        self.ids = {"nominated": nominee, "year1": selected}


def test_every_page_passes_axe(browser, served, runtime, clock):
    runtime.settings.require_admin_totp = False  # the authenticator has its own test
    _, world = served
    made = _Ids(world, clock)
    visited = []
    for who in (None, "staff", "lead", "admin"):
        if who is not None:
            sign_in(browser, who)
        for pattern, (visitor, path_of) in PAGES.items():
            if visitor != who:
                continue
            path = path_of(made)
            browser.visit(path)
            assert browser.heading, f"no heading on {path}"
            assert "Page not found" not in browser.heading, f"{pattern} as {who}: {path}"
            visited.append(pattern)
        if who is not None:
            browser.visit("/")
            browser.click_button("Sign out")
    assert sorted(visited) == sorted(PAGES)
