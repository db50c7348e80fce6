"""Login, sessions, CSRF, tokens (Bearer, Basic, Token) and anonymous access over HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable

from fastapi.testclient import TestClient

from rengo.core import audit
from rengo.core.runtime import Runtime
from tests.helpers import TEST_PASSWORD, WARD_A, bearer


def test_anonymous_pages_redirect_to_login_and_api_says_401(client: TestClient) -> None:
    page = client.get("/assets?kind=device")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/assets%3Fkind%3Ddevice"
    api = client.get("/api/v1/assets")
    assert api.status_code == 401
    assert api.json()["error"] == "unauthenticated"
    assert api.headers["www-authenticate"] == "Bearer"


def test_login_sets_an_httponly_session_and_audits(
    client: TestClient, make_user: Callable[..., str], env: Runtime
) -> None:
    username = make_user(WARD_A, "ward_it")
    response = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "next": "/assets"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/assets"
    cookie = response.headers["set-cookie"]
    assert "rengo_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/assets").status_code == 200
    with env.db.session() as session:
        assert [e.action for e in audit.query(session, tenants=None)] == ["login"]


def test_wrong_password_and_throttling(
    client: TestClient, make_user: Callable[..., str], env: Runtime
) -> None:
    username = make_user()
    for _ in range(env.settings.web.login_max_failures):
        response = client.post("/login", data={"username": username, "password": "wrong password"})
        assert response.status_code == 401
        assert "パスワードが正しくありません" in response.text
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 429


def test_login_never_redirects_off_site(client: TestClient, make_user: Callable[..., str]) -> None:
    username = make_user()
    response = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/"


def test_changes_with_a_session_need_the_csrf_token(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "ward_it")
    body = {"kind": "system", "name": "x", "location": "on_premises"}
    assert client.post("/api/v1/assets", json=body).status_code == 403
    assert (
        client.post("/api/v1/assets", json=body, headers={"X-CSRF-Token": "forged"}).status_code
        == 403
    )
    assert (
        client.post("/api/v1/assets", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    )


def test_logout_ends_the_session(client: TestClient, login: Callable[..., str]) -> None:
    csrf = login(client)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/assets").status_code == 303


def test_token_schemes_bearer_basic_and_token(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    token = tokens(WARD_A, "ward_it")
    basic = base64.b64encode(f"anyone:{token}".encode()).decode()
    for header in (f"Bearer {token}", f"Basic {basic}", f"Token {token}"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 200, header
        assert response.json() == {
            "username": "ward_it@131016",
            "ward": WARD_A,
            "role": "ward_it",
            "token_id": 1,
        }
    assert client.get("/api/v1/me", headers=bearer(token + "x")).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_users_create_and_revoke_their_own_tokens(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "policy")
    created = client.post(
        "/api/v1/tokens", json={"name": "notebook"}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["role"] == "policy"
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["notebook"] and "token" not in listed[0]
    gone = client.delete(f"/api/v1/tokens/{created.json()['id']}", headers={"X-CSRF-Token": csrf})
    assert gone.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_security_headers_on_every_response(client: TestClient) -> None:
    response = client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_times_in_queries_are_bounded_and_naive_means_utc(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    admin = bearer(tokens("joint", "admin"))
    assert (
        client.get(
            "/api/v1/audit", params={"since": "0001-01-01T00:00:00"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=admin
        ).status_code
        == 200
    )
