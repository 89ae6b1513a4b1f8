"""Signing in as web.md says: one message for a wrong address or password, the lockout,
CSRF on every POST, database sessions (idle and absolute limits, sign-out on the server),
cookie flags, the authenticator app, and every event recorded."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import select

from tests.web.conftest import PASSWORD, STAFF, csrf_token, sign_in
from workflow.db.models import SignInEvent, Specialist, Staff, WebSession
from workflow.web.app import create_app

LEAD = STAFF["lead"][0]
WRONG = "Enter a correct email address and password"


def attempt(client, email: str, password: str):
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})


def events(web, email: str) -> list[str]:
    with web.runtime.uow() as uow:
        return list(
            uow.session.scalars(
                select(SignInEvent.outcome)
                .where(SignInEvent.email == email)
                .order_by(SignInEvent.id)
            )
        )


def test_the_sign_in_page_has_the_contract_labels(web):
    page = web.client().get("/sign-in").get_data(as_text=True)
    for text in (
        "Email address",
        "Password",
        "Sign in",
        "Forgot your password?",
        "<title>Sign in – Mastery Specialists</title>",
        "Skip to main content",
    ):
        assert text in page


def test_a_wrong_password_and_an_unknown_address_get_the_same_one_message(web):
    client = web.client()
    wrong_password = attempt(client, LEAD, "not the password at all").get_data(as_text=True)
    unknown = attempt(client, "nobody@north.example", PASSWORD).get_data(as_text=True)
    for page in (wrong_password, unknown):
        assert "There is a problem" in page
        assert page.count(WRONG) >= 2  # in the summary and beside the fields
    assert events(web, LEAD) == ["failure"]
    assert events(web, "nobody@north.example") == ["failure"]


def test_signing_in_goes_to_next_and_records_it(web):
    client = web.client()
    response = client.get("/specialists?q=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/specialists?q%3Dx"
    token = csrf_token(client, "/sign-in?next=/specialists?q%3Dx")
    response = client.post(
        "/sign-in?next=/specialists?q%3Dx",
        data={"csrf_token": token, "email": LEAD.upper(), "password": PASSWORD},
    )
    assert response.headers["Location"] == "/specialists?q=x"
    assert events(web, LEAD) == ["success"]


def test_next_never_leaves_the_site(web):
    client = web.client()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        token = csrf_token(client, "/sign-in")
        response = client.post(
            "/sign-in", query_string={"next": target},
            data={"csrf_token": token, "email": LEAD, "password": PASSWORD},
        )  # fmt: skip
        assert response.headers["Location"] == "/"
        client = web.client()


def test_ten_failures_lock_the_address_for_15_minutes_even_for_the_right_password(web):
    client = web.client()
    for _ in range(9):
        assert attempt(client, LEAD, "wrong password here").status_code == 200
    tenth = attempt(client, LEAD, "wrong password here")
    assert tenth.status_code == 429
    locked = attempt(client, LEAD, PASSWORD)
    assert locked.status_code == 429
    assert "too many attempts" in locked.get_data(as_text=True)
    assert events(web, LEAD)[-3:] == ["failure", "lockout", "locked"]
    # Another address is not affected.
    assert attempt(web.client(), STAFF["staff"][0], PASSWORD).status_code == 302
    web.clock.set(web.clock.now() + timedelta(minutes=15, seconds=1))
    assert attempt(web.client(), LEAD, PASSWORD).status_code == 302


def test_failures_spread_beyond_15_minutes_do_not_lock(web):
    client = web.client()
    for _ in range(9):
        attempt(client, LEAD, "wrong password here")
    web.clock.set(web.clock.now() + timedelta(minutes=16))
    assert attempt(client, LEAD, "wrong password here").status_code == 200
    assert attempt(client, LEAD, PASSWORD).status_code == 302


def test_a_post_without_a_csrf_token_is_400_and_changes_nothing(web):
    north = web.world.nominate(1)[0]
    client = web.client("lead")
    assert client.post("/sign-in", data={"email": LEAD, "password": PASSWORD}).status_code == 400
    response = client.post(f"/specialists/{north}/select", data={})
    assert response.status_code == 400
    assert "There is a problem with your request" in response.get_data(as_text=True)
    response = client.post(f"/specialists/{north}/select", data={"csrf_token": "forged"})
    assert response.status_code == 400
    with web.runtime.uow() as uow:
        assert uow.session.get(Specialist, north).state == "nominated"


def test_the_cookie_is_httponly_lax_and_secure_over_https(web):
    plain = sign_in(web.client(), LEAD).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    client = web.app.test_client()
    token = csrf_token(client, "https://localhost/sign-in")
    secure = client.post(
        "https://localhost/sign-in", data={"csrf_token": token, "email": LEAD, "password": PASSWORD}
    ).headers["Set-Cookie"]
    assert "Secure" in secure and "HttpOnly" in secure


def test_signing_in_starts_a_new_session_and_the_cookie_holds_no_data(web):
    client = web.client()
    client.get("/sign-in")
    before = client.get_cookie("workflow_session").value
    sign_in(client, LEAD)
    after = client.get_cookie("workflow_session").value
    assert before != after
    with web.runtime.uow() as uow:
        ids = list(uow.session.scalars(select(WebSession.id)))
    assert after not in ids and before not in ids  # only hashes are stored


def test_sessions_end_after_30_minutes_idle(web):
    client = web.client("lead")
    web.clock.set(web.clock.now() + timedelta(minutes=29))
    assert client.get("/").status_code == 200
    web.clock.set(web.clock.now() + timedelta(minutes=29))
    assert client.get("/").status_code == 200  # the request above renewed it
    web.clock.set(web.clock.now() + timedelta(minutes=30))
    assert client.get("/").status_code == 302


def test_sessions_end_after_12_hours_in_all(web):
    client = web.client("lead")
    for _ in range(26):
        web.clock.set(web.clock.now() + timedelta(minutes=28))
        client.get("/")
    assert client.get("/").status_code == 302


def test_signing_out_ends_the_session_on_the_server(web):
    client = web.client("lead")
    cookie = client.get_cookie("workflow_session").value
    token = csrf_token(client, "/")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.headers["Location"] == "/sign-in?signed_out=1"
    replay = web.app.test_client()
    replay.set_cookie("workflow_session", cookie)
    assert replay.get("/").status_code == 302
    assert events(web, LEAD)[-1] == "sign_out"


def test_a_national_admin_sets_up_an_authenticator_app_then_is_asked_for_codes(web):
    web.runtime.settings.require_admin_totp = True
    admin = STAFF["admin"][0]
    client = web.client()
    response = attempt(client, admin, PASSWORD)
    assert response.headers["Location"] == "/sign-in/set-up-code"
    assert client.get("/").status_code == 302  # not signed in yet
    page = client.get("/sign-in/set-up-code").get_data(as_text=True)
    assert "<svg" in page and "Key:" in page
    with client.session_transaction() as session:
        secret = session["new_totp_secret"]
    token = csrf_token(client, "/sign-in/set-up-code")
    wrong = client.post("/sign-in/set-up-code", data={"csrf_token": token, "code": "000000"})
    assert "Enter the code shown in your authenticator app" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).at(web.clock.now())
    response = client.post("/sign-in/set-up-code", data={"csrf_token": token, "code": code})
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200

    again = web.client()
    web.clock.set(web.clock.now() + timedelta(seconds=30))
    assert attempt(again, admin, PASSWORD).headers["Location"] == "/sign-in/code"
    token = csrf_token(again, "/sign-in/code")
    page = again.get("/sign-in/code").get_data(as_text=True)
    assert "Code from your authenticator app" in page and "Continue" in page
    bad = again.post("/sign-in/code", data={"csrf_token": token, "code": "123456"})
    assert bad.status_code == 200 and again.get("/").status_code == 302
    replayed = again.post("/sign-in/code", data={"csrf_token": token, "code": code})
    assert replayed.status_code == 200 and again.get("/").status_code == 302  # used once
    code = pyotp.TOTP(secret).at(web.clock.now())
    good = again.post("/sign-in/code", data={"csrf_token": token, "code": code})
    assert good.headers["Location"] == "/"
    assert events(web, admin)[-3:] == ["code_failure", "code_failure", "success"]


def test_hub_staff_need_no_authenticator_app_but_use_one_once_set_up(web):
    web.runtime.settings.require_admin_totp = True
    assert attempt(web.client(), LEAD, PASSWORD).headers["Location"] == "/"
    with web.runtime.uow() as uow:
        uow.session.scalar(
            select(Staff).where(Staff.email == LEAD)
        ).totp_secret = "JBSWY3DPEHPK3PXP"
        uow.commit()
    assert attempt(web.client(), LEAD, PASSWORD).headers["Location"] == "/sign-in/code"


def test_x_forwarded_proto_is_believed_only_when_configured(web, runtime):
    forwarded = {"X-Forwarded-Proto": "https"}

    def cookie_after_sign_in(app) -> str:
        client = app.test_client()
        token = csrf_token(client, "/sign-in")
        return client.post(
            "/sign-in", headers=forwarded,
            data={"csrf_token": token, "email": LEAD, "password": PASSWORD},
        ).headers["Set-Cookie"]  # fmt: skip

    assert "Secure" not in cookie_after_sign_in(web.app)
    runtime.settings.trust_proxy = True
    assert "Secure" in cookie_after_sign_in(create_app(runtime))


def test_empty_forms_say_what_is_missing_beside_each_field(web):
    client = web.client()
    token = csrf_token(client, "/sign-in")
    page = client.post("/sign-in", data={"csrf_token": token}).get_data(as_text=True)
    for message, field in (
        ("Enter your email address", "#email"),
        ("Enter your password", "#password"),
    ):
        assert page.count(message) == 2 and f'href="{field}"' in page  # summary and field
    page = client.post("/password-reset", data={"csrf_token": token}).get_data(as_text=True)
    assert "Enter your email address" in page
    attempt(client, STAFF["admin"][0], PASSWORD)  # TOTP not required here: signed in
    web.runtime.settings.require_admin_totp = True
    pending = web.client()
    attempt(pending, STAFF["admin"][0], PASSWORD)
    token = csrf_token(pending, "/sign-in/set-up-code")
    page = pending.post("/sign-in/set-up-code", data={"csrf_token": token}).get_data(as_text=True)
    assert "Enter the code shown in your authenticator app" in page


def test_the_code_pages_need_a_password_first(web):
    client = web.client()
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"
    assert client.get("/sign-in/set-up-code").headers["Location"] == "/sign-in"


def test_ended_sessions_are_swept_at_the_next_sign_in(web):
    web.client("lead")
    web.client().get("/sign-in")  # an anonymous session (it holds a CSRF token)
    web.clock.set(web.clock.now() + timedelta(minutes=31))
    web.client("staff")
    with web.runtime.uow() as uow:
        rows = uow.session.scalars(select(WebSession)).all()
    assert [row.staff_id for row in rows] == [web_staff_id(web, "staff")]


def web_staff_id(web, who: str) -> int:
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(Staff.id).where(Staff.email == STAFF[who][0]))
