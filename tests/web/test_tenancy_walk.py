"""Every API route, called by every role of ward A on ward B's objects, reveals nothing.

Ward B's objects — one of every kind a factory makes — exist before the first route is
called, so the list half is not vacuous: for every list route ward B's own answer must
show ward B's data (or the route is declared in ``LISTS_WITHOUT_WARD_DATA`` with why),
and ward A's answer must not. Routes with path parameters must answer 403 or 404 for
ward A while ward B itself can read them; list routes refuse ``?ward=B``. A route this
walk does not know how to exercise fails the test until its domain registers a factory
(see tests/tenancy.py).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.permissions import STAFF_ROLES
from rengo.core.runtime import Runtime
from tests.helpers import WARD_A, WARD_B, bearer
from tests.tenancy import (
    BODIES,
    FACTORIES,
    GLOBAL_ROUTES,
    LISTS_WITHOUT_WARD_DATA,
    load_factories,
)

load_factories()

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
TENANT_KEYS = ("ward", "tenant", "wards", "tenants")


def _api_routes(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every /api/v1 operation, from the OpenAPI document."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/v1"):
            out.extend((m.upper(), path, op) for m, op in sorted(operations.items()))
    return out


def _mentions(value: Any, ward: str) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TENANT_KEYS and (item == ward or (isinstance(item, list) and ward in item)):
                return True
            if _mentions(item, ward):
                return True
    elif isinstance(value, list):
        return any(_mentions(v, ward) for v in value)
    return False


def _accepts_ward_query(operation: dict[str, Any]) -> bool:
    return any(p["in"] == "query" and p["name"] == "ward" for p in operation.get("parameters", []))


def _ward_b_sees_its_data(client: TestClient, tokens: Any, roles: list[str], path: str) -> bool:
    for role in roles:
        response = client.get(path, headers=bearer(tokens(WARD_B, role)))
        if response.status_code != 200:
            continue
        if response.headers.get("content-type", "").startswith("application/json"):
            if _mentions(response.json(), WARD_B):
                return True
        elif WARD_B in response.text:
            return True
    return False


def test_ward_a_reaches_nothing_of_ward_b(
    app: Any, client: TestClient, env: Runtime, tokens: Any
) -> None:
    roles = sorted(r.value for r in STAFF_ROLES)
    # Every kind of ward B object first: a list checked before any exists proves nothing.
    objects: dict[str, str] = {p: make(env, WARD_B) for p, make in FACTORIES.items()}
    unknown: list[str] = []
    vacuous: list[str] = []
    checked = 0
    for method, path, operation in _api_routes(app):
        key = f"{method} {path}"
        if key in GLOBAL_ROUTES:
            continue
        params = PARAM.findall(path)
        if params:
            missing = [p for p in params if p not in FACTORIES]
            if missing:
                unknown.append(f"{key}: no factory for {missing}")
                continue
            url = PARAM.sub(lambda m: objects[m.group(1)], path)
            body = BODIES.get(key, {})
            for role in roles:
                response = client.request(
                    method, url, headers=bearer(tokens(WARD_A, role)), json=body
                )
                assert response.status_code in (401, 403, 404), (
                    f"{role}@{WARD_A} {key} on {WARD_B}'s "
                    f"object: {response.status_code} {response.text[:200]}"
                )
                checked += 1
            if method == "GET":
                own = [
                    client.get(url, headers=bearer(tokens(WARD_B, role))).status_code
                    for role in roles
                ]
                assert 200 in own, (
                    f"{key}: ward B cannot read its own object either ({own}); bad factory?"
                )
        elif method == "GET":
            if key not in LISTS_WITHOUT_WARD_DATA and not _ward_b_sees_its_data(
                client, tokens, roles, path
            ):
                vacuous.append(key)
            for role in roles:
                headers = bearer(tokens(WARD_A, role))
                if _accepts_ward_query(operation):
                    response = client.get(path, params={"ward": WARD_B}, headers=headers)
                    assert response.status_code in (403, 404), (
                        f"{role} {key}?ward={WARD_B}: {response.status_code}"
                    )
                response = client.get(path, headers=headers)
                if response.headers.get("content-type", "").startswith("application/json"):
                    assert not _mentions(response.json(), WARD_B), (
                        f"{role} {key} returned {WARD_B} data"
                    )
                else:
                    assert WARD_B not in response.text or response.status_code >= 400, (
                        f"{role} {key}"
                    )
                checked += 1
    assert not unknown, "routes the walk cannot exercise:\n" + "\n".join(unknown)
    assert not vacuous, (
        "list routes where even ward B sees none of its data (add a factory, or declare "
        "them in LISTS_WITHOUT_WARD_DATA):\n" + "\n".join(vacuous)
    )
    assert checked > 0
