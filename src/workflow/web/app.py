"""The application factory: settings, templates, sessions, CSRF, blueprints, error pages.

``create_app(runtime)`` builds one app on a process's runtime (``bootstrap()`` when none is
given). Every page calls the same services as the command line, as the signed-in actor.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request, session
from flask_wtf.csrf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from workflow.bootstrap import bootstrap
from workflow.runtime import Runtime
from workflow.services import permissions, staff_links
from workflow.services.site import secret_key
from workflow.web import (
    account,
    bulk,
    cohorts,
    corrections,
    dashboard,
    errors,
    events,
    formatting,
    funding,
    hubs,
    imports,
    nominations,
    operations,
    personal_data,
    report,
    schools,
    signing_in,
    specialist_actions,
    specialists,
    staff,
)
from workflow.web.sessions import DatabaseSessionInterface

logger = logging.getLogger("workflow.web")
COOKIE = "workflow_session"


def create_app(runtime: Runtime | None = None) -> Flask:
    runtime = runtime or bootstrap()
    app = Flask(__name__, static_folder="static", static_url_path="/assets")
    settings = runtime.settings
    app.config.update(
        SECRET_KEY=settings.secret_key or secret_key(runtime.uow()),
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (30 min idle)
        WTF_CSRF_SSL_STRICT=False,  # SameSite=Lax and the token do the work; no Referer needed
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        TIMEZONE_NAME=settings.timezone,
    )
    app.extensions["workflow"] = runtime
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = DatabaseSessionInterface(runtime, COOKIE)
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("workflow.web"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    formatting.register(app, settings.tz)
    CSRFProtect(app)
    WTFormsHelpers(app)
    for module in (
        signing_in,
        account,
        dashboard,
        bulk,
        specialists,
        specialist_actions,
        corrections,
        nominations,
        imports,
        events,
        funding,
        hubs,
        cohorts,
        operations,
        report,
        personal_data,
        schools,
        staff,
    ):
        app.register_blueprint(module.blueprint)
    errors.register(app)
    _log_requests(app)

    # How long an emailed invitation or password reset link works, as pages say it.
    app.jinja_env.globals["link_days"] = staff_links.LIFETIME.days

    @app.context_processor
    def offered() -> dict:
        who = getattr(session, "actor", None)
        return {
            "may_nominate": who is not None and permissions.may_nominate(who),
            "national_pages": who is not None and who.national,
            "may_manage_staff": who is not None and permissions.may_manage_staff(who),
        }

    return app


def _log_requests(app: Flask) -> None:
    """One line per request: method, route pattern (never the path or query, which may hold
    names or addresses), status and time. No personal data."""

    @app.before_request
    def started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def finished(response):
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if not rule.startswith("/assets"):
            logger.info("%s %s %s %.1fms", request.method, rule, response.status_code, elapsed)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
