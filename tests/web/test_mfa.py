"""Two-step login over HTTP: enrolment forced for joint and admin accounts, TOTP codes computed
here with the app's clock moved by hand, replay refused, recovery codes single-use, audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core import audit
from rengo.core.clock import FakeClock
from rengo.core.mfa import MfaFactor
from rengo.core.runtime import Runtime
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A

START = datetime(2026, 12, 7, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(env: Runtime) -> FakeClock:
    env.clock = FakeClock(START)
    env.settings.auth.mfa_required = True
    return env.clock


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _password_login(client: TestClient, username: str, next_page: str = "/assets") -> str:
    response = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "next": next_page}
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _enrol(client: TestClient, clock: FakeClock) -> tuple[str, list[str]]:
    page = client.get("/account/mfa")
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code, drawn by the server
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', page.text)
    assert secret, "no secret for manual entry"
    key = secret.group(1).replace(" ", "")
    csrf = _csrf(page.text)
    wrong = client.post("/account/mfa/confirm", data={"code": "000000", "csrf_token": csrf})
    assert wrong.status_code == 422 and "コード" in wrong.text
    code = pyotp.TOTP(key).at(clock.now())
    done = client.post("/account/mfa/confirm", data={"code": code, "csrf_token": csrf})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", done.text)
    assert len(codes) == 10
    return key, codes


def test_joint_account_must_enrol_before_anything_then_logs_in_with_codes(
    client: TestClient, make_user: Callable[..., str], env: Runtime, clock: FakeClock
) -> None:
    username = make_user(JOINT, "soc_analyst")
    assert _password_login(client, username) == "/account/mfa"
    # Before enrolment the session reaches nothing else: pages go back, the API says 403.
    assert client.get("/assets").headers["location"] == "/account/mfa"
    me = client.get("/api/v1/me")
    assert me.status_code == 403 and me.json()["error"] == "mfa_enrolment_required"

    key, recovery = _enrol(client, clock)
    assert client.get("/assets").status_code == 200  # a full session now
    page = client.get("/account/mfa").text
    assert key not in page.replace(" ", "") and "totp-secret" not in page  # never shown again
    with env.db.session() as session:
        stored = session.scalar(select(MfaFactor.secret_encrypted))
        assert stored and key not in stored  # encrypted at rest

    client.post("/logout", data={"csrf_token": _csrf(page)})
    assert _password_login(client, username) == "/login/code?next=/assets"
    # Password alone is not a login: the half-done session is anonymous.
    assert client.get("/assets").status_code == 303
    assert client.get("/assets").headers["location"].startswith("/login")
    form = client.get("/login/code?next=/assets")
    csrf = _csrf(form.text)
    used = pyotp.TOTP(key).at(clock.now())  # the code that confirmed enrolment
    replay = client.post("/login/code", data={"code": used, "csrf_token": csrf, "next": "/assets"})
    assert replay.status_code == 401 and "既に使われた" in replay.text
    clock.advance(seconds=30)
    fresh = pyotp.TOTP(key).at(clock.now())
    ok = client.post("/login/code", data={"code": fresh, "csrf_token": csrf, "next": "/assets"})
    assert ok.status_code == 303 and ok.headers["location"] == "/assets"
    assert client.get("/assets").status_code == 200

    # A recovery code works once.
    client.post("/logout", data={"csrf_token": _csrf(client.get("/account/mfa").text)})
    for expected in (303, 401):
        _password_login(client, username)
        csrf = _csrf(client.get("/login/code").text)
        answer = client.post("/login/code", data={"code": recovery[0].upper(), "csrf_token": csrf})
        assert answer.status_code == expected
        if expected == 303:
            assert "残り: 9" in client.get("/account/mfa").text
            client.post("/logout", data={"csrf_token": _csrf(client.get("/account/mfa").text)})

    with env.db.session() as session:
        actions = [e.action for e in audit.query(session, tenants=None)]
    for action in ("login.password_ok", "mfa.enrol", "login.mfa_failed", "login", "logout"):
        assert action in actions, action


def test_ward_staff_may_enrol_by_choice_and_turn_it_off_with_a_code(
    client: TestClient, make_user: Callable[..., str], clock: FakeClock
) -> None:
    username = make_user(WARD_A, "ward_it")
    assert _password_login(client, username) == "/assets"  # not required for ward staff
    key, _codes = _enrol(client, clock)
    page = client.get("/account/mfa").text
    clock.advance(seconds=30)
    off = client.post(
        "/account/mfa/remove",
        data={"code": pyotp.TOTP(key).at(clock.now()), "csrf_token": _csrf(page)},
    )
    assert off.status_code == 303
    assert "totp-secret" in client.get("/account/mfa").text  # enrolment offered again


def test_a_ward_admin_cannot_turn_off_the_required_factor(
    client: TestClient, make_user: Callable[..., str], clock: FakeClock
) -> None:
    username = make_user(WARD_A, "admin")
    assert _password_login(client, username) == "/account/mfa"
    key, _codes = _enrol(client, clock)
    clock.advance(seconds=30)
    page = client.get("/account/mfa").text
    off = client.post(
        "/account/mfa/remove",
        data={"code": pyotp.TOTP(key).at(clock.now()), "csrf_token": _csrf(page)},
    )
    assert off.status_code == 403
    assert "回復コードの残り" in client.get("/account/mfa").text


def test_wrong_codes_are_throttled_like_passwords(
    client: TestClient, make_user: Callable[..., str], env: Runtime, clock: FakeClock
) -> None:
    username = make_user(JOINT, "csirt")
    _password_login(client, username)
    _enrol(client, clock)
    client.post("/logout", data={"csrf_token": _csrf(client.get("/account/mfa").text)})
    _password_login(client, username)
    csrf = _csrf(client.get("/login/code").text)
    statuses = [
        client.post("/login/code", data={"code": "123456", "csrf_token": csrf}).status_code
        for _ in range(env.settings.web.login_max_failures + 1)
    ]
    assert statuses[:-1] == [401] * env.settings.web.login_max_failures
    assert statuses[-1] == 429


def test_going_back_from_the_code_step_to_the_password_form_works(
    client: TestClient, make_user: Callable[..., str], clock: FakeClock
) -> None:
    username = make_user(JOINT, "executive")
    _password_login(client, username)
    _enrol(client, clock)
    client.post("/logout", data={"csrf_token": _csrf(client.get("/account/mfa").text)})
    assert _password_login(client, username).startswith("/login/code")
    form = client.get("/login").text  # the half-done session's form carries its CSRF token
    again = client.post(
        "/login",
        data={"username": username, "password": TEST_PASSWORD, "csrf_token": _csrf(form)},
    )
    assert again.status_code == 303 and again.headers["location"].startswith("/login/code")
