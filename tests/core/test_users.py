"""Administrators manage the accounts of their ward (the joint centre: all), audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from rengo.core import audit
from rengo.core.runtime import Runtime
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A, WARD_B, bearer


def test_ward_admin_manages_only_their_ward(
    client: TestClient, tokens: Callable[..., str], env: Runtime
) -> None:
    admin_a = bearer(tokens(WARD_A, "admin"))
    body = {"username": "sato", "password": TEST_PASSWORD, "ward": WARD_A, "role": "ward_it"}
    created = client.post("/api/v1/users", json=body, headers=admin_a)
    assert created.status_code == 201 and created.json()["ward"] == WARD_A
    refused = client.post(
        "/api/v1/users", json={**body, "username": "x", "ward": WARD_B}, headers=admin_a
    )
    assert refused.status_code == 403
    assert [u["username"] for u in client.get("/api/v1/users", headers=admin_a).json()] == ["sato"]
    user_id = created.json()["id"]
    changed = client.patch(
        f"/api/v1/users/{user_id}", json={"role": "policy", "active": False}, headers=admin_a
    )
    assert changed.json()["role"] == "policy" and changed.json()["active"] is False
    login = client.post("/login", data={"username": "sato", "password": TEST_PASSWORD})
    assert login.status_code == 401  # disabled
    with env.db.session() as session:
        actions = [e.action for e in audit.query(session, tenants=None, object_type="user")]
    assert actions == ["login.failed", "user.update", "user.create"]  # the disabled login too


def test_joint_admin_manages_every_ward_and_resets_passwords(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    joint = bearer(tokens(JOINT, "admin"))
    body = {"username": "tanaka", "password": TEST_PASSWORD, "ward": WARD_B, "role": "executive"}
    user_id = client.post("/api/v1/users", json=body, headers=joint).json()["id"]
    assert (
        client.post(
            f"/api/v1/users/{user_id}/password",
            json={"password": "a brand new password"},
            headers=joint,
        ).status_code
        == 204
    )
    assert (
        client.post(
            "/login", data={"username": "tanaka", "password": "a brand new password"}
        ).status_code
        == 303
    )


@pytest.mark.parametrize("role", ["ward_it", "soc_analyst", "executive"])
def test_other_roles_cannot_manage_accounts(
    client: TestClient, tokens: Callable[..., str], role: str
) -> None:
    assert client.get("/api/v1/users", headers=bearer(tokens(WARD_A, role))).status_code == 403


def test_invalid_roles_and_self_demotion_are_refused(
    client: TestClient, login: Callable[..., str], env: Runtime
) -> None:
    csrf = login(client, WARD_A, "admin")
    me = client.get("/api/v1/users").json()[0]
    bad = client.patch(
        f"/api/v1/users/{me['id']}", json={"role": "king"}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status_code == 422
    self_off = client.patch(
        f"/api/v1/users/{me['id']}", json={"active": False}, headers={"X-CSRF-Token": csrf}
    )
    assert self_off.status_code == 403


def test_users_page_creates_and_disables(client: TestClient, login: Callable[..., str]) -> None:
    csrf = login(client, WARD_A, "admin")
    form = {
        "csrf_token": csrf,
        "username": "suzuki",
        "password": TEST_PASSWORD,
        "role": "ward_finance",
    }
    assert client.post("/admin/users", data=form).status_code == 303
    page = client.get("/admin/users").text
    assert "suzuki" in page and "ユーザーアカウント" in page
    user_id = next(u["id"] for u in client.get("/api/v1/users").json() if u["username"] == "suzuki")
    assert (
        client.post(
            f"/admin/users/{user_id}", data={"csrf_token": csrf, "active": "false"}
        ).status_code
        == 303
    )
    assert "無効" in client.get("/admin/users").text
    duplicate = client.post("/admin/users", data=form)
    assert (
        duplicate.status_code == 409
        and "利用者 &#39;suzuki&#39; は既に登録されています" in duplicate.text
    )
    short = client.post("/admin/users", data={**form, "username": "sato", "password": "x"})
    assert short.status_code == 422
    assert "このパスワードは使えません" in short.text and "10文字以上にしてください" in short.text
    client.get("/lang/en", params={"next": "/"})
    english = client.post("/admin/users", data=form)
    assert "user &#39;suzuki&#39; exists" in english.text
