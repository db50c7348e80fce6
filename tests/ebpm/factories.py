"""EBPM objects of a ward for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.ebpm import evaluations, policies, reminders, surveys, training
from rengo.ebpm.models import Element, Indicator, StaffMember
from rengo.ebpm.schemas import EvaluationCreate, PolicyCreate
from tests.ebpm.zone import factories as _zone_factories  # noqa: F401 - the zone's routes
from tests.tenancy import BODIES, GLOBAL_ROUTES, factory

_listed: set[tuple[int, str]] = set()


def _ward_lists(runtime: Runtime, ward: str) -> None:
    """The ward's survey results and training figures, so that the list routes carry ward
    data the walk can see leak (or not); once per runtime and ward."""
    if (id(runtime), ward) in _listed:
        return
    _listed.add((id(runtime), ward))
    survey = (
        "年度,区,設問,回答,割合,回答者数,肯定的\n"
        f"2025,{ward},子育て環境の満足度,満足,55,400,はい\n"
        f"2025,{ward},子育て環境の満足度,不満,45,400,いいえ\n"
    ).encode()
    with runtime.db.session() as session:
        surveys.import_surveys(
            session, Principal(ward, Role.POLICY, username="walk"), survey, runtime.settings
        )
        training.set_staff_count(session, ward, "総務部", 10, date(2026, 4, 1))
        session.add(StaffMember(tenant=ward, staff_id="S1", email=f"s1@{ward}.example.test"))
        session.flush()
        reminders.send_reminders(
            session,
            runtime.settings,
            datetime(2026, 6, 1, tzinfo=UTC),
            tenants=frozenset({ward}),
            trigger="manual",
        )


def _policy(runtime: Runtime, ward: str) -> int:
    _ward_lists(runtime, ward)
    with runtime.db.session() as session:
        created = policies.create_policy(
            session,
            Principal(ward, Role.POLICY, username="drafter"),
            PolicyCreate(
                title="保育所定員拡大",
                department="子ども家庭部",
                fiscal_year=2026,
                template="childcare",
            ),
        )
        return int(created.id)


@factory("policy_id")
def policy(runtime: Runtime, ward: str) -> str:
    return str(_policy(runtime, ward))


@factory("element_id")
def element(runtime: Runtime, ward: str) -> str:
    pid = _policy(runtime, ward)
    with runtime.db.session() as session:
        found = session.query(Element).filter_by(policy_id=pid).first()
        assert found is not None
        return str(found.id)


@factory("indicator_id")
def indicator(runtime: Runtime, ward: str) -> str:
    pid = _policy(runtime, ward)
    with runtime.db.session() as session:
        found = session.query(Indicator).filter_by(policy_id=pid).first()
        assert found is not None
        return str(found.id)


@factory("evaluation_id")
def evaluation(runtime: Runtime, ward: str) -> str:
    pid = _policy(runtime, ward)
    with runtime.db.session() as session:
        made = evaluations.create_plan(
            session,
            Principal(ward, Role.POLICY, username="drafter"),
            pid,
            EvaluationCreate(design="did", comparison_group="近隣区", timing="3年後"),
        )
        return str(made.id)


BODIES["PATCH /api/v1/ebpm/policies/{policy_id}"] = {"title": "他区の施策"}
BODIES["POST /api/v1/ebpm/policies/{policy_id}/elements"] = {"stage": "outputs", "text": "x"}
BODIES["PATCH /api/v1/ebpm/policies/{policy_id}/elements/{element_id}"] = {
    "stage": "outputs",
    "text": "x",
}
BODIES["POST /api/v1/ebpm/policies/{policy_id}/transitions"] = {"action": "submit"}
BODIES["POST /api/v1/ebpm/policies/{policy_id}/indicators"] = {"name": "x"}
BODIES["POST /api/v1/ebpm/policies/{policy_id}/evaluations"] = {"design": "did"}
BODIES["POST /api/v1/ebpm/indicators/{indicator_id}/actuals"] = {
    "period_end": "2026-03-31",
    "value": 1.0,
}
BODIES["POST /api/v1/ebpm/evaluations/{evaluation_id}/results"] = {
    "method": "before_after",
    "intervention_period": 2020,
    "observations": [
        {"unit": "w", "period": 2018 + i, "value": float(i), "treated": True} for i in range(4)
    ],
}
GLOBAL_ROUTES["GET /api/v1/ebpm/templates"] = "logic-model templates are reference data"
GLOBAL_ROUTES["GET /api/v1/ebpm/trainings/courses"] = "the course catalogue is shared"
