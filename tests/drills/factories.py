"""Objects of joint cyber exercises for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.loader import library, require
from rengo.drills.service import create_exercise
from tests.tenancy import GLOBAL_ROUTES, LISTS_WITHOUT_WARD_DATA, factory

GLOBAL_ROUTES["GET /api/v1/drills/scenarios/{scenario_id}"] = "the shipped library, no ward data"
LISTS_WITHOUT_WARD_DATA["GET /api/v1/drills/scenarios"] = "the shipped library, no ward data"


@factory("exercise_id")
def make_exercise(runtime: Runtime, ward: str) -> str:
    """A planned tabletop of ``ward`` only (a live one would start sending)."""
    scenario = require(library()["tabletop-ransomware"])
    now = runtime.clock.now()
    with runtime.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, scenario, wards=[ward], speed=1.0, start_at=now, now=now
        )
        return exercise.public_id


@factory("action")
def exercise_action(runtime: Runtime, ward: str) -> str:
    return "pause"
