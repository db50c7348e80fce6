"""Issue 10's authentication findings over HTTP (and the CLI): the password policy on every way
a password is set, Secure cookies by default under HTTPS, failed logins and logouts audited,
an administrator resetting a lost second factor."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from rengo.cli import app as cli
from rengo.core import audit, mfa
from rengo.core.errors import InvalidInput
from rengo.core.identity import Passwords, User
from rengo.core.runtime import Runtime
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A, bearer, csrf_of

WEAK = ("aaaaaaaaaa", "1234567890", "password12")


def test_the_api_refuses_weak_passwords_on_create_and_reset(
    client: TestClient, tokens: Callable[..., str], make_user: Callable[..., str], env: Runtime
) -> None:
    admin = bearer(tokens(WARD_A, "admin"))
    for weak in (*WEAK, "chiyoda2026!"):
        body = {"username": "kato", "password": weak, "ward": WARD_A, "role": "ward_it"}
        refused = client.post("/api/v1/users", json=body, headers=admin)
        assert refused.status_code == 422, weak
        assert refused.json()["problems"][0]["location"] == "field password"
    body = {"username": "kato", "password": TEST_PASSWORD, "ward": WARD_A, "role": "ward_it"}
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201
    user_id = created.json()["id"]
    for weak in (*WEAK, "kato.kato.kato"):
        reset = client.post(
            f"/api/v1/users/{user_id}/password", json={"password": weak}, headers=admin
        )
        assert reset.status_code == 422, weak
    with env.db.session() as session:  # nothing half-written: the old password still works
        user = session.get(User, user_id)
        assert user is not None
        assert Passwords.from_settings(env.settings).verify(user.password_hash, TEST_PASSWORD)


def test_the_admin_page_and_the_own_password_page_explain_the_refusal_in_japanese(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "admin")
    form = {"username": "kato", "password": "password12", "ward": WARD_A, "role": "ward_it"}
    page = client.post("/admin/users", data=form | {"csrf_token": csrf})
    assert page.status_code == 422 and "よく使われるパスワード" in page.text

    page = client.post(
        "/account/password",
        data={"current": TEST_PASSWORD, "new": "aaaaaaaaaaaa", "csrf_token": csrf},
    )
    assert page.status_code == 422 and "同じ文字や単語の繰り返し" in page.text
    page = client.post(
        "/account/password",
        data={"current": "not mine", "new": "quiet river lantern", "csrf_token": csrf},
    )
    assert page.status_code == 422 and "現在のパスワードと一致しません" in page.text
    done = client.post(
        "/account/password",
        data={"current": TEST_PASSWORD, "new": "quiet river lantern", "csrf_token": csrf},
    )
    assert done.status_code == 303
    assert "パスワードを変更しました" in client.get(done.headers["location"]).text


def test_the_cli_applies_the_policy_on_create_and_reset(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    monkeypatch.setenv("RENGO_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("RENGO_PASSWORD_MEMORY_KIB", "1024")
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    base = ["user", "create", "--username", "ito", "--ward", WARD_A, "--role", "ward_it"]
    weak = runner.invoke(cli, [*base, *data], env={"RENGO_NEW_PASSWORD": "password12"})
    assert isinstance(weak.exception, InvalidInput)  # `rengo` prints it and exits 2
    assert [p.location for p in weak.exception.problems] == ["field password"]
    ok = runner.invoke(cli, [*base, *data], env={"RENGO_NEW_PASSWORD": TEST_PASSWORD})
    assert ok.exit_code == 0, ok.output
    reset = ["user", "password", "ito", *data]
    weak = runner.invoke(cli, reset, env={"RENGO_NEW_PASSWORD": "ito-ito-ito"})
    assert isinstance(weak.exception, InvalidInput)
    assert "built from" in weak.exception.problems[0].message
    ok = runner.invoke(cli, reset, env={"RENGO_NEW_PASSWORD": "plum tea window"})
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize(
    ("base_url", "public_url", "override", "secure"),
    [
        ("http://127.0.0.1", "http://127.0.0.1:8000", None, False),
        ("https://rengo.example.lg.jp", "http://127.0.0.1:8000", None, True),
        ("http://127.0.0.1", "https://rengo.example.lg.jp", None, True),
        ("https://rengo.example.lg.jp", "https://rengo.example.lg.jp", False, False),
    ],
)
def test_the_session_cookie_is_secure_whenever_https(
    app: Any,
    env: Runtime,
    make_user: Callable[..., str],
    base_url: str,
    public_url: str,
    override: bool | None,
    secure: bool,
) -> None:
    env.settings.csirt.public_base_url = public_url
    env.settings.web.secure_cookies = override
    username = make_user()
    with TestClient(app, base_url=base_url, follow_redirects=False) as client:
        response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("rengo_session=") and ("Secure" in cookie) is secure


def test_failed_logins_and_logouts_are_audited_in_the_accounts_ward(
    client: TestClient, make_user: Callable[..., str], env: Runtime
) -> None:
    username = make_user(WARD_A, "ward_it")
    client.post("/login", data={"username": username, "password": "wrong guess here"})
    client.post("/login", data={"username": "no-such-user", "password": "wrong guess here"})
    client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    with env.db.session() as session:
        events = sorted(audit.query(session, tenants=None), key=lambda e: e.id)
    failed = [e for e in events if e.action == "login.failed"]
    assert [(e.detail["username"], e.object_tenant) for e in failed] == [
        (username, WARD_A),
        ("no-such-user", None),
    ]
    assert all(e.client for e in failed)
    assert [e.action for e in events if e.actor.startswith(username)][-1] == "logout"


def test_an_administrator_resets_a_lost_second_factor(
    client: TestClient, tokens: Callable[..., str], make_user: Callable[..., str], env: Runtime
) -> None:
    username = make_user(JOINT, "csirt")
    with env.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        mfa.enrol_with_secret(session, env.settings, user, "JBSWY3DPEHPK3PXP", env.clock.now())
        user_id = user.id
    ward_admin = bearer(tokens(WARD_A, "admin"))
    assert client.delete(f"/api/v1/users/{user_id}/mfa", headers=ward_admin).status_code == 404
    joint_admin = bearer(tokens(JOINT, "admin"))
    assert client.delete(f"/api/v1/users/{user_id}/mfa", headers=joint_admin).status_code == 204
    with env.db.session() as session:
        assert not mfa.is_enrolled(session, user_id)
        assert audit.query(session, tenants=None)[0].action == "mfa.remove"
    page = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert page.headers["location"] == "/"  # requirement off in tests: plain login again
    assert re.match(r"rengo_session=", page.headers["set-cookie"])


def test_the_users_page_offers_the_reset_for_enrolled_accounts_only(
    client: TestClient, login: Callable[..., str], make_user: Callable[..., str], env: Runtime
) -> None:
    enrolled, plain = make_user(WARD_A, "ward_it"), make_user(WARD_A, "policy")
    with env.db.session() as session:
        user = session.scalar(select(User).where(User.username == enrolled))
        assert user is not None
        mfa.enrol_with_secret(session, env.settings, user, "JBSWY3DPEHPK3PXP", env.clock.now())
        user_id = user.id
    csrf = login(client, WARD_A, "admin")
    page = client.get("/admin/users").text
    assert page.count("2段階ログインをリセット") == 1 and plain in page
    done = client.post(f"/admin/users/{user_id}/mfa-reset", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert "2段階ログインをリセット" not in client.get("/admin/users").text
    with env.db.session() as session:
        assert not mfa.is_enrolled(session, user_id)


def test_demo_admins_log_in_with_the_printed_password_and_authenticator_key(
    client: TestClient, env: Runtime
) -> None:
    from rengo.core.clock import FakeClock
    from rengo.core.demo import DemoContext
    from rengo.core.demo_accounts import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_accounts

    env.clock = FakeClock(env.clock.now())
    env.settings.auth.mfa_required = True  # as in production and `make demo`
    printed: list[str] = []
    demo_accounts(
        DemoContext(env.db, env.settings, env.data_dir, env.clock.now(), report=printed.append)
    )
    assert any(DEMO_TOTP_SECRET in line for line in printed)
    for username, after_password in (("joint.soc", "/login/code?next=/"), ("chiyoda.it", "/")):
        client.cookies.clear()
        page = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert page.status_code == 303 and page.headers["location"] == after_password, username
    client.cookies.clear()
    client.post("/login", data={"username": "joint.admin", "password": DEMO_PASSWORD})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login/code").text)
    assert csrf
    code = pyotp.TOTP(DEMO_TOTP_SECRET).at(env.clock.now())
    done = client.post("/login/code", data={"code": code, "csrf_token": csrf.group(1)})
    assert done.status_code == 303 and client.get("/api/v1/me").json()["username"] == "joint.admin"


def test_users_change_their_own_password_over_the_api(
    client: TestClient, login: Callable[..., str], tokens: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "policy")
    headers = {"X-CSRF-Token": csrf}
    url = "/api/v1/me/password"
    weak = client.post(url, json={"current": TEST_PASSWORD, "new": "1234567890"}, headers=headers)
    assert weak.status_code == 422 and weak.json()["problems"][0]["location"] == "field password"
    wrong = client.post(url, json={"current": "nope", "new": "amber kite ocean"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["location"] == "field current"
    done = client.post(
        url, json={"current": TEST_PASSWORD, "new": "amber kite ocean"}, headers=headers
    )
    assert done.status_code == 204
    assert client.get("/api/v1/me").status_code == 401  # every session of the user ended
    service = bearer(tokens(WARD_A, "policy"))  # a service token belongs to no user
    body = {"current": "x", "new": "amber kite ocean"}
    assert client.post(url, json=body, headers=service).status_code == 403
