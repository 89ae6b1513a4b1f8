"""Error pages: 400 (including a POST without a valid CSRF token), 403, 404, 405, 429, 500.

A refusal from the services becomes its status: ``NotFound`` 404 ("Page not found"; another
hub's records are not revealed), ``NotPermitted`` 403. A 500 shows no traceback.
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow.errors import NotFound, NotPermitted

logger = logging.getLogger("workflow.web")

PAGES = {
    400: ("There is a problem with your request", "Go back, reload the page and try again."),
    403: ("You cannot do this", "Your role does not allow this action."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you "
        "copied the entire address.",
    ),
    405: ("There is a problem with your request", "Go back and try again."),
    413: ("The file is too large", "Choose a file smaller than 5 MB."),
    429: ("Too many attempts", "Wait 15 minutes, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
}


def page(status: int, detail: str | None = None):
    title, text = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    return render_template("error.html", title=title, text=detail or text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf(_error):
        return page(400, "This form has expired or was not sent from this site. "
                         "Go back, reload the page and try again.")  # fmt: skip

    @app.errorhandler(NotFound)
    def not_found(_error):
        return page(404)

    @app.errorhandler(NotPermitted)
    def not_permitted(error):
        return page(403, f"You cannot do this: {error}.")

    @app.errorhandler(HTTPException)
    def http(error: HTTPException):
        return page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # The frames only: an exception's message may hold a name or an address.
        frames = "".join(traceback.format_tb(error.__traceback__))
        logger.error("unexpected error: %s\n%s", type(error).__name__, frames)
        return page(500)
