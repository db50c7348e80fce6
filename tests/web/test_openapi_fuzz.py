"""Property-based requests from the OpenAPI document find no server error (schemathesis).

Every operation is called with generated parameters and bodies, as a joint-centre
administrator and as a ward's IT staff member; no answer may be a 5xx. Runs on SQLite
only (the state store's behaviour on both backends is covered by the other tests).

`make test` draws the same 25 cases per operation on every run, so that a red build
always points at a change; a deeper random search for new failures is
`RENGO_FUZZ_EXAMPLES=500 pytest tests/web/test_openapi_fuzz.py` (random, not derandomised).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from rengo.core.identity import create_token
from rengo.core.runtime import Runtime
from rengo.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import JOINT, WARD_A

CALLERS: dict[str, str] = {}
EXAMPLES = int(os.environ.get("RENGO_FUZZ_EXAMPLES", "0"))


@pytest.fixture
def api_schema(sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    runtime = Runtime.from_settings(make_settings(tmp_path / "data", sqlite_url))
    with runtime.db.session() as session:
        for ward, role in ((JOINT, "admin"), (WARD_A, "ward_it")):
            _token, secret = create_token(session, tenant=ward, role=role)
            CALLERS[f"{role}@{ward}"] = secret
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime))
    runtime.close()


def test_no_operation_answers_with_a_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES or 25,
            derandomize=not EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case: Any) -> None:
            for secret in CALLERS.values():
                response = case.call(headers={"Authorization": f"Bearer {secret}"})
                assert response.status_code < 500, (
                    f"{case.method} {case.formatted_path}: {response.text[:300]}"
                )

        call()
