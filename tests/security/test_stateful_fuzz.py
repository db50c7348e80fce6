"""Stateful property-based testing (schemathesis): sequences of calls, linked by the
objects earlier calls made, find no server error.

Schemathesis infers the links between operations from the OpenAPI document (an
``incident_id`` a ``POST /incidents`` answers feeds ``GET /incidents/{incident_id}``,
``…/transitions``, ``…/notes`` …) and chains them, so that requests reach past the 404 of
a random id into the objects' real states. The run is derandomised and bounded (about a
minute on one core) so that it runs on every test run; ``RENGO_FUZZ_EXAMPLES=500`` searches
deeper, at random.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from rengo.core.identity import create_token
from rengo.core.runtime import Runtime
from rengo.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import JOINT, WARD_A, asset_fields


def _seed_bodies() -> dict[str, Any]:
    """Valid bodies for the operations that make objects: random bodies are nearly always
    refused (a ward code, a category), and a sequence needs something to chain on.
    Every other producing call keeps its generated body. Not the tenancy walk's BODIES:
    they hold placeholder ids for a one-off call, and which of them a worker has imported
    varies, which would change the path of this derandomised run."""
    return {
        "POST /api/v1/incidents": {"title": "fuzz", "category": "other", "wards": [WARD_A]},
        "POST /api/v1/assets": asset_fields(ward=WARD_A),
        "POST /api/v1/intel/submissions": {
            "kind": "access",
            "title": "fuzz",
            "source_addresses": ["203.0.113.9"],
        },
        "POST /api/v1/oncall/teams": {"tenant": WARD_A, "name": "fuzz", "kind": "csirt"},
        "POST /api/v1/incidents/{incident_id}/tasks": {"title": "fuzz"},
        "POST /api/v1/incidents/{incident_id}/notes": {"text": "fuzz 203.0.113.9"},
        "POST /api/v1/incidents/{incident_id}/actions": {
            "kind": "block_ip",
            "target": "203.0.113.9",
        },
    }


EXAMPLES = int(os.environ.get("RENGO_FUZZ_EXAMPLES", "0"))
BUDGET_SECONDS = 120
LIFE_CYCLES = r"^/api/v1/(incidents|assets|intel/submissions|users|oncall/teams)"


def _copy_database(source: Path, target: Path) -> None:
    """Through SQLite's backup API, not a file copy: a connection still open elsewhere (a
    request's thread finishing) would otherwise pair the new file with the old WAL, and a
    call would find no table at all."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture
def runtime(sqlite_url: str, tmp_path: Path) -> Iterator[Runtime]:
    made = Runtime.from_settings(make_settings(tmp_path / "data", sqlite_url))
    yield made
    made.close()


@pytest.mark.parametrize(("ward", "role"), [(JOINT, "admin"), (WARD_A, "ward_it")])
def test_linked_call_sequences_find_no_server_error(
    runtime: Runtime, tmp_path: Path, ward: str, role: str
) -> None:
    with runtime.db.session() as session:
        _token, secret = create_token(session, tenant=ward, role=role)
    # Every example starts from this database: hypothesis replays choices and needs the
    # same answers for the same calls, which state left by an earlier example would break.
    database = Path(runtime.db.engine.url.database or "")
    pristine = tmp_path / "pristine.db"
    runtime.db.engine.dispose()
    _copy_database(database, pristine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime))
    # The objects with a life cycle (every operation alone is fuzzed by test_openapi_fuzz).
    base = schema.include(path_regex=LIFE_CYCLES).as_state_machine()
    links = [name for name in dir(base) if "___" in name and not name.startswith("RANDOM")]
    assert len(links) > 50, "the schema lost the links between its operations"
    errors: list[str] = []
    linked: list[str] = []  # calls whose path parameters came from an earlier answer
    seeds, seeded = _seed_bodies(), [0]

    class Workflow(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            runtime.db.engine.dispose()
            _copy_database(pristine, database)
            seeded[0] = 0

        def before_call(self, case: Any, **kwargs: Any) -> None:
            seed = seeds.get(f"{case.method} {case.path}")
            if seed is not None and seeded[0] % 2 == 0:
                case.body = dict(seed)
            seeded[0] += seed is not None

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {secret}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            if case.path_parameters and response.status_code < 400:
                linked.append(f"{case.method} {case.path}")
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")
            assert response.status_code < 500, errors[-1] if errors else ""

    started = time.monotonic()
    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES or 80,
            stateful_step_count=10,
            derandomize=not EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    assert not errors
    assert len(set(linked)) >= 3, f"the sequences hardly reached real objects: {linked}"
    if not EXAMPLES:
        assert time.monotonic() - started < BUDGET_SECONDS, "keep the bounded run bounded"
