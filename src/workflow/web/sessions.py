"""Flask's session, kept in the database (``services/web_sessions``): the cookie carries only
a random token. HttpOnly, SameSite=Lax, and Secure whenever the request came over https."""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from workflow.services import web_sessions
from workflow.services.auth import Actor


class DatabaseSession(CallbackDict, SessionMixin):
    def __init__(self, data=None, token: str | None = None, staff_id: int | None = None):
        def changed(_self) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.token = token
        self.staff_id = staff_id
        self.actor: Actor | None = None
        self.staff_name: str | None = None
        self.modified = False
        self.rotate = False  # a new token at the next save (signing in)
        self.ended = False  # delete at the next save (signing out)

    def sign_in(self, staff_id: int | None) -> None:
        """Start afresh under a new token, for ``staff_id`` (None: half-way, a code to come)."""
        self.clear()
        self.staff_id = staff_id
        self.rotate = True
        self.modified = True

    def end(self) -> None:
        self.clear()
        self.ended = True


class DatabaseSessionInterface(SessionInterface):
    def __init__(self, runtime, cookie: str):
        self.runtime = runtime
        self.cookie = cookie

    def open_session(self, app: Flask, request: Request) -> DatabaseSession:
        if request.path.startswith(app.static_url_path or "/assets"):
            return DatabaseSession()
        token = request.cookies.get(self.cookie)
        loaded = web_sessions.load(self.runtime.uow(), token, self.runtime.clock.now())
        if loaded is None:
            return DatabaseSession()
        session = DatabaseSession(loaded.data, token=loaded.token, staff_id=loaded.staff_id)
        session.actor = loaded.actor
        session.staff_name = loaded.staff_name
        return session

    def save_session(self, app: Flask, session: DatabaseSession, response: Response) -> None:
        uow = self.runtime.uow
        if session.ended:
            web_sessions.end(uow(), session.token)
            response.delete_cookie(self.cookie, path="/")
            return
        if not (session.modified or session.rotate):
            return
        if session.rotate and session.token:
            web_sessions.end(uow(), session.token)
            session.token = None
        token = web_sessions.save(
            uow(), session.token, dict(session), session.staff_id, self.runtime.clock.now()
        )
        response.set_cookie(
            self.cookie,
            token,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
            path="/",
        )
