"""Constants and small helpers for tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.permissions import Principal, Role

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "RENGO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WARD_A = "131016"  # 千代田区
WARD_B = "131024"  # 中央区
JOINT = "joint"
TEST_PASSWORD = "correct horse battery"


def shared_data_dir() -> Path | None:
    """``../shared/data`` next to the checkout (or RENGO_SHARED_DATA), if present."""
    candidates = [os.environ.get("RENGO_SHARED_DATA"), str(ROOT.parent / "shared" / "data")]
    candidates.append("/work/shared/data")
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(test_client: TestClient) -> str:
    """The CSRF token embedded in pages for the client's session."""
    page = test_client.get("/account/tokens").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


IT_A = Principal(WARD_A, Role.WARD_IT, username="it-a")
IT_B = Principal(WARD_B, Role.WARD_IT, username="it-b")
SOC_JOINT = Principal(JOINT, Role.SOC_ANALYST, username="soc")
ADMIN_JOINT = Principal(JOINT, Role.ADMIN, username="admin")


def asset_fields(**overrides: Any) -> dict[str, Any]:
    """A realistic core-system asset; override what a test cares about."""
    fields: dict[str, Any] = {
        "kind": "system",
        "name": "住民基本台帳システム",
        "department": "区民部",
        "owner": "戸籍住民課長",
        "location": "gov_cloud",
        "cloud_provider": "aws",
        "segment": "mynumber",
        "confidentiality": 3,
        "integrity": 2,
        "availability": 2,
        "personal_data": True,
        "personal_data_count": 65_000,
        "business_system": "jumin_kihon_daicho",
        "ip_ranges": ["10.1.0.0/16"],
        "hostnames": ["jumin.chiyoda.lg.local"],
        "mail_domains": [],
        "cost_tags": {"system": "jumin"},
    }
    fields.update(overrides)
    return fields


DECLARING_PARTS = {"__init__.py", "settings.py", "permissions.py", "targets.py"}
"""A domain package holding only these declares what it will do; it is not built yet."""


def built_domains() -> set[str]:
    """The domains with code of their own (models, services, commands) beyond declarations."""
    from rengo.domains import DOMAINS

    src = ROOT / "src" / "rengo"
    return {
        d
        for d in DOMAINS
        if any(p.name not in DECLARING_PARTS for p in (src / d).glob("*.py"))
        or (src / d / "migrations").is_dir()
    }


AXE = ROOT / "tests" / "vendor" / "axe.min.js"


def _axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on a Playwright page's current document."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluated by the driver: the CSP allows no inline
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']}})"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def assert_accessible(page: Any) -> None:
    """No WCAG 2.1 A/AA violation, whatever its impact, that axe-core finds on the page."""
    problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in _axe_violations(page)]
    assert not problems, problems


def axe_serious(page: Any) -> list[tuple[str, str, list[Any]]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on a Playwright page."""
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in _axe_violations(page)
        if v["impact"] in ("serious", "critical")
    ]
