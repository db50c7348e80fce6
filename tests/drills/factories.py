"""Objects of joint cyber exercises for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.loader import library, require
from rengo.drills.models import Exercise, FollowUp
from rengo.drills.service import create_exercise
from tests.tenancy import BODIES, GLOBAL_ROUTES, LISTS_WITHOUT_WARD_DATA, factory

GLOBAL_ROUTES["GET /api/v1/drills/scenarios/{scenario_id}"] = "the shipped library, no ward data"
LISTS_WITHOUT_WARD_DATA["GET /api/v1/drills/scenarios"] = "the shipped library, no ward data"
LISTS_WITHOUT_WARD_DATA["GET /api/v1/drills/followups"] = (
    "a task's ward is its owner (a ward code or joint); test_followups checks another ward's list"
)


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


BODIES["POST /api/v1/drills/followups/{followup_id}/done"] = {"note": "rule written"}
BODIES["PATCH /api/v1/drills/followups/{followup_id}"] = {"due_on": "2030-04-01"}


@factory("followup_id")
def make_followup(runtime: Runtime, ward: str) -> str:
    """An open follow-up task owned by ``ward``, from a planned tabletop of that ward."""
    exercise_id = make_exercise(runtime, ward)
    now = runtime.clock.now()
    with runtime.db.session() as session:
        exercise = session.scalar(select(Exercise).where(Exercise.public_id == exercise_id))
        assert exercise is not None
        followup = FollowUp(
            exercise_id=exercise.id,
            expectation_id="mayor-briefed",
            owner=ward,
            title_ja="報告体制の見直し",
            title_en="Review the reporting chain",
            due_on=(now + timedelta(days=14)).date(),
            created_at=now,
        )
        session.add(followup)
        session.flush()
        return str(followup.id)
